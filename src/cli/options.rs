//! The one table from the library's settings to this program's options, so that a library
//! error about a setting reads as the option the user typed: `--lr 0: the step size must be a
//! positive finite number`. Every rule is checked in the library; none is written again here.

use gradlens::error::Setting;

/// The option that sets `setting`, where one option does (inputs and targets come from
/// `--x`/`--sample`/`--data`, so their messages keep the library's words).
fn option(setting: Setting) -> Option<&'static str> {
    match setting {
        Setting::LearningRate => Some("--lr"),
        Setting::Momentum => Some("--momentum"),
        Setting::Epochs => Some("--epochs"),
        Setting::BatchSize => Some("--batch-size"),
        Setting::TestFraction => Some("--test-fraction"),
        Setting::LogBase => Some("--log-base"),
        Setting::Loss => Some("--loss"),
        Setting::Hidden => Some("--hidden"),
        Setting::Threads => Some("--threads"),
        Setting::Dtype => Some("--dtype"),
        Setting::Inputs
        | Setting::Targets
        | Setting::Model
        | Setting::Scaler
        | Setting::Column
        | Setting::Labels
        | Setting::TrainingData
        | Setting::Step
        | Setting::Training
        | Setting::Plot => None,
    }
}

/// The line to print for `e`: a library error about a setting names its option and the value
/// given; anything else prints as it is, with its causes.
pub fn message(e: &anyhow::Error) -> String {
    match e.downcast_ref::<gradlens::Error>() {
        Some(gradlens::Error::Invalid { setting, value, why }) if let Some(opt) = option(*setting) => match value {
            Some(v) => format!("{opt} {v}: {why}"),
            None => format!("{opt}: {why}"),
        },
        _ => format!("{e:#}"),
    }
}

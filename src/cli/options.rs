//! The one table from the library's settings to this program's options, so that a library
//! error about a setting reads as the option the user typed: `--lr 0: the step size must be a
//! positive finite number`. Every rule is checked in the library; none is written again here.

use gradlens::error::Setting;

/// Which subcommand ran: the samples and targets are `explain`'s `--x` and `--target`, while
/// `train` and `predict` read them from `--data` (or `--x`), so there they keep the library's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Explain,
    Other,
}

/// The option that sets `setting` in `command`, where one option does.
fn option(setting: Setting, command: Command) -> Option<&'static str> {
    match setting {
        Setting::Optimizer => Some("--optimizer"),
        Setting::LearningRate => Some("--lr"),
        Setting::Momentum => Some("--momentum"),
        Setting::Epochs => Some("--epochs"),
        Setting::BatchSize => Some("--batch-size"),
        Setting::TestFraction => Some("--test-fraction"),
        Setting::LogBase => Some("--log-base"),
        Setting::Loss => Some("--loss"),
        Setting::Hidden => Some("--hidden"),
        Setting::OutputLayer => Some("--output-layer"),
        Setting::Activation => Some("--activation"),
        Setting::Init => Some("--init"),
        Setting::Scale => Some("--scale"),
        Setting::Steps => Some("--steps"),
        Setting::Sample => Some("--sample"),
        Setting::Label => Some("--label"),
        Setting::Weights => Some("--weights"),
        Setting::Bias => Some("--bias"),
        Setting::Inputs if command == Command::Explain => Some("--x"),
        Setting::Targets if command == Command::Explain => Some("--target"),
        Setting::Threads => Some("--threads"),
        Setting::Dtype => Some("--dtype"),
        Setting::Points => Some("--points"),
        Setting::Noise => Some("--noise"),
        Setting::L2 => Some("--l2"),
        Setting::L1 => Some("--l1"),
        Setting::Features => Some("--features"),
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
pub fn message(e: &anyhow::Error, command: Command) -> String {
    match e.downcast_ref::<gradlens::Error>() {
        Some(gradlens::Error::Invalid { setting, value, why }) if let Some(opt) = option(*setting, command) => {
            match value {
                Some(v) => format!("{opt} {v}: {why}"),
                None => format!("{opt}: {why}"),
            }
        }
        _ => format!("{e:#}"),
    }
}

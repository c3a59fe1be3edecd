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

/// The option that sets `setting` in `command`, where one option does: the library's name for
/// it ([`Setting::option_name`]) in kebab case, and `explain`'s `--x` and `--target`
/// ([`Setting::sample_option_name`]).
fn option(setting: Setting, command: Command) -> Option<String> {
    let name = match command {
        Command::Explain => setting.sample_option_name().or(setting.option_name())?,
        Command::Other => setting.option_name()?,
    };
    Some(format!("--{}", name.replace('_', "-")))
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

/// The optimizer's settings beside its step size, as `train` and `explain` both take them.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TuningArgs {
    /// Momentum's mass, in [0, 1) (with --optimizer momentum) [default: 0.9]
    #[arg(long, value_name = "MASS", allow_hyphen_values = true)]
    pub momentum: Option<f64>,
    /// Adam's first-moment decay b1, in [0, 1) (with --optimizer adam) [default: 0.9]
    #[arg(long, value_name = "B1", allow_hyphen_values = true)]
    pub b1: Option<f64>,
    /// Adam's second-moment decay b2, in [0, 1) (with --optimizer adam) [default: 0.999]
    #[arg(long, value_name = "B2", allow_hyphen_values = true)]
    pub b2: Option<f64>,
    /// Adam's eps, added to √v̂, a positive number (with --optimizer adam) [default: 1e-8]
    #[arg(long, value_name = "EPS", allow_hyphen_values = true)]
    pub eps: Option<f64>,
}

impl TuningArgs {
    /// The library's settings.
    pub fn tuning(&self) -> gradlens::update::Tuning {
        gradlens::update::Tuning { mass: self.momentum, b1: self.b1, b2: self.b2, eps: self.eps }
    }

    /// Says which settings given the optimizer `name` does not read.
    pub fn warn_unread(&self, name: &str) {
        for setting in self.tuning().unread_by(name) {
            let option = option(setting, Command::Other).unwrap_or_else(|| setting.name().to_string());
            let whose = if setting == Setting::Momentum { "momentum" } else { "adam" };
            super::warn(&format!("{option} is ignored: it is a setting of --optimizer {whose}"));
        }
    }
}

//! The library's one error type. Every variant names where the problem is (the op and its
//! shapes, the file and row and column, the JSON path), because the CLI prints it as the whole
//! message a user sees.

use std::path::PathBuf;

/// Two shapes, written the way the docs write them: `(rows×cols)`.
pub fn shape(s: (usize, usize)) -> String {
    format!("({}×{})", s.0, s.1)
}

/// Which setting or input a rule is about, by the library's name for it. Every check lives in
/// the library and says which setting broke it; the CLI maps settings to its options in one table
/// (`cli/options.rs`), never by comparing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Which optimizer.
    Optimizer,
    /// The optimizer's step size α.
    LearningRate,
    /// Momentum's mass.
    Momentum,
    /// Adam's first moment's decay.
    B1,
    /// Adam's second moment's decay.
    B2,
    /// Adam's eps.
    Eps,
    /// How many epochs to train.
    Epochs,
    /// Rows per step.
    BatchSize,
    /// The share of rows held out.
    TestFraction,
    /// Cross-entropy's log base.
    LogBase,
    /// Which loss.
    Loss,
    /// The hidden layers' widths.
    Hidden,
    /// A fresh model's last layer.
    OutputLayer,
    /// The hidden layers' activation.
    Activation,
    /// How a fresh model's weights are drawn.
    Init,
    /// How the features are scaled.
    Scale,
    /// How many explained steps in a row.
    Steps,
    /// Threads for the compiled engine's matrix products.
    Threads,
    /// The float type an engine computes in.
    Dtype,
    /// How an epoch's training accuracy is taken.
    TrainAccuracy,
    /// The samples, x.
    Inputs,
    /// The targets, y.
    Targets,
    /// Rows of a table taken as the samples, with their labels (explain's `--sample`).
    Sample,
    /// A single dense layer's weights given as numbers (explain's `--weights`).
    Weights,
    /// That layer's bias (explain's `--bias`).
    Bias,
    /// The model (its layers and parameters).
    Model,
    /// A model's scaler.
    Scaler,
    /// A data column.
    Column,
    /// Feature inputs computed from the data's columns (`--features`).
    Features,
    /// The target column(s) of a table (`--label`).
    Label,
    /// Class labels.
    Labels,
    /// Where the rows come from (`train --data`: Iris, a generated set, a file).
    Data,
    /// The file of targets beside a `.npy` of features (`train --labels`).
    LabelsFile,
    /// The rows to train on.
    TrainingData,
    /// How many points a generated data set has.
    Points,
    /// A generated data set's noise.
    Noise,
    /// The L2 penalty's rate.
    L2,
    /// The L1 penalty's rate.
    L1,
    /// The update step.
    Step,
    /// The training run as a whole.
    Training,
    /// A chart.
    Plot,
}

impl Setting {
    /// The name of the one option that sets it, in snake case: the Python keyword as it is
    /// (`batch_size`), the CLI's option in kebab case (`--batch-size`). `None` where no one
    /// option does (a model file's parts, the run's internals) or where it depends on the face
    /// (the samples and targets: `explain`'s `--x` and `--target`).
    pub fn option_name(self) -> Option<&'static str> {
        match self {
            Setting::Optimizer => Some("optimizer"),
            Setting::LearningRate => Some("lr"),
            Setting::Momentum => Some("momentum"),
            Setting::B1 => Some("b1"),
            Setting::B2 => Some("b2"),
            Setting::Eps => Some("eps"),
            Setting::Epochs => Some("epochs"),
            Setting::BatchSize => Some("batch_size"),
            Setting::TestFraction => Some("test_fraction"),
            Setting::LogBase => Some("log_base"),
            Setting::Loss => Some("loss"),
            Setting::Hidden => Some("hidden"),
            Setting::OutputLayer => Some("output_layer"),
            Setting::Activation => Some("activation"),
            Setting::Init => Some("init"),
            Setting::Scale => Some("scale"),
            Setting::Steps => Some("steps"),
            Setting::Sample => Some("sample"),
            Setting::Label => Some("label"),
            Setting::Data => Some("data"),
            Setting::LabelsFile => Some("labels"),
            Setting::Weights => Some("weights"),
            Setting::Bias => Some("bias"),
            Setting::Threads => Some("threads"),
            Setting::Dtype => Some("dtype"),
            Setting::TrainAccuracy => Some("train_accuracy"),
            Setting::Points => Some("points"),
            Setting::Noise => Some("noise"),
            Setting::L2 => Some("l2"),
            Setting::L1 => Some("l1"),
            Setting::Features => Some("features"),
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

    /// The option or keyword that gives one sample's numbers directly, where a face takes a
    /// sample so (`explain --x 1,2 --target 0`; Python's `explain(x=…, target=…)` and
    /// `predict(x=…)`): which face does is the face's business, the name is the library's.
    pub fn sample_option_name(self) -> Option<&'static str> {
        match self {
            Setting::Inputs => Some("x"),
            Setting::Targets => Some("target"),
            // Every other setting has one option whatever the face, or none.
            _ => None,
        }
    }

    /// The library's word for it, as messages write it.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Optimizer => "optimizer",
            Setting::LearningRate => "learning rate",
            Setting::Momentum => "momentum",
            Setting::B1 => "b1",
            Setting::B2 => "b2",
            Setting::Eps => "eps",
            Setting::Epochs => "epochs",
            Setting::BatchSize => "batch size",
            Setting::TestFraction => "test fraction",
            Setting::LogBase => "log base",
            Setting::Loss => "loss",
            Setting::Hidden => "hidden",
            Setting::OutputLayer => "output layer",
            Setting::Activation => "activation",
            Setting::Init => "init",
            Setting::Scale => "scale",
            Setting::Steps => "steps",
            Setting::Threads => "threads",
            Setting::Dtype => "dtype",
            Setting::TrainAccuracy => "training accuracy",
            Setting::Inputs => "x",
            Setting::Targets => "target",
            Setting::Sample => "sample",
            Setting::Weights => "weights",
            Setting::Bias => "bias",
            Setting::Model => "model",
            Setting::Scaler => "scaler",
            Setting::Column => "column",
            Setting::Features => "features",
            Setting::Label => "label",
            Setting::Labels => "labels",
            Setting::Data => "data",
            Setting::LabelsFile => "labels",
            Setting::TrainingData => "training data",
            Setting::Points => "points",
            Setting::Noise => "noise",
            Setting::L2 => "l2",
            Setting::L1 => "l1",
            Setting::Step => "step",
            Setting::Training => "training",
            Setting::Plot => "plot",
        }
    }
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An op got operands whose shapes do not fit together.
    #[error("{op}: shapes do not fit: {detail}")]
    Shape {
        /// The op.
        op: &'static str,
        /// The shapes.
        detail: String,
    },

    /// A value given for a setting (an option, a layer setting, an input) breaks a rule.
    #[error("{}{}: {why}", setting.name(), value.as_ref().map(|v| format!(" {v}")).unwrap_or_default())]
    Invalid {
        /// Which setting.
        setting: Setting,
        /// The value as given, when it helps to repeat it.
        value: Option<String>,
        /// The rule it breaks.
        why: String,
    },

    /// A model file that is missing, unreadable or does not describe a model.
    #[error("model file {}: {at}: {why}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// The JSON path at fault.
        at: String,
        /// What is wrong there.
        why: String,
    },

    /// A model that does not fit the data it is put to (widths or names), found before any
    /// scaling or training.
    #[error("model file {} does not fit the data: {why}", path.display())]
    Misfit {
        /// The model file.
        path: PathBuf,
        /// What does not fit, with both sides' widths or names.
        why: String,
    },

    /// A data file with a problem at a known place; `row` counts lines of the file from 1
    /// (the header is row 1).
    #[error("{}{}: {why}", file.display(), location(*row, column.as_deref()))]
    Data {
        /// The file.
        file: PathBuf,
        /// The line, from 1.
        row: Option<usize>,
        /// The column's name.
        column: Option<String>,
        /// What is wrong there.
        why: String,
    },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

fn location(row: Option<usize>, column: Option<&str>) -> String {
    match (row, column) {
        (Some(r), Some(c)) => format!(", row {r}, column '{c}'"),
        (Some(r), None) => format!(", row {r}"),
        (None, Some(c)) => format!(", column '{c}'"),
        (None, None) => String::new(),
    }
}

impl Error {
    /// A rule of `setting` broken.
    pub fn invalid(setting: Setting, why: impl Into<String>) -> Self {
        Error::Invalid { setting, value: None, why: why.into() }
    }

    /// A rule of `setting` broken by the value `value` (written as the user gave it).
    pub fn invalid_value(setting: Setting, value: impl ToString, why: impl Into<String>) -> Self {
        Error::Invalid { setting, value: Some(value.to_string()), why: why.into() }
    }
}

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Row `row`'s (from 1) logits are infinite or NaN in `float` (`float64`, `float32`): no class
/// probabilities. Every engine's prediction says it this way.
pub fn logits_overflow(row: usize, float: &str) -> Error {
    Error::invalid(
        Setting::Inputs,
        format!(
            "row {row}: the logits overflow {float} (the inputs or the weights are too large), so the class \
             probabilities are undefined"
        ),
    )
}

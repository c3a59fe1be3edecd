//! A training run as text, from its [`TrainReport`]: a header before the first epoch, a line per
//! epoch shown, and a summary at the end. Each piece is a function because they are printed
//! at different times; none computes a number of its own.

use super::fmt_num;
use crate::engine::compiled::Dtype;
use crate::loss::Loss;
use crate::model::Model;
use crate::model::ModelLayer;
use crate::predict::{Evaluation, Fit};
use crate::train::report::{ConfigReport, DataReport, TrainReport};
use crate::train::{Api, Engine, EpochStats, TrainAccuracy};
use crate::update::Optimizer;
use std::fmt::Write as _;

/// The run's description, printed before the first epoch, ending in the epoch lines' column
/// heads. `model` is the model the run starts from.
pub fn header(data: &DataReport, config: &ConfigReport, model: &Model) -> String {
    let mut s = String::new();
    let test = if data.test_rows == 0 { "no test rows".to_string() } else { format!("{} test rows", data.test_rows) };
    let (kind, names) = match (&data.classes, &data.targets) {
        (Some(classes), _) => ("classes", classes),
        (None, Some(targets)) if targets.len() == 1 => ("target value", targets),
        (None, Some(targets)) => ("target values", targets),
        (None, None) => ("targets", &Vec::new()),
    };
    let _ = writeln!(
        s,
        "Data: {}, {} rows ({} training, {test}), {} features, {} {kind}: {}",
        data.source,
        data.rows,
        data.train_rows,
        data.features.len(),
        names.len(),
        names.join(", ")
    );
    let _ = writeln!(s, "Model: {}", describe(model));
    let t = &config.train;
    let batch = match t.batch_size {
        Some(b) if b < data.train_rows => format!("batches of {b}"),
        _ => format!("full batch ({} rows)", data.train_rows),
    };
    let order = if t.shuffle { "shuffled" } else { "in data order" };
    // The engine that runs the steps, as the JSON report's `engine` names it.
    let api = match (t.api, config.engine) {
        (Api::Stax, Engine::Tape) => "tape (stax)".to_string(),
        (Api::Stax, Engine::Compiled(options)) => match options.dtype {
            Dtype::F64 => "the compiled engine (f64)".to_string(),
            Dtype::F32 => "the compiled engine (f32)".to_string(),
        },
        (Api::Custom, _) => "hand-derived (custom)".to_string(),
    };
    // The loss in the epoch column is the penalised one, the optimizer's; the test loss is the data's.
    let penalty = if t.penalty.is_none() {
        String::new()
    } else {
        format!(
            " + weight penalty λ₂ = {}, λ₁ = {} (weights only; the epoch loss includes it, the test loss does not)",
            fmt_num(t.penalty.l2),
            fmt_num(t.penalty.l1)
        )
    };
    // The accuracy column's meaning, said when it is not the default's (after each epoch).
    let accuracy = match (t.train_accuracy, &data.classes) {
        (TrainAccuracy::Steps, Some(_)) => ", train accuracy counted by the steps before their updates",
        (TrainAccuracy::Steps | TrainAccuracy::AfterEpoch, _) => "",
    };
    let _ = writeln!(
        s,
        "Training: {}, {} epochs, {batch}, {order}, loss in {}{penalty}{accuracy}, gradient by {api}, seed {}\n",
        describe_optimizer(&t.optimizer),
        t.epochs,
        loss_unit(t.loss),
        config.seed
    );
    // Wide enough for any epoch a run may ask for (10⁷) and any loss fmt_num writes (−1.2345678e-308).
    if data.classes.is_some() {
        let _ =
            writeln!(s, "{:>8}  {:<15}  {:<15}  {:>9}  {:>8}", "epoch", "loss", "test loss", "train acc", "test acc");
    } else {
        let _ = writeln!(s, "{:>8}  {:<15}  {:<15}", "epoch", "loss", "test loss");
    }
    s
}

/// One epoch's figures under the header's columns: the test rows' loss beside the training loss
/// (overfitting shows as the two parting), and with classes the accuracies; `-` where there is
/// no test part.
pub fn epoch_line(stats: &EpochStats) -> String {
    let test_loss = stats.test_loss.map_or_else(|| "-".to_string(), fmt_num);
    match stats.train_accuracy {
        Some(train) => {
            let test = stats.test_accuracy.map_or_else(|| "-".to_string(), |a| format!("{a:.4}"));
            format!("{:>8}  {:<15}  {test_loss:<15}  {train:>9.4}  {test:>8}\n", stats.epoch, fmt_num(stats.loss))
        }
        None => format!("{:>8}  {:<15}  {test_loss:<15}\n", stats.epoch, fmt_num(stats.loss)),
    }
}

/// The end of the text report: final loss and accuracy, and a confusion matrix, or for values
/// each target's RMSE and R² (of the test rows when there are some, as they are the honest
/// measure).
pub fn summary(report: &TrainReport) -> String {
    let mut s = String::new();
    let unit = loss_unit(report.config.train.loss);
    let classes = matches!(report.final_.train.fit, Fit::Classes { .. });
    let _ = write!(s, "\n{:<10} {:>12}", "final", format!("loss ({unit})"));
    s.push_str(if classes { "  accuracy\n" } else { "\n" });
    let row = |s: &mut String, name: &str, e: &Evaluation, n: usize| {
        let _ = write!(s, "{name:<10} {:>12}", fmt_num(e.loss));
        if let Fit::Classes { accuracy, correct, .. } = e.fit {
            let _ = write!(s, "  {accuracy:>8.4}  ({correct}/{n} right)");
        }
        s.push('\n');
    };
    row(&mut s, "train", &report.final_.train, report.data.train_rows);
    if let Some(test) = &report.final_.test {
        row(&mut s, "test", test, report.data.test_rows);
    }
    let (which, e) = match &report.final_.test {
        Some(t) => ("test", t),
        None => ("training", &report.final_.train),
    };
    match &e.fit {
        Fit::Classes { confusion, .. } => {
            confusion_matrix(&mut s, which, report.data.classes.as_deref().unwrap_or_default(), confusion)
        }
        Fit::Values { rmse, r_squared } => {
            value_errors(&mut s, which, report.data.targets.as_deref().unwrap_or_default(), rmse, r_squared)
        }
    }
    s
}

/// Each target's RMSE and R² on the `which` rows.
fn value_errors(s: &mut String, which: &str, names: &[String], rmse: &[f64], r_squared: &[Option<f64>]) {
    let first = names.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(6);
    let _ = writeln!(s, "\nPer target, {which} rows (RMSE in the target's units; R² = 1 − SSE/SST):");
    let _ = writeln!(s, "{:<first$}  {:>15}  {:>10}", "target", "RMSE", "R²");
    for ((name, rmse), r2) in names.iter().zip(rmse).zip(r_squared) {
        let r2 = r2.map_or_else(|| "-".to_string(), |r| format!("{r:.4}"));
        let _ = writeln!(s, "{name:<first$}  {:>15}  {r2:>10}", fmt_num(*rmse));
    }
}

/// The confusion matrix of the `which` rows.
fn confusion_matrix(s: &mut String, which: &str, classes: &[String], confusion: &[Vec<usize>]) {
    let _ = writeln!(s, "\nConfusion matrix, {which} rows (rows: true class, columns: predicted):");
    let first = classes.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(4);
    let widths: Vec<usize> = classes.iter().map(|c| c.chars().count().max(5)).collect();
    let _ = write!(s, "{:first$}", "");
    for (c, w) in classes.iter().zip(&widths) {
        let _ = write!(s, "  {c:>w$}");
    }
    s.push('\n');
    for (t, name) in classes.iter().enumerate() {
        let _ = write!(s, "{name:<first$}");
        for (p, w) in widths.iter().enumerate() {
            let _ = write!(s, "  {:>w$}", confusion[t][p]);
        }
        s.push('\n');
    }
}

/// The report as `train --format json` writes it: pretty-printed, with a final newline.
/// Non-finite numbers become null, as JSON has no infinity.
pub fn json(report: &TrainReport) -> String {
    crate::pretty_json::to_string(report).expect("a training report serialises")
}

/// [`json`]'s bytes written to `w` as they are formed (a report of many epochs printed without
/// being held whole).
pub fn write_json<W: std::io::Write>(report: &TrainReport, w: W) -> std::io::Result<()> {
    crate::pretty_json::to_writer(w, report).map_err(std::io::Error::from)
}

/// How the loss is measured: cross-entropy in nats, bits, hartleys, or "log base 3"; the
/// quadratic cost by its name. The plots' axis says the same.
pub fn loss_unit(loss: Loss) -> String {
    match (loss.unit(), loss) {
        (Some(unit), _) => unit.into(),
        (None, Loss::CrossEntropy { log_base }) => format!("log base {log_base}"),
        (None, Loss::Quadratic) => "quadratic cost".into(),
    }
}

/// `serial(Dense(3), Softmax), 15 parameters`, as stax would write the layers.
fn describe(model: &Model) -> String {
    let layers: Vec<String> = model
        .layers
        .iter()
        .map(|layer| match layer {
            ModelLayer::Dense { w_out_in, b } => {
                let out = w_out_in.nrows();
                if b.is_some() { format!("Dense({out})") } else { format!("Dense({out}, no bias)") }
            }
            ModelLayer::Activation(a) => camel_case(a.name()),
            ModelLayer::Softmax => "Softmax".into(),
            ModelLayer::LogSoftmax => "LogSoftmax".into(),
        })
        .collect();
    format!("serial({}), {} parameters", layers.join(", "), model.param_count())
}

/// stax's spelling of a layer name: `leaky_relu` → `LeakyRelu`.
fn camel_case(name: &str) -> String {
    name.split('_')
        .map(|w| {
            w.chars().enumerate().map(|(i, ch)| if i == 0 { ch.to_ascii_uppercase() } else { ch }).collect::<String>()
        })
        .collect()
}

fn describe_optimizer(o: &Optimizer) -> String {
    match *o {
        Optimizer::Sgd { step_size } => format!("sgd (step size {})", fmt_num(step_size)),
        Optimizer::Momentum { step_size, mass } => {
            format!("momentum (step size {}, mass {})", fmt_num(step_size), fmt_num(mass))
        }
        Optimizer::Adam { step_size, b1, b2, eps } => {
            format!("adam (step size {}, b1 {b1}, b2 {b2}, eps {eps:e})", fmt_num(step_size))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::TrainConfig;
    use crate::train::report::Final;
    use ndarray::array;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn data(test_rows: usize) -> DataReport {
        DataReport {
            source: "tiny.csv".into(),
            rows: 3 + test_rows,
            train_rows: 3,
            test_rows,
            features: names(&["x1", "x2"]),
            columns: None,
            classes: Some(names(&["a", "bb"])),
            targets: None,
        }
    }

    fn config(optimizer: Optimizer, batch_size: Option<usize>, log_base: &str) -> ConfigReport {
        let train = TrainConfig {
            optimizer,
            epochs: 5,
            batch_size,
            shuffle: false,
            loss: Loss::CrossEntropy { log_base: log_base.parse().unwrap() },
            freeze_bias: false,
            api: Api::Custom,
            penalty: crate::loss::Penalty::NONE,
            train_accuracy: TrainAccuracy::AfterEpoch,
        };
        ConfigReport::new(&train, None, 0.25, 9, crate::train::Engine::Tape)
    }

    fn evaluation(loss: f64, confusion: Vec<Vec<usize>>) -> Evaluation {
        let correct = (0..confusion.len()).map(|i| confusion[i][i]).sum();
        let rows: usize = confusion.iter().flatten().sum();
        Evaluation { loss, fit: Fit::Classes { accuracy: correct as f64 / rows as f64, correct, confusion } }
    }

    fn model() -> Model {
        Model::single_dense(array![[1.0, 0.0], [0.0, 1.0]], None).unwrap()
    }

    /// The header names the engine that ran the steps, as the JSON report's `engine` does: the
    /// compiled engine by default, the tape when a trace asked for it.
    #[test]
    fn the_header_names_the_engine_that_ran() {
        let sgd = Optimizer::sgd(0.5).unwrap();
        let stax = |engine| {
            let mut c = config(sgd, None, "e");
            c.train.api = Api::Stax;
            c.engine = engine;
            header(&data(0), &c, &model())
        };
        let compiled = crate::engine::compiled::train::EngineOptions { dtype: Dtype::F32, threads: 1 };
        assert!(stax(Engine::Compiled(compiled)).contains("gradient by the compiled engine (f32), seed 9"));
        assert!(stax(Engine::Tape).contains("gradient by tape (stax), seed 9"));
    }

    #[test]
    fn the_header_describes_data_model_and_settings() {
        let adam = Optimizer::adam(0.01).unwrap();
        let text = header(&data(1), &config(adam, Some(2), "3"), &model());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Data: tiny.csv, 4 rows (3 training, 1 test rows), 2 features, 2 classes: a, bb");
        // 2×2 weights, no bias: 4 parameters.
        assert_eq!(lines[1], "Model: serial(Dense(2, no bias), Softmax), 4 parameters");
        // Adam's constants are JAX's: b1 0.9, b2 0.999, eps 1e-8.
        assert_eq!(
            lines[2],
            "Training: adam (step size 0.01, b1 0.9, b2 0.999, eps 1e-8), 5 epochs, batches of 2, in data order, \
             loss in log base 3, gradient by hand-derived (custom), seed 9"
        );
        assert_eq!(lines[3], "");

        // A batch as large as the training rows is the full batch; bits are base 2's unit.
        let momentum = Optimizer::momentum(0.1, 0.9).unwrap();
        let text = header(&data(0), &config(momentum, Some(3), "2"), &model());
        assert!(text.contains("(3 training, no test rows)"), "{text}");
        assert!(text.contains("momentum (step size 0.1, mass 0.9), 5 epochs, full batch (3 rows)"), "{text}");
        assert!(text.contains("loss in bits"), "{text}");
    }

    #[test]
    fn epoch_lines_sit_under_the_header_s_columns() {
        let text = header(&data(1), &config(Optimizer::sgd(0.5).unwrap(), None, "e"), &model());
        let heads = text.lines().last().unwrap();
        let stats = EpochStats {
            epoch: 12,
            loss: 0.25,
            train_accuracy: Some(2.0 / 3.0),
            test_accuracy: Some(1.0),
            test_loss: Some(0.3),
        };
        let line = epoch_line(&stats);
        assert!(line.ends_with('\n'));
        let end = |s: &str, word: &str| s.find(word).unwrap() + word.len();
        // Numbers are right-aligned under right-aligned heads, the loss left-aligned under its head.
        assert_eq!(end(&line, "12"), end(heads, "epoch"));
        assert_eq!(line.find("0.25"), heads.find("loss"));
        assert_eq!(line.find("0.3 "), heads.find("test loss"));
        // 2/3 to four places is 0.6667.
        assert_eq!(end(&line, "0.6667"), end(heads, "train acc"));
        assert_eq!(end(&line, "1.0000"), end(heads, "test acc"));

        let no_test = epoch_line(&EpochStats { test_accuracy: None, ..stats.clone() });
        assert_eq!(end(&no_test, "-"), end(heads, "test acc"));

        // Any magnitude keeps the columns: a huge epoch count and the longest loss there is.
        let wide = epoch_line(&EpochStats { epoch: 10_000_000, loss: -1.2345678e-300, ..stats });
        assert_eq!(end(&wide, "10000000"), end(heads, "epoch"));
        assert_eq!(end(&wide, "0.6667"), end(heads, "train acc"));
    }

    #[test]
    fn the_summary_shows_the_test_confusion_when_there_is_a_test_part() {
        let report = |test: Option<Evaluation>| TrainReport {
            schema: 1,
            data: data(test.as_ref().map_or(0, |_| 2)),
            config: config(Optimizer::sgd(0.5).unwrap(), None, "e"),
            epochs: Vec::new(),
            changes: Vec::new(),
            final_: Final { train: evaluation(0.5, vec![vec![1, 0], vec![1, 1]]), test },
            model: model().to_file(),
        };
        let text = summary(&report(Some(evaluation(0.125, vec![vec![0, 1], vec![0, 1]]))));
        let lines: Vec<&str> = text.lines().collect();
        // "final" in 10 columns, a space, the loss head right-aligned in 12, two spaces, "accuracy".
        assert_eq!(lines[1], "final       loss (nats)  accuracy");
        // The loss right-aligned in 12 columns, the accuracy to four places in 8.
        assert_eq!(lines[2], "train               0.5    0.6667  (2/3 right)");
        assert_eq!(lines[3], "test              0.125    0.5000  (1/2 right)");
        assert_eq!(lines[5], "Confusion matrix, test rows (rows: true class, columns: predicted):");
        // Class columns are 5 wide at least, the name column 4.
        assert_eq!(&lines[6..], ["          a     bb", "a         0      1", "bb        0      1"]);

        let text = summary(&report(None));
        assert!(!text.contains("\ntest "), "{text}");
        assert!(text.contains("Confusion matrix, training rows"), "{text}");
        assert!(text.ends_with("a         1      0\nbb        1      1\n"), "{text}");
    }
}

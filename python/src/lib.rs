//! `gradlens._native`: the Python face of the gradlens library. It turns keyword arguments and
//! numpy arrays into the library's options ([`convert`]), calls the library ([`pipeline`]) and
//! hands back its records: an explanation renders as the CLI's JSON, text, Markdown and HTML; a
//! training report is the CLI's `--format json` with numpy arrays beside it. The Python package
//! (`python/gradlens/__init__.py`) only coerces arguments to numpy and re-exports.

mod convert;
mod pipeline;

use convert::{Function, error, invalid};
use gradlens::data::{TargetKind, Targets};
use gradlens::engine::compiled::Dtype;
use gradlens::model::ModelFile;
use gradlens::render::{Format, render_steps};
use gradlens::run::data::DataOptions;
use gradlens::run::explain::{ExplainOptions, Target};
use gradlens::run::train::TrainSettings;
use gradlens::train::Engine;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::Path;

/// A network: its layers and parameters (a model file's content, weights rows = output units).
#[pyclass(module = "gradlens", name = "Model", frozen)]
#[derive(Clone)]
struct PyModel {
    file: ModelFile,
}

/// Holds `file` to the library's model rules, so a bad model fails where it was made; a fault
/// is named by where it is (`layers[0].bias: …`) after `what` the model came from.
fn checked(file: ModelFile, what: &str) -> PyResult<PyModel> {
    match file.to_model(Path::new(what)) {
        Ok(_) => Ok(PyModel { file }),
        Err(gradlens::Error::ModelFile { at, why, .. }) => Err(invalid(what, format!("{at}: {why}"))),
        Err(e) => Err(error(e, Function::Explain)),
    }
}

#[pymethods]
impl PyModel {
    /// A model file, as `gradlens train --save` writes it.
    #[staticmethod]
    fn load(path: std::path::PathBuf) -> PyResult<PyModel> {
        let file = ModelFile::load(&path).map_err(|e| error(e, Function::Explain))?;
        file.to_model(&path).map_err(|e| error(e, Function::Explain))?;
        Ok(PyModel { file })
    }

    /// A model file's JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PyModel> {
        let file = ModelFile::parse(text, Path::new("model")).map_err(|e| error(e, Function::Explain))?;
        checked(file, "model")
    }

    /// stax layer names and stax's params (see `convert::from_stax`).
    #[staticmethod]
    fn from_stax(layers: Vec<String>, params: &Bound<'_, PyList>) -> PyResult<PyModel> {
        checked(convert::from_stax(&layers, params)?, "from_stax")
    }

    /// The parameters as stax keeps them: `(W, b)` with W in×out per Dense, `()` otherwise.
    fn to_stax_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        convert::stax_params(py, &self.file)
    }

    /// The model file's JSON text.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.file).expect("a model file serialises")
    }

    /// Each layer's type: `dense`, `tanh`, …, `softmax`.
    #[getter]
    fn layers(&self) -> Vec<String> {
        let json = serde_json::to_value(&self.file.layers).expect("layers serialise");
        json.as_array().into_iter().flatten().map(|l| l["type"].as_str().unwrap_or_default().to_string()).collect()
    }

    /// Each dense layer's `{"weights": W (out×in), "bias": b or None}`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        convert::dense_arrays(py, &self.file)
    }

    fn __repr__(&self) -> String {
        format!("gradlens.Model({})", self.layers().join(", "))
    }
}

/// One or more explained update steps.
#[pyclass(module = "gradlens", name = "Explanation", frozen)]
struct PyExplanation {
    steps: Vec<gradlens::trace::Explanation>,
    /// The model after the last step, with the given model's names and scaler.
    new_model: ModelFile,
}

#[pymethods]
impl PyExplanation {
    /// The CLI's `--format json`: a dict for one step, a list of dicts for several.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (render_steps(&self.steps, Format::Json, false),))
    }

    /// The walk-through for an 80-column terminal (`--format text`).
    fn text(&self) -> String {
        render_steps(&self.steps, Format::Text, false)
    }

    /// GitHub-flavoured Markdown with `$…$` math (`--format markdown`).
    fn markdown(&self) -> String {
        render_steps(&self.steps, Format::Markdown, false)
    }

    /// One self-contained page (`--format html`): inline CSS, SVG diagram, MathML, no script.
    fn html(&self) -> String {
        render_steps(&self.steps, Format::Html, false)
    }

    /// Step `k` (from 0; negative from the end) on its own.
    fn __getitem__(&self, k: isize) -> PyResult<PyExplanation> {
        let n = self.steps.len() as isize;
        let i = if k < 0 { n + k } else { k };
        if !(0..n).contains(&i) {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!("step {k}: there are {n}")));
        }
        let step = self.steps[i as usize].clone();
        let new_model = after(&self.new_model, &step);
        Ok(PyExplanation { steps: vec![step], new_model })
    }

    /// The model after the last step: `new_model.to_stax_params()` are stax's params after it.
    #[getter]
    fn new_model(&self) -> PyModel {
        PyModel { file: self.new_model.clone() }
    }

    /// The walk-through in a notebook: the page in a frame of its own, so that its style cannot
    /// restyle the notebook (nor the notebook's restyle it).
    fn _repr_html_(&self) -> String {
        format!(
            "<iframe class=\"gradlens\" srcdoc=\"{}\" style=\"box-sizing: border-box; width: 100%; height: 48rem; \
             border: 1px solid #d0d0d0;\"></iframe>\n",
            attribute(&self.html())
        )
    }

    fn __len__(&self) -> usize {
        self.steps.len()
    }

    /// The loss before the first step.
    #[getter]
    fn loss(&self) -> f64 {
        self.steps[0].loss
    }

    /// The loss after the last step.
    #[getter]
    fn new_loss(&self) -> f64 {
        self.steps[self.steps.len() - 1].new_loss
    }

    fn __repr__(&self) -> String {
        format!(
            "gradlens.Explanation({} step{}, loss {} → {})",
            self.steps.len(),
            if self.steps.len() == 1 { "" } else { "s" },
            self.loss(),
            self.new_loss()
        )
    }
}

/// `text` as an HTML attribute's value (in double quotes).
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `file` with the parameters (and the optimizer's state) `step` left.
fn after(file: &ModelFile, step: &gradlens::trace::Explanation) -> ModelFile {
    file.stepped(step)
}

/// The step's keywords beside the sample's, as `python/gradlens/__init__.py` passes them (a
/// dict): the optimizer and its settings, the weight penalty, the feature inputs.
#[derive(Default, FromPyObject)]
#[pyo3(from_item_all)]
struct StepKeywords {
    optimizer: Option<String>,
    momentum: Option<f64>,
    b1: Option<f64>,
    b2: Option<f64>,
    eps: Option<f64>,
    l2: Option<f64>,
    l1: Option<f64>,
    features: Option<String>,
}

/// `gradlens explain`: the arguments as `python/gradlens/__init__.py` has normalised them
/// (`x` 2-D, `target` one entry per sample).
#[pyfunction]
#[pyo3(signature = (model, x, target, weights, bias, sample, lr, loss, log_base, freeze_bias, steps, step))]
#[allow(clippy::too_many_arguments)]
fn explain(
    py: Python<'_>,
    model: Option<PyRef<'_, PyModel>>,
    x: Option<PyReadonlyArray2<'_, f64>>,
    target: Vec<Bound<'_, PyAny>>,
    weights: Option<PyReadonlyArray2<'_, f64>>,
    bias: Option<PyReadonlyArray1<'_, f64>>,
    sample: Vec<usize>,
    lr: Option<f64>,
    loss: Option<String>,
    log_base: Option<String>,
    freeze_bias: bool,
    steps: usize,
    step: StepKeywords,
) -> PyResult<PyExplanation> {
    let options = ExplainOptions {
        x: x.as_ref().map(convert::rows).unwrap_or_default(),
        target: target.iter().enumerate().map(|(i, t)| convert::target(t, i)).collect::<PyResult<Vec<Target>>>()?,
        weights: weights.as_ref().map(convert::rows),
        bias: bias.map(|b| b.as_array().to_vec()),
        model: model.map(|m| m.file.clone()),
        model_path: None,
        sample,
        lr,
        loss,
        log_base: log_base.map(|b| b.parse()).transpose().map_err(|e| error(e, Function::Explain))?,
        freeze_bias,
        l2: step.l2,
        l1: step.l1,
        optimizer: step.optimizer,
        momentum: step.momentum,
        b1: step.b1,
        b2: step.b2,
        eps: step.eps,
        features: step.features,
    };
    let (steps, start) = py.detach(|| pipeline::explain(&options, steps)).map_err(|e| error(e, Function::Explain))?;
    let new_model = after(&start, steps.last().expect("one step at least"));
    Ok(PyExplanation { steps, new_model })
}

/// One of `names`, or a message naming the keyword and the choices.
fn choice<'a>(keyword: &str, given: &str, names: &[&'a str]) -> PyResult<&'a str> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(given))
        .copied()
        .ok_or_else(|| invalid(&format!("{keyword}='{given}'"), format!("expected {}", names.join(", "))))
}

/// The engine `engine`, `dtype` and `threads` ask for (`train`'s and `predict`'s options).
fn engine(engine: &str, dtype: &str, threads: Option<usize>, function: Function) -> PyResult<Engine> {
    let compiled = choice("engine", engine, &["compiled", "tape"])? == "compiled";
    let dtype = match choice("dtype", dtype, &["float64", "float32", "f64", "f32"])? {
        "float32" | "f32" => Dtype::F32,
        _ => Dtype::F64,
    };
    Engine::new(compiled, dtype, threads).map_err(|e| error(e, function))
}

/// `gradlens train`. `settings` is [`TrainSettings`] as JSON (the Python function's keyword
/// arguments, so that every name, rule and default is the library's); the data and the engine
/// are read here, as the CLI reads them. Returns the report as `--format json` writes it (a
/// dict), with numpy arrays added: `curves` (each epoch's figures, NaN where the JSON has null)
/// and `weights` (each dense layer's W, out×in, and b).
#[pyfunction]
#[pyo3(signature = (data, settings, *, x = None, y = None, labels = None, label = None, targets = None, points = None,
                    noise = None, model = None, engine = "compiled", dtype = "float64", threads = None))]
#[allow(clippy::too_many_arguments)]
fn train<'py>(
    py: Python<'py>,
    data: String,
    settings: &str,
    x: Option<PyReadonlyArray2<'_, f64>>,
    y: Option<&Bound<'_, PyAny>>,
    labels: Option<std::path::PathBuf>,
    label: Option<String>,
    targets: Option<&str>,
    points: Option<usize>,
    noise: Option<f64>,
    model: Option<PyRef<'_, PyModel>>,
    engine: &str,
    dtype: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let settings: TrainSettings = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(settings))
        .map_err(|e| {
        let path = e.path().to_string();
        let why = e.inner().to_string();
        let why = why.rsplit_once(" at line ").map_or(why.as_str(), |(w, _)| w).to_string();
        invalid(if path == "." { "train" } else { &path }, why)
    })?;
    let targets = targets
        .map(|t| choice("targets", t, &["classes", "values"]))
        .transpose()?
        .map(|t| if t == "values" { TargetKind::Values } else { TargetKind::Classes });
    // Arrays in memory (x, and y as int64 classes or float64 values, rows × columns) are read as
    // a .npz of them would be, without a file.
    let arrays = match (x, y) {
        (Some(x), Some(y)) => {
            let target = if targets == Some(TargetKind::Values) {
                let values = y.extract::<PyReadonlyArray2<'_, f64>>().map_err(|e| invalid("data[1] (y)", e))?;
                Targets::finite_values(values.as_array().to_owned(), Path::new("arrays"))
                    .map_err(|e| error(e, Function::Train))?
            } else {
                let classes = y.extract::<PyReadonlyArray1<'_, i64>>().map_err(|e| invalid("data[1] (y)", e))?;
                Targets::integer_classes(classes.as_array().to_vec())
            };
            Some((x.as_array().to_owned(), target))
        }
        (None, None) => None,
        _ => return Err(invalid("data", "a pair (x, y) of arrays")),
    };
    let source = DataOptions { data, labels, label, targets, points, noise };
    let (start, engine) = (model.map(|m| m.file.clone()), self::engine(engine, dtype, threads, Function::Train)?);
    // The run holds no Python object: other threads (a notebook's UI) go on while it trains.
    let report = py
        .detach(|| pipeline::train(settings, &source, arrays, start, engine))
        .map_err(|e| error(e, Function::Train))?;
    let dict = py.import("json")?.call_method1("loads", (gradlens::render::training::json(&report),))?;
    let dict = dict.cast_into::<PyDict>()?;
    let curves = PyDict::new(py);
    let column = |f: &dyn Fn(&gradlens::train::EpochStats) -> Option<f64>| -> Vec<f64> {
        report.epochs.iter().map(|e| f(e).unwrap_or(f64::NAN)).collect()
    };
    curves.set_item("epoch", convert::to_numpy1(py, column(&|e| Some(e.epoch as f64))))?;
    curves.set_item("loss", convert::to_numpy1(py, column(&|e| Some(e.loss))))?;
    curves.set_item("train_accuracy", convert::to_numpy1(py, column(&|e| e.train_accuracy)))?;
    curves.set_item("test_accuracy", convert::to_numpy1(py, column(&|e| e.test_accuracy)))?;
    curves.set_item("test_loss", convert::to_numpy1(py, column(&|e| e.test_loss)))?;
    dict.set_item("curves", curves)?;
    dict.set_item("weights", convert::dense_arrays(py, &report.model)?)?;
    Ok(dict)
}

/// `gradlens predict`: `--format json` as a dict, with `outputs` (the numbers behind each row:
/// probabilities, the model's outputs, or its values) as an array, rows × outputs.
#[pyfunction]
#[pyo3(signature = (model, x, *, engine = "compiled", dtype = "float64", threads = None))]
fn predict<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyModel>,
    x: PyReadonlyArray2<'_, f64>,
    engine: &str,
    dtype: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let (file, rows) = (model.file.clone(), convert::matrix(&x));
    let engine = self::engine(engine, dtype, threads, Function::Predict)?;
    let (record, numbers) =
        py.detach(|| pipeline::predict(file, rows, engine)).map_err(|e| error(e, Function::Predict))?;
    let dict = py.import("json")?.call_method1("loads", (record.to_string(),))?.cast_into::<PyDict>()?;
    dict.set_item("outputs", convert::to_numpy2(py, numbers))?;
    Ok(dict)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_class::<PyExplanation>()?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    Ok(())
}

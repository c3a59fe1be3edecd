//! `gradlens._native`: the Python face of the gradlens library. It turns keyword arguments and
//! numpy arrays into the library's options ([`convert`]), calls the library ([`pipeline`]) and
//! hands back its records: an explanation renders as the CLI's JSON, text, Markdown and HTML; a
//! training report is the CLI's `--format json` with numpy arrays beside it. The Python package
//! (`python/gradlens/__init__.py`) only coerces arguments to numpy and re-exports.

mod convert;
mod pipeline;

use convert::{Function, error, invalid};
use gradlens::engine::compiled::Dtype;
use gradlens::explain_options::{ExplainOptions, Target};
use gradlens::model::ModelFile;
use gradlens::render::{Format, render};
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

impl PyExplanation {
    /// Every step as text or Markdown, several framed as the CLI frames them (a heading each).
    fn rendered(&self, markdown: bool) -> String {
        let format = if markdown { Format::Markdown } else { Format::Text };
        match self.steps.as_slice() {
            [one] => render(one, format, false),
            many => {
                let mut all = String::new();
                for (k, e) in many.iter().enumerate() {
                    let heading = format!("Step {} of {}", k + 1, many.len());
                    all.push_str(&if markdown {
                        format!("# {heading}\n\n")
                    } else {
                        format!("════ {heading} ════\n\n")
                    });
                    all.push_str(&render(e, format, false));
                    all.push('\n');
                }
                all
            }
        }
    }
}

#[pymethods]
impl PyExplanation {
    /// The CLI's `--format json`: a dict for one step, a list of dicts for several.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = match self.steps.as_slice() {
            [one] => gradlens::render::json(one),
            many => {
                let parts: Vec<String> =
                    many.iter().map(|e| gradlens::render::json(e).trim_end().to_string()).collect();
                format!("[\n{}\n]\n", parts.join(",\n"))
            }
        };
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The walk-through for an 80-column terminal (`--format text`).
    fn text(&self) -> String {
        self.rendered(false)
    }

    /// GitHub-flavoured Markdown with `$…$` math (`--format markdown`).
    fn markdown(&self) -> String {
        self.rendered(true)
    }

    /// One self-contained page (`--format html`): inline CSS, SVG diagram, MathML, no script.
    fn html(&self) -> PyResult<String> {
        match self.steps.as_slice() {
            [one] => Ok(render(one, Format::Html, false)),
            many => Err(invalid(
                "html",
                format!("{} steps are {} pages: take one with explanation[k]", many.len(), many.len()),
            )),
        }
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

    /// The walk-through in a notebook: each step's page in its own frame, so the page's style
    /// cannot restyle the notebook (and the notebook's cannot restyle it).
    fn _repr_html_(&self) -> String {
        let n = self.steps.len();
        let mut out = String::new();
        for (k, step) in self.steps.iter().enumerate() {
            if n > 1 {
                out.push_str(&format!("<h3>Step {} of {n}</h3>\n", k + 1));
            }
            out.push_str(&format!(
                "<iframe class=\"gradlens\" srcdoc=\"{}\" style=\"box-sizing: border-box; width: 100%; height: 48rem; \
                 border: 1px solid #d0d0d0;\"></iframe>\n",
                attribute(&render(step, Format::Html, false))
            ));
        }
        out
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

/// `file` with the parameters `step` left (its dense layers' new weights and biases).
fn after(file: &ModelFile, step: &gradlens::trace::Explanation) -> ModelFile {
    use gradlens::model::LayerFile;
    use gradlens::trace::LayerTrace;
    let mut new = step.layers.iter().filter_map(|l| match l {
        LayerTrace::Dense(d) => Some(d),
        _ => None,
    });
    let layers = file
        .layers
        .iter()
        .map(|layer| match layer {
            LayerFile::Dense { .. } => {
                let d = new.next().expect("a dense trace per dense layer");
                LayerFile::Dense {
                    weights: d.new_weights.rows().into_iter().map(|r| r.to_vec()).collect(),
                    bias: d.new_bias.clone(),
                }
            }
            other => other.clone(),
        })
        .collect();
    ModelFile { layers, ..file.clone() }
}

/// `gradlens explain`: the arguments as `python/gradlens/__init__.py` has normalised them
/// (`x` 2-D, `target` one entry per sample).
#[pyfunction]
#[pyo3(signature = (model, x, target, weights, bias, sample, lr, loss, log_base, freeze_bias, steps))]
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
) -> PyResult<PyExplanation> {
    if !(1..=pipeline::MAX_STEPS).contains(&steps) {
        return Err(invalid(&format!("steps={steps}"), format!("take 1 to {} steps", pipeline::MAX_STEPS)));
    }
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
    };
    let (steps, model) =
        py.detach(|| pipeline::explain_steps(&options, steps)).map_err(|e| error(e, Function::Explain))?;
    let new_model = ModelFile { layers: model.to_file().layers, ..options.model.unwrap_or_else(|| model.to_file()) };
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

fn dtype(given: &str) -> PyResult<Dtype> {
    Ok(match choice("dtype", given, &["float64", "float32", "f64", "f32"])? {
        "float32" | "f32" => Dtype::F32,
        _ => Dtype::F64,
    })
}

/// `gradlens train`: the report as `--format json` writes it (a dict), with numpy arrays added:
/// `curves` (each epoch's figures, NaN where the JSON has null) and `weights` (each dense layer's
/// W out×in and b).
#[pyfunction]
#[pyo3(signature = (
    data, labels, shown_as, *, label = None, targets = None, scale = "standard", test_fraction = gradlens::train::defaults::TEST_FRACTION,
    seed = 0, model = None, hidden = Vec::new(), activation = None, output_layer = None, bias = true,
    init = "glorot", api = "stax", optimizer = "sgd", lr = gradlens::train::defaults::LEARNING_RATE,
    momentum = None, epochs = gradlens::train::defaults::EPOCHS, batch_size = None, shuffle = true, loss = None,
    freeze_bias = false, log_base = None, engine = "compiled", dtype = "float64", threads = None
))]
#[allow(clippy::too_many_arguments)]
fn train<'py>(
    py: Python<'py>,
    data: String,
    labels: Option<String>,
    shown_as: String,
    label: Option<String>,
    targets: Option<&str>,
    scale: &str,
    test_fraction: f64,
    seed: u64,
    model: Option<PyRef<'_, PyModel>>,
    hidden: Vec<usize>,
    activation: Option<&str>,
    output_layer: Option<String>,
    bias: bool,
    init: &str,
    api: &str,
    optimizer: &str,
    lr: f64,
    momentum: Option<f64>,
    epochs: usize,
    batch_size: Option<usize>,
    shuffle: bool,
    loss: Option<String>,
    freeze_bias: bool,
    log_base: Option<String>,
    engine: &str,
    dtype: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    use gradlens::data::{ScaleKind, TargetKind};
    let activation =
        activation.map(|a| a.parse().map_err(|why: String| invalid(&format!("activation='{a}'"), why))).transpose()?;
    let options = pipeline::TrainOptions {
        source: pipeline::DataSource { data, labels, shown_as },
        label,
        targets: targets
            .map(|t| choice("targets", t, &["classes", "values"]))
            .transpose()?
            .map(|t| if t == "values" { TargetKind::Values } else { TargetKind::Classes }),
        scale: match choice("scale", scale, &["standard", "minmax", "none"])? {
            "standard" => Some(ScaleKind::Standard),
            "minmax" => Some(ScaleKind::Minmax),
            _ => None,
        },
        test_fraction,
        seed,
        model: model.map(|m| m.file.clone()),
        hidden,
        activation,
        output_layer,
        bias,
        init: match choice("init", init, &["glorot", "uniform", "zeros"])? {
            "glorot" => gradlens::layers::Init::GlorotNormal,
            "uniform" => gradlens::layers::Init::UNIFORM,
            _ => gradlens::layers::Init::Zeros,
        },
        api: match choice("api", api, &["stax", "custom"])? {
            "custom" => gradlens::train::Api::Custom,
            _ => gradlens::train::Api::Stax,
        },
        optimizer: choice("optimizer", optimizer, &["sgd", "momentum", "adam"])?.to_string(),
        lr,
        momentum,
        epochs,
        batch_size,
        shuffle,
        loss,
        freeze_bias,
        log_base: log_base.map(|b| b.parse()).transpose().map_err(|e| error(e, Function::Train))?,
        compiled: choice("engine", engine, &["compiled", "tape"])? == "compiled",
        dtype: self::dtype(dtype)?,
        threads,
    };
    // The run holds no Python object: other threads (a notebook's UI) go on while it trains.
    let report = py.detach(|| pipeline::train(&options)).map_err(|e| error(e, Function::Train))?;
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

/// `gradlens predict`: `--format json` as a dict, with `outputs` (probabilities for a classifier,
/// values otherwise) as an array, rows × outputs.
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
    let compiled = choice("engine", engine, &["compiled", "tape"])? == "compiled";
    let (file, raw, dtype) = (model.file.clone(), convert::matrix(&x), self::dtype(dtype)?);
    let (json, outputs) = py
        .detach(|| pipeline::predict(&file, raw, compiled, dtype, threads))
        .map_err(|e| error(e, Function::Predict))?;
    let dict = py.import("json")?.call_method1("loads", (json,))?.cast_into::<PyDict>()?;
    dict.set_item("outputs", convert::to_numpy2(py, outputs))?;
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

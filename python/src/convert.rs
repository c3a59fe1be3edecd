//! Python values ↔ the library's types, and nothing else: numpy arrays to rows and back, targets
//! as a notebook writes them, stax's parameters to a model file's layers and back (the one place
//! where stax's in×out weights are transposed), and a library error to the `ValueError` a user
//! sees, its setting named by the keyword argument that set it.

use gradlens::error::Setting;
use gradlens::model::{LayerFile, ModelFile};
use gradlens::run::explain::Target;
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Which function a message is about: `explain`'s samples are its `x` and `target` keywords,
/// while `train` and `predict` read them from data, where the library's own words fit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Explain,
    Train,
    Predict,
}

/// The keyword argument that sets `setting`, where one does: the library's name for it
/// ([`Setting::option_name`]), and `explain`'s `x` and `target` (`predict`'s `x` too;
/// [`Setting::sample_option_name`]).
fn keyword(setting: Setting, function: Function) -> Option<&'static str> {
    let sample = match function {
        Function::Explain => setting.sample_option_name(),
        Function::Predict => setting.sample_option_name().filter(|_| setting == Setting::Inputs),
        Function::Train => None,
    };
    sample.or(setting.option_name())
}

/// The CLI's one-line message with the keyword in place of the option: `lr=0: the step size
/// must be a positive finite number` where the CLI says `--lr 0: …`.
pub fn error(e: gradlens::Error, function: Function) -> PyErr {
    let line = match &e {
        gradlens::Error::Invalid { setting, value, why } if let Some(kw) = keyword(*setting, function) => match value {
            Some(v) => format!("{kw}={v}: {why}"),
            None => format!("{kw}: {why}"),
        },
        _ => e.to_string(),
    };
    PyValueError::new_err(line)
}

/// A message about an argument the library never sees (its Python type or shape).
pub fn invalid(keyword: &str, why: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{keyword}: {why}"))
}

/// A 2-D float64 array as rows (the options' form).
pub fn rows(a: &PyReadonlyArray2<f64>) -> Vec<Vec<f64>> {
    a.as_array().rows().into_iter().map(|r| r.to_vec()).collect()
}

/// A 2-D float64 array as an owned matrix.
pub fn matrix(a: &PyReadonlyArray2<f64>) -> Array2<f64> {
    a.as_array().to_owned()
}

/// Rows of a model file (`weights`, rows = output units) as a 2-D array.
fn rows_to_array(rows: &[Vec<f64>]) -> Array2<f64> {
    let cols = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("a model file's rows are checked rectangular")
}

pub fn to_numpy2<'py>(py: Python<'py>, a: Array2<f64>) -> Bound<'py, PyArray2<f64>> {
    a.into_pyarray(py)
}

pub fn to_numpy1<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    Array1::from(v).into_pyarray(py)
}

/// One sample's target as a notebook gives it: an int (a class), a str (a class name, or a
/// number as text), a float (one output's value) or a sequence of floats (one per output).
pub fn target(item: &Bound<'_, PyAny>, i: usize) -> PyResult<Target> {
    if item.is_instance_of::<pyo3::types::PyBool>() {
        return Err(invalid("target", format!("sample {}: True/False is not a class; give an index", i + 1)));
    }
    if let Ok(index) = item.extract::<usize>() {
        return Ok(Target::Index(index));
    }
    if let Ok(number) = item.extract::<f64>() {
        return Ok(Target::Number(number));
    }
    if let Ok(name) = item.extract::<String>() {
        return Ok(Target::Name(name));
    }
    if let Ok(numbers) = item.extract::<PyReadonlyArray1<f64>>() {
        return Ok(Target::Numbers(numbers.as_array().to_vec()));
    }
    item.extract::<Vec<f64>>().map(Target::Numbers).map_err(|_| {
        invalid("target", format!("sample {}: a class (int or name) or numbers, not {}", i + 1, type_name(item)))
    })
}

fn type_name(item: &Bound<'_, PyAny>) -> String {
    item.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "this".into())
}

/// The stax layer names gradlens has, lower-cased, with the model file's word for each:
/// `stax.Dense`, `stax.Softmax`, `stax.LogSoftmax` and the elementwise layers of the same name.
fn layer_type(stax_name: &str) -> Option<&'static str> {
    let key: String = stax_name.chars().filter(|c| *c != '_').collect::<String>().to_ascii_lowercase();
    Some(match key.as_str() {
        "dense" => "dense",
        "softmax" => "softmax",
        "logsoftmax" => "logsoftmax",
        "identity" => "identity",
        "tanh" => "tanh",
        "relu" => "relu",
        "sigmoid" => "sigmoid",
        "softplus" => "softplus",
        "leakyrelu" => "leaky_relu",
        _ => return None,
    })
}

/// stax's `(layers, params)` as a model file: `layers` are stax layer names, `params` stax's list,
/// a `(W, b)` pair (W in×out, as stax keeps it) for each `Dense` and `()` for every other layer.
/// **The transpose between stax's in×out and gradlens's out×in happens here and in
/// [`stax_params`], nowhere else.**
pub fn from_stax(names: &[String], params: &Bound<'_, PyList>) -> PyResult<ModelFile> {
    if names.len() != params.len() {
        return Err(invalid(
            "params",
            format!(
                "{} entries for {} layers: stax keeps one per layer, () for a layer without",
                params.len(),
                names.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(names.len());
    for (i, (name, p)) in names.iter().zip(params.iter()).enumerate() {
        let kind = layer_type(name).ok_or_else(|| {
            invalid(
                "layers",
                format!(
                    "layers[{i}] is '{name}': gradlens has Dense, Softmax, LogSoftmax, Identity, Tanh, Relu, LeakyRelu, \
                     Sigmoid and Softplus"
                ),
            )
        })?;
        let p = p.cast::<PyTuple>().map_err(|_| invalid("params", format!("params[{i}] is not a tuple")))?;
        layers.push(match kind {
            "dense" => {
                if p.len() != 2 {
                    return Err(invalid(
                        "params",
                        format!("params[{i}] (Dense) must be (W, b), not {} arrays", p.len()),
                    ));
                }
                let w_in_out = p.get_item(0)?.extract::<PyReadonlyArray2<f64>>().map_err(|_| {
                    invalid("params", format!("params[{i}][0] (Dense's W) must be a 2-D float64 array"))
                })?;
                let bias = p.get_item(1)?;
                let bias = if bias.is_none() {
                    None
                } else {
                    let b = bias.extract::<PyReadonlyArray1<f64>>().map_err(|_| {
                        invalid("params", format!("params[{i}][1] (Dense's b) must be a 1-D float64 array or None"))
                    })?;
                    Some(b.as_array().to_vec())
                };
                let w_out_in = w_in_out.as_array().t().to_owned();
                LayerFile::Dense { weights: w_out_in.rows().into_iter().map(|r| r.to_vec()).collect(), bias }
            }
            _ if !p.is_empty() => {
                return Err(invalid("params", format!("params[{i}] ({name}) has no parameters: give ()")));
            }
            "softmax" => LayerFile::Softmax,
            "logsoftmax" => LayerFile::Logsoftmax,
            activation => LayerFile::Activation(activation.parse().expect("a listed activation")),
        });
    }
    Ok(ModelFile { layers, head: None, features: None, columns: None, scaler: None, training: None })
}

/// A model file's parameters as stax keeps them: `(W, b)` per dense layer with W in×out (the
/// transpose of [`from_stax`]) and `b` `None` for a layer without a bias, `()` for every other.
pub fn stax_params<'py>(py: Python<'py>, file: &ModelFile) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for layer in &file.layers {
        match layer {
            LayerFile::Dense { weights, bias } => {
                let w_in_out = rows_to_array(weights).t().to_owned();
                let b = bias.clone().map(|b| to_numpy1(py, b).into_any()).unwrap_or_else(|| py.None().into_bound(py));
                list.append(PyTuple::new(py, [to_numpy2(py, w_in_out).into_any(), b])?)?;
            }
            LayerFile::Activation(_) | LayerFile::Softmax | LayerFile::Logsoftmax => {
                list.append(PyTuple::empty(py))?;
            }
        }
    }
    Ok(list)
}

/// Each dense layer's weights (out×in, as the model file and `explain` write them) and bias.
pub fn dense_arrays<'py>(py: Python<'py>, file: &ModelFile) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for layer in &file.layers {
        if let LayerFile::Dense { weights, bias } = layer {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("weights", to_numpy2(py, rows_to_array(weights)))?;
            d.set_item("bias", bias.clone().map(|b| to_numpy1(py, b)))?;
            list.append(d)?;
        }
    }
    Ok(list)
}

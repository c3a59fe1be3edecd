//! A trained model as bytes to save: the model file (`train --save`) and one `.npy` per weight
//! matrix and bias (`train --save-npy`). Rendered in memory, so a face can write every file of a
//! run at once or none.

use crate::error::{Error, Result};
use crate::model::{Model, ModelFile};

/// The model file's text: pretty JSON with a final newline.
pub fn model_json(file: &ModelFile) -> Vec<u8> {
    crate::pretty_json::to_string(file).expect("a model file serialises").into_bytes()
}

/// The names of the .npy files of `model`, in the order [`npy_files`] renders them:
/// `layer{d}_weights.npy` and, where the layer has one, `layer{d}_bias.npy` for the d-th dense
/// layer. Dense layers are numbered from 1, as `explain` ("Layer 2") and the weights plot (W2)
/// number them.
pub fn npy_names(model: &Model) -> Vec<String> {
    let mut names = Vec::new();
    for (d, (_, _, b)) in model.dense_layers().enumerate() {
        names.push(format!("layer{}_weights.npy", d + 1));
        if b.is_some() {
            names.push(format!("layer{}_bias.npy", d + 1));
        }
    }
    names
}

/// Each dense layer's weights (out×in, rows = output units, as in the model file) and bias
/// (out), as .npy bytes named by [`npy_names`].
pub fn npy_files(model: &Model) -> Result<Vec<Vec<u8>>> {
    use ndarray_npy::WriteNpyExt;
    let failed = |e: ndarray_npy::WriteNpyError| Error::Io { path: "npy".into(), source: std::io::Error::other(e) };
    let mut files = Vec::new();
    for (_, w, b) in model.dense_layers() {
        let mut bytes = Vec::new();
        w.write_npy(&mut bytes).map_err(failed)?;
        files.push(bytes);
        if let Some(b) = b {
            let mut bytes = Vec::new();
            b.row(0).to_owned().write_npy(&mut bytes).map_err(failed)?;
            files.push(bytes);
        }
    }
    Ok(files)
}

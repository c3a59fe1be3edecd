//! Every file the binary reads comes through here: `-` is stdin, what is read is bounded (a
//! generous default per kind of file, `--max-input-size` to raise it, and the message says which
//! bound was hit), and a FIFO that no process writes to is given up on after a while instead of
//! blocking forever.

use anyhow::{Result, anyhow};
use gradlens::limits::{DEFAULT_MAX_DATA_BYTES, DEFAULT_MAX_MODEL_BYTES, bytes};
use gradlens::model::{Model, ModelFile};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// How long to wait for a writer on a FIFO before giving up.
const FIFO_WAIT: Duration = Duration::from_secs(10);

/// `--max-input-size`, when given: it replaces every kind's default.
static MAX_INPUT: OnceLock<u64> = OnceLock::new();

pub fn set_max_input(limit: Option<u64>) {
    if let Some(l) = limit {
        let _ = MAX_INPUT.set(l);
    }
}

/// The bound for one kind of input, and whether the user set it.
fn bound(default: u64) -> (u64, bool) {
    match MAX_INPUT.get() {
        Some(&l) => (l, true),
        None => (default, false),
    }
}

/// The bound on `--data` (the default, or `--max-input-size`), as numpy input takes it: it reads
/// files itself (straight into the matrix), not through [`open_data`].
pub fn numpy_limits() -> gradlens::data::NumpyLimits {
    let (max_bytes, user_set) = bound(DEFAULT_MAX_DATA_BYTES);
    gradlens::data::NumpyLimits { max_bytes, user_set }
}

/// A reader that fails once it has given `limit` bytes and there is more.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
    user_set: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // At the bound: anything more is too much; the end of the input is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "stopped reading at {}, the limit for this input ({})",
                    bytes(self.limit),
                    if self.user_set { "set by --max-input-size" } else { "raise it with --max-input-size" }
                ))),
            };
        }
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Opens `path` (`-`: stdin) for reading, bounded. A FIFO is opened on a helper thread, so one
/// with no writer ends in an error after [`FIFO_WAIT`] instead of a hang. The error is the reason
/// only; the caller names the file.
fn open(path: &Path, default_limit: u64) -> std::result::Result<Box<dyn Read + Send>, String> {
    let (limit, user_set) = bound(default_limit);
    let inner: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if meta.is_dir() {
            return Err("is a folder, not a file".into());
        }
        if meta.file_type().is_fifo() {
            let (tx, rx) = std::sync::mpsc::channel();
            let p = path.to_path_buf();
            std::thread::spawn(move || {
                let _ = tx.send(std::fs::File::open(p));
            });
            let file = rx
                .recv_timeout(FIFO_WAIT)
                .map_err(|_| format!("a FIFO that no process opened for writing within {} s", FIFO_WAIT.as_secs()))?;
            Box::new(file.map_err(|e| e.to_string())?)
        } else {
            Box::new(std::fs::File::open(path).map_err(|e| e.to_string())?)
        }
    };
    Ok(Box::new(Bounded { inner, left: limit, limit, user_set }))
}

/// A data CSV's reader as the library's data source opens it ([`gradlens::run::data::Reading`]):
/// [`open_data`]'s, its reason as the error.
pub fn data_reader(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    open(path, DEFAULT_MAX_DATA_BYTES).map_err(std::io::Error::other)
}

/// A data CSV's reader (`--data FILE` or `--data -`), bounded by the data default.
pub fn open_data(option: &str, path: &Path) -> Result<Box<dyn Read + Send>> {
    open(path, DEFAULT_MAX_DATA_BYTES).map_err(|why| anyhow!("{option} {}: {why}", path.display()))
}

/// A model file read within the size limit and parsed as strict JSON (see
/// `gradlens::strict_json`), not yet checked as a model.
pub fn read_model_file(path: &Path) -> Result<ModelFile> {
    let reading = |why: String| gradlens::Error::ModelFile { path: path.into(), at: "reading".into(), why };
    let mut text = String::new();
    open(path, DEFAULT_MAX_MODEL_BYTES)
        .map_err(reading)?
        .read_to_string(&mut text)
        .map_err(|e| reading(e.to_string()))?;
    Ok(ModelFile::parse(&text, path)?)
}

/// Reads and checks a model file: strict JSON, and a model that keeps the rules of a model
/// ([`Model::checked`](gradlens::model::Model)).
pub fn load_model(path: &Path) -> Result<(Model, ModelFile)> {
    let file = read_model_file(path)?;
    let model = file.to_model(path)?;
    Ok((model, file))
}

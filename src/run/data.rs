//! Where a run's rows come from, and the rules of naming them: Iris, a generated set, a CSV, a
//! numpy file, or arrays a caller holds. `gradlens train --data`, the Python binding's `train`
//! and a Rust caller give a [`DataOptions`] (what the user named), get one [`DataSource`] from
//! it ([`DataOptions::source`], where every rule about which options go together lives) and read
//! it with [`DataSource::load`], which also checks that the rows can be trained on.
//!
//! # Example
//! ```
//! use gradlens::data::TargetKind;
//! use gradlens::run::data::{DataOptions, DataSource, Reading};
//!
//! let options = DataOptions { data: "xor".into(), points: Some(40), ..DataOptions::default() };
//! assert_eq!(options.kind()?, TargetKind::Classes);
//! let rows = options.source()?.load(7, &Reading::default())?;
//! assert_eq!(rows.len(), 40);
//! # Ok::<(), gradlens::Error>(())
//! ```

use crate::data::{DEFAULT_POINTS, Dataset, Hold, IRIS, NumpyLimits, TargetColumns, TargetKind, Targets, Toy};
use crate::error::{Error, Result, Setting};
use ndarray::Array2;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The data as a face names it (`train`'s `--data`, `--labels`, `--label`, `--targets`,
/// `--points`, `--noise`; the Python keywords of the same names).
#[derive(Debug, Clone, PartialEq)]
pub struct DataOptions {
    /// `iris`, a generated set's name, or a CSV, `.npy` or `.npz` path (`-`: a CSV on stdin).
    pub data: String,
    /// The `.npy` of targets beside a `.npy` of features.
    pub labels: Option<PathBuf>,
    /// A CSV's target column(s), separated by commas.
    pub label: Option<String>,
    /// Classes or values, when given.
    pub targets: Option<TargetKind>,
    /// A generated set's size.
    pub points: Option<usize>,
    /// A generated set's noise.
    pub noise: Option<f64>,
}

impl Default for DataOptions {
    /// Iris.
    fn default() -> Self {
        DataOptions { data: IRIS.to_string(), labels: None, label: None, targets: None, points: None, noise: None }
    }
}

/// Where the rows come from, decided.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// Fisher's Iris, embedded.
    Iris,
    /// A generated set, drawn from the run's seed.
    Toy {
        /// Which.
        toy: Toy,
        /// How many points.
        points: usize,
        /// How far each moves at random.
        noise: f64,
    },
    /// A CSV with a header row.
    Csv {
        /// Its path (`-`: stdin), as the face opens it ([`Reading::open_csv`]).
        path: PathBuf,
        /// Which columns are the targets.
        columns: TargetColumns,
    },
    /// Numpy arrays in files: a `.npy` of features with a `.npy` of targets, or a `.npz` of both.
    Numpy {
        /// The features' file (or the archive).
        data: PathBuf,
        /// The targets' file, beside a `.npy`.
        labels: Option<PathBuf>,
        /// Classes or values.
        kind: TargetKind,
    },
    /// Arrays the caller holds (a Python caller's x and y).
    Arrays {
        /// n×f.
        features: Array2<f64>,
        /// One per row.
        target: Targets,
    },
}

/// How a face reads files: its CSV opener (the CLI's reads `-` as stdin and bounds what it
/// reads) and the bound on numpy input.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// Opens a CSV for reading.
    pub open_csv: fn(&Path) -> std::io::Result<Box<dyn Read + Send>>,
    /// The bound on numpy files.
    pub numpy: NumpyLimits,
    /// How the features are held (in memory as float64 or float32, or, for a `.npy`, mapped):
    /// the engine's choice for the run. A CSV is read as float32 for an f32 hold.
    pub hold: Hold,
}

impl Default for Reading {
    /// Files opened as they are, numpy within the default bound.
    fn default() -> Self {
        Reading {
            open_csv: |path| Ok(Box::new(std::fs::File::open(path)?) as Box<dyn Read + Send>),
            numpy: NumpyLimits::default(),
            hold: Hold::F64,
        }
    }
}

impl DataOptions {
    fn is_numpy(&self) -> bool {
        let lower = self.data.to_ascii_lowercase();
        lower.ends_with(".npy") || lower.ends_with(".npz")
    }

    /// Which columns of a CSV are the targets (`label`, `targets`).
    pub fn columns(&self) -> Result<TargetColumns> {
        TargetColumns::new(self.label.as_deref(), self.targets)
    }

    /// The kind of targets the rows will have, known before any is read: a generated set's own,
    /// else what `label` and `targets` say. A face checks its settings against it early.
    pub fn kind(&self) -> Result<TargetKind> {
        match Toy::from_name(&self.data) {
            Some(toy) => Ok(toy.kind()),
            None => Ok(self.columns()?.kind()),
        }
    }

    /// The settings given that the source will not read (a generated set's size and noise, for
    /// any other data): a face may say so.
    pub fn unread(&self) -> Vec<Setting> {
        if Toy::from_name(&self.data).is_some() {
            return Vec::new();
        }
        [(Setting::Points, self.points.is_some()), (Setting::Noise, self.noise.is_some())]
            .into_iter()
            .filter_map(|(setting, given)| given.then_some(setting))
            .collect()
    }

    /// The source these options name, every rule about which options go together checked.
    pub fn source(&self) -> Result<DataSource> {
        let columns = self.columns()?;
        let numpy = self.is_numpy();
        if let (Some(labels), false) = (&self.labels, numpy) {
            return Err(Error::invalid_value(
                Setting::LabelsFile,
                labels.display(),
                "only with --data X.npy (a CSV names its class column with --label)",
            ));
        }
        if let Some(toy) = Toy::from_name(&self.data) {
            if self.label.is_some() || self.targets.is_some() {
                return Err(Error::invalid_value(
                    Setting::Data,
                    toy,
                    "a generated data set has its own targets (no label or targets kind)",
                ));
            }
            return Ok(DataSource::Toy {
                toy,
                points: self.points.unwrap_or(DEFAULT_POINTS),
                noise: self.noise.unwrap_or(0.0),
            });
        }
        if self.data == IRIS {
            if columns.kind() == TargetKind::Values {
                return Err(Error::invalid_value(
                    Setting::Data,
                    IRIS,
                    "its targets are classes; numbers to learn (several label columns, or targets values) come \
                     from a CSV",
                ));
            }
            if let Some(label) = self.label.as_ref().filter(|l| *l != "species") {
                return Err(Error::invalid_value(Setting::Label, label, "Iris's class column is 'species'"));
            }
            return Ok(DataSource::Iris);
        }
        if numpy {
            if let Some(label) = &self.label {
                return Err(Error::invalid_value(
                    Setting::Label,
                    label,
                    "names a CSV's columns; numpy data keeps its targets in y (targets values reads them as numbers)",
                ));
            }
            let data = PathBuf::from(&self.data);
            return Ok(DataSource::Numpy { data, labels: self.labels.clone(), kind: columns.kind() });
        }
        Ok(DataSource::Csv { path: PathBuf::from(&self.data), columns })
    }

    /// Arrays the caller holds as the source, in place of a named one: no column or file of
    /// targets may be named beside them.
    pub fn arrays(&self, features: Array2<f64>, target: Targets) -> Result<DataSource> {
        if let Some(label) = &self.label {
            return Err(Error::invalid_value(
                Setting::Label,
                label,
                "names a CSV's columns; arrays hold their targets in y",
            ));
        }
        if let Some(labels) = &self.labels {
            return Err(Error::invalid_value(Setting::LabelsFile, labels.display(), "arrays hold their targets in y"));
        }
        Ok(DataSource::Arrays { features, target })
    }
}

impl DataSource {
    /// The rows, read (a generated set drawn from its own generator seeded with `seed`: the same
    /// seed, the same table, whatever the run then draws) and checked: two classes at least, and
    /// targets that fit in memory as the loss reads them.
    pub fn load(self, seed: u64, reading: &Reading) -> Result<Dataset> {
        let (data, name) = match self {
            DataSource::Iris => (Dataset::iris(), PathBuf::from(IRIS)),
            DataSource::Toy { toy, points, noise } => (toy.seeded(points, noise, seed)?, PathBuf::from(toy.name())),
            DataSource::Csv { path, columns } => {
                let reader = (reading.open_csv)(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
                (Dataset::from_csv_reader_held(reader, &path, &columns, reading.hold)?, path)
            }
            DataSource::Numpy { data, labels, kind } => {
                (Dataset::from_npy_held(&data, labels.as_deref(), kind, reading.numpy, reading.hold)?, data)
            }
            DataSource::Arrays { features, target } => {
                let name = PathBuf::from("arrays");
                (Dataset::from_arrays(features, target, &name)?, name)
            }
        };
        data.check_trainable(&name)?;
        // Training holds the targets as rows × outputs numbers (classes one-hot).
        let what = match data.target.kind() {
            TargetKind::Classes => "the one-hot targets",
            TargetKind::Values => "the targets",
        };
        crate::limits::matrix(Setting::Data, what, data.len(), data.target.width(), data.features.len())?;
        Ok(data)
    }

    /// The files it reads, by the setting that names each: a face checks its outputs against them.
    pub fn files(&self) -> Vec<(Setting, &Path)> {
        match self {
            DataSource::Csv { path, .. } => vec![(Setting::Data, path)],
            DataSource::Numpy { data, labels, .. } => std::iter::once((Setting::Data, data.as_path()))
                .chain(labels.as_deref().map(|l| (Setting::LabelsFile, l)))
                .collect(),
            DataSource::Iris | DataSource::Toy { .. } | DataSource::Arrays { .. } => Vec::new(),
        }
    }
}

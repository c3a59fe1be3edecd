//! `.npy` features held three ways (issue 16): read as float64, read as float32 for an f32 run,
//! or memory-mapped. A mapped file trains to the same bits as the same file read into memory;
//! an f32 run never holds the data as float64; a broken file is refused by the same checks,
//! before anything is mapped or allocated.

use assert_cmd::Command;
use gradlens::data::{Dataset, Hold, NumpyLimits, ScaleKind, Scaler, TargetKind};
use gradlens::engine::compiled::Dtype;
use gradlens::run::train::{TrainJob, TrainSettings};
use gradlens::train::{Engine, Silent};
use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;
use std::fs::File;
use std::path::{Path, PathBuf};

/// `rows` × `cols` features with 3 classes whose means differ, written as x.npy (as `T`) and
/// y.npy in `dir`.
fn files<T: ndarray_npy::WritableElement + From<f32>>(dir: &Path, rows: usize, cols: usize) -> (PathBuf, PathBuf) {
    let y = Array1::from_shape_fn(rows, |i| ((i * 7) % 3) as i64);
    let x = Array2::from_shape_fn((rows, cols), |(i, j)| {
        let noise = ((i * 31 + j * 17) % 23) as f32 / 23.0 - 0.5;
        T::from(y[i] as f32 * (1.0 + j as f32 * 0.1) + 3.0 * noise + 40.0)
    });
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    x.write_npy(File::create(&xp).unwrap()).unwrap();
    y.write_npy(File::create(&yp).unwrap()).unwrap();
    (xp, yp)
}

fn load(x: &Path, y: &Path, hold: Hold) -> Dataset {
    Dataset::from_npy_held(x, Some(y), TargetKind::Classes, NumpyLimits::default(), hold).unwrap()
}

/// The JSON report (every epoch, the final evaluation, the model's weights, the scaler) of a
/// minibatch run with shuffling, a test part and standard scaling: the same text is the same bits
/// (serde_json writes floats round-trip).
fn report(data: Dataset, dtype: Dtype, scale: &str) -> String {
    let settings = TrainSettings {
        hidden: vec![6],
        activation: Some("relu".into()),
        epochs: Some(3),
        batch_size: Some(32),
        lr: Some(0.05),
        seed: Some(5),
        test_fraction: Some(0.2),
        scale: Some(scale.into()),
        ..TrainSettings::default()
    };
    let engine = Engine::new(true, dtype, Some(1)).unwrap();
    let job = TrainJob { settings, data, start: None, engine, traced: false };
    let trained = job.prepare().unwrap().train(&mut Silent).unwrap();
    serde_json::to_string(&trained.report).unwrap()
}

#[test]
fn a_mapped_file_trains_to_the_bits_of_the_file_read() {
    let dir = tempfile::tempdir().unwrap();
    // 200 × 5: the engine copies small data feature-major; 1,200 × 1,000 (over 2²⁰ numbers):
    // it reads each batch from the data as it is held.
    for (rows, cols) in [(200, 5), (1200, 1000)] {
        let (x, y) = files::<f64>(dir.path(), rows, cols);
        let (read, mapped) = (load(&x, &y, Hold::F64), load(&x, &y, Hold::Map));
        assert_eq!((read.features.held_as(), mapped.features.held_as()), ("f64", "mapped"));
        assert_eq!(read, mapped, "the same numbers");
        for scale in ["standard", "minmax", "none"] {
            assert_eq!(
                report(read.clone(), Dtype::F64, scale),
                report(mapped.clone(), Dtype::F64, scale),
                "{rows}×{cols} {scale}"
            );
        }
    }
    // A float32 file, mapped or read as float32, for an f32 run.
    let (x, y) = files::<f32>(dir.path(), 1200, 1000);
    let (read, mapped) = (load(&x, &y, Hold::F32), load(&x, &y, Hold::Map));
    assert_eq!((read.features.held_as(), mapped.features.held_as()), ("f32", "mapped"));
    assert_eq!(report(read, Dtype::F32, "standard"), report(mapped, Dtype::F32, "standard"));
}

#[test]
fn an_f32_run_holds_a_float64_file_as_float32() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = files::<f64>(dir.path(), 50, 4);
    let f64s = load(&x, &y, Hold::F64);
    // What the compiled engine asks for in f32 when the data fits in memory.
    let f32s = load(&x, &y, Engine::new(true, Dtype::F32, Some(1)).unwrap().hold());
    assert_eq!(f32s.features.held_as(), "f32");
    // Each number rounded to the nearest float32, once.
    let expected = f64s.features.f64().mapv(|v| f64::from(v as f32));
    assert_eq!(*f32s.features.f64(), expected);
    // The tape reads float64.
    assert_eq!(load(&x, &y, Engine::Tape.hold()).features.held_as(), "f64");
}

#[test]
fn a_scaler_fitted_while_streaming_has_the_bits_of_one_fitted_on_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    // One feature (ndarray sums a contiguous column in eight lanes) and three (one by one), with
    // row counts that are and are not multiples of 8.
    for (rows, cols) in [(1003, 1), (1000, 1), (7, 1), (1003, 3)] {
        let (x, y) = files::<f64>(dir.path(), rows, cols);
        let mapped = load(&x, &y, Hold::Map);
        let names: Vec<String> = (0..cols).map(|j| format!("x{j}")).collect();
        for kind in [ScaleKind::Standard, ScaleKind::Minmax] {
            let streamed = Scaler::fit_features(kind, &mapped.features, &names).unwrap();
            let whole = Scaler::fit(kind, &mapped.features.f64(), &names).unwrap();
            let bits = |s: &Scaler| s.offset.iter().chain(&s.divisor).map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&streamed), bits(&whole), "{rows}×{cols} {kind:?}");
        }
    }
}

/// A .npy whose header declares `shape` float64 numbers, followed by `body` bytes.
fn npy(path: &Path, shape: &str, body: usize) {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend(std::iter::repeat_n(0u8, body));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn broken_files_are_refused_before_they_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let (_, y) = files::<f64>(dir.path(), 4, 2);
    let x = dir.path().join("short.npy");
    // 4 × 2 declared, 3 numbers there.
    npy(&x, "(4, 2)", 24);
    for hold in [Hold::Map, Hold::F32, Hold::Fit { f32: true }, Hold::Fit { f32: false }] {
        let e = Dataset::from_npy_held(&x, Some(&y), TargetKind::Classes, NumpyLimits::default(), hold).unwrap_err();
        assert!(
            e.to_string().contains("the header declares 8 numbers (64 bytes) but there are 24 bytes after it"),
            "{e}"
        );
    }
    // A header claiming 2⁶⁰ rows is refused by its size, before any map or allocation.
    npy(&x, "(1152921504606846976, 2)", 0);
    let e = Dataset::from_npy_held(&x, Some(&y), TargetKind::Classes, NumpyLimits::default(), Hold::Map).unwrap_err();
    assert!(e.to_string().contains("the shape's size overflows"), "{e}");
    // A non-finite number in a mapped file is named by row and column.
    let mut bytes = std::fs::read(dir.path().join("x.npy")).unwrap();
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(&x, bytes).unwrap();
    let e = Dataset::from_npy_held(&x, Some(&y), TargetKind::Classes, NumpyLimits::default(), Hold::Map).unwrap_err();
    assert!(e.to_string().contains("row 4, column '2': not a finite number"), "{e}");
    // The CLI's f32 run: one line, exit 2.
    npy(&x, "(4, 2)", 24);
    let out = Command::cargo_bin("gradlens")
        .unwrap()
        .args(["train", "--dtype", "f32", "--data", x.to_str().unwrap(), "--labels", y.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("the header declares 8 numbers"), "{err}");
}

#[test]
fn a_split_in_place_gives_the_parts_a_copy_gives() {
    use rand::SeedableRng;
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = files::<f64>(dir.path(), 2999, 7);
    for hold in [Hold::F64, Hold::F32, Hold::Map] {
        let data = load(&x, &y, hold);
        let rng = || rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let copied = data.prepare(0.3, Some(ScaleKind::Standard), &mut rng()).unwrap();
        let moved = data.into_prepared(0.3, Some(ScaleKind::Standard), &mut rng()).unwrap();
        assert_eq!(moved.test.as_ref().unwrap().len(), 900);
        assert_eq!(copied, moved, "{hold:?}");
    }
}

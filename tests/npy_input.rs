//! `train --data X.npy --labels y.npy` (and `.npz`): the same run as the same numbers in a CSV,
//! and one clear line (exit 2) for files that are not what they claim.

use assert_cmd::Command;
use ndarray::{Array1, Array2};
use ndarray_npy::{NpzWriter, WriteNpyExt};
use serde_json::Value;
use std::fs::File;
use std::path::Path;

/// 40 rows, 3 features, 3 classes (labels 5, 7, 9: names are the values, in ascending order).
fn data() -> (Array2<f64>, Array1<i64>) {
    let x = Array2::from_shape_fn((40, 3), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 3.0 - 2.5 + 0.1 * j as f64);
    let y = Array1::from_shape_fn(40, |i| [5, 7, 9][(i * 7 % 17) % 3]);
    (x, y)
}

/// x.npy and y.npy (`y`), d.npz holding x and `npz_y` as y, and the path d.csv is to take.
fn numpy_files<Y, Z, D, E>(
    dir: &Path,
    x: &Array2<f64>,
    y: &ndarray::Array<Y, D>,
    npz_y: &ndarray::Array<Z, E>,
) -> [std::path::PathBuf; 4]
where
    Y: ndarray_npy::WritableElement,
    Z: ndarray_npy::WritableElement,
    D: ndarray::Dimension,
    E: ndarray::Dimension,
{
    let [xp, yp, zp, cp] = ["x.npy", "y.npy", "d.npz", "d.csv"].map(|name| dir.join(name));
    x.write_npy(File::create(&xp).unwrap()).unwrap();
    y.write_npy(File::create(&yp).unwrap()).unwrap();
    let mut npz = NpzWriter::new(File::create(&zp).unwrap());
    npz.add_array("x", x).unwrap();
    npz.add_array("y", npz_y).unwrap();
    npz.finish().unwrap();
    [xp, yp, zp, cp]
}

fn train(args: &[&str]) -> Value {
    let out = Command::cargo_bin("gradlens")
        .unwrap()
        .arg("train")
        .args(args)
        .args(["--epochs", "20", "--test-fraction", "0.25", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = Command::cargo_bin("gradlens").unwrap().arg("train").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn npy_and_npz_give_the_csv_run() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = data();
    let [xp, yp, zp, cp] = numpy_files(dir.path(), &x, &y, &y);
    // The CSV lists the rows with their labels; its classes keep first-appearance order, so the
    // rows are written with label 5 first, 7 next, 9 last to give the ascending order too.
    let mut csv = String::from("x0,x1,x2,label\n");
    for (row, label) in x.rows().into_iter().zip(&y) {
        csv += &format!("{:?},{:?},{:?},{label}\n", row[0], row[1], row[2]);
    }
    // The CSV's classes come in first-appearance order, the .npy's ascending: with labels first
    // seen as 5, 7, 9 both number the classes alike, so the two runs must be the same run.
    assert_eq!((y[0], y[1], y[2]), (5, 7, 9), "the data's first labels");
    std::fs::write(&cp, csv).unwrap();

    let from_npy = train(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap()]);
    let from_npz = train(&["--data", zp.to_str().unwrap()]);
    let from_csv = train(&["--data", cp.to_str().unwrap()]);
    assert_eq!(from_npy["epochs"].as_array().unwrap().len(), 20);
    assert_eq!(from_npy["epochs"], from_npz["epochs"]);
    assert_eq!(from_npy["epochs"], from_csv["epochs"]);
    assert_eq!(from_npy["model"], from_csv["model"]);
}

#[test]
fn bad_numpy_files_get_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = data();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    x.write_npy(File::create(&xp).unwrap()).unwrap();
    y.write_npy(File::create(&yp).unwrap()).unwrap();
    let (x_s, y_s) = (xp.to_str().unwrap(), yp.to_str().unwrap());

    assert!(fails(&["--data", x_s]).contains("needs --labels"));
    // A header that promises far more numbers than the file holds is refused before allocating.
    // (The shape grows by 10 characters and the header's space padding shrinks by 10, so the
    // header keeps its length.)
    let bytes = std::fs::read(&xp).unwrap();
    let at = bytes.windows(7).position(|w| w == b"(40, 3)").expect("the header's shape");
    let end = bytes.iter().position(|&b| b == b'\n').expect("the header's end");
    let mut forged = bytes[..at].to_vec();
    forged.extend_from_slice(b"(400000000000, 3)");
    forged.extend_from_slice(&bytes[at + 7..end - 10]);
    forged.extend_from_slice(&bytes[end..]);
    assert_eq!(forged.len(), bytes.len());
    let cut = dir.path().join("big.npy");
    std::fs::write(&cut, forged).unwrap();
    let err = fails(&["--data", cut.to_str().unwrap(), "--labels", y_s]);
    assert!(err.contains("big.npy") && err.contains("bytes"), "{err}");
    // Row counts that differ.
    let short = dir.path().join("short.npy");
    Array1::from_vec(vec![1i64, 2, 3]).write_npy(File::create(&short).unwrap()).unwrap();
    assert!(fails(&["--data", x_s, "--labels", short.to_str().unwrap()]).contains("40 rows of features but 3 labels"));
    // Labels that are not integers.
    let frac = dir.path().join("frac.npy");
    Array1::from_elem(40, 0.5f64).write_npy(File::create(&frac).unwrap()).unwrap();
    assert!(fails(&["--data", x_s, "--labels", frac.to_str().unwrap()]).contains("row 1"));
    // A NaN among the features, named by row and column.
    let mut with_nan = x.clone();
    with_nan[[3, 1]] = f64::NAN;
    let nan = dir.path().join("nan.npy");
    with_nan.write_npy(File::create(&nan).unwrap()).unwrap();
    assert!(fails(&["--data", nan.to_str().unwrap(), "--labels", y_s]).contains("row 4, column '2'"));
    // --labels with a CSV.
    assert!(fails(&["--labels", y_s]).contains("only with --data X.npy"));
}

#[test]
fn float_targets_with_targets_values_are_a_regression_as_from_a_csv() {
    // The same 40 rows, with two value targets y0 = x0 − x2 and y1 = 0.5·x1 (a 2-D float64 y);
    // the CSV holds the same numbers, with the target columns named y0 and y1 as numpy's are.
    let dir = tempfile::tempdir().unwrap();
    let (x, _) = data();
    let y = Array2::from_shape_fn((40, 2), |(i, t)| if t == 0 { x[[i, 0]] - x[[i, 2]] } else { 0.5 * x[[i, 1]] });
    let [xp, yp, zp, cp] = numpy_files(dir.path(), &x, &y, &y.mapv(|v| v as f32));
    let mut csv = String::from("x0,x1,x2,y0,y1\n");
    for (row, t) in x.rows().into_iter().zip(y.rows()) {
        csv += &format!("{:?},{:?},{:?},{:?},{:?}\n", row[0], row[1], row[2], t[0], t[1]);
    }
    std::fs::write(&cp, csv).unwrap();

    let from_npy = train(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap(), "--targets", "values"]);
    let from_csv = train(&["--data", cp.to_str().unwrap(), "--label", "y0,y1"]);
    assert_eq!(from_npy["data"]["targets"], serde_json::json!(["y0", "y1"]));
    assert_eq!(from_npy["epochs"], from_csv["epochs"], "the same numbers, the same run");
    assert_eq!(from_npy["model"]["layers"], from_csv["model"]["layers"]);
    assert!(from_npy["epochs"][0]["train_accuracy"].is_null());
    // float32 y in an archive: the numbers rounded to f32, so a run of its own, but values.
    let from_npz = train(&["--data", zp.to_str().unwrap(), "--targets", "values"]);
    assert_eq!(from_npz["config"]["loss_function"], "quadratic");

    // Float targets read as classes, integer labels as values, --label on numpy: one line each.
    let e = fails(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap()]);
    assert!(e.contains("y.npy") && e.contains("labels must be a 1-D integer array"), "{e}");
    let e = fails(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap(), "--label", "y0,y1"]);
    assert!(e.contains("--label y0,y1: names a CSV's columns"), "{e}");
    let bad = Array1::from_vec(vec![f64::NAN; 40]);
    bad.write_npy(File::create(&yp).unwrap()).unwrap();
    let e = fails(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap(), "--targets", "values"]);
    assert!(e.contains("y.npy") && e.contains("row 1") && e.contains("the target is not a finite number"), "{e}");
}

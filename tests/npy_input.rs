//! `train --data X.npy --labels y.npy` (and `.npz`): the same run as the same numbers in a CSV,
//! and one clear line (exit 2) for files that are not what they claim.

mod common;

use assert_cmd::Command;
use common::npy_bytes;
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

/// float64 numbers' little-endian bytes.
fn f64_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values.into_iter().flat_map(f64::to_le_bytes).collect()
}

/// A `.npz` with the given members, stored or deflated.
fn npz_file(path: &Path, members: &[(&str, &[u8])], deflated: bool) {
    let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
    let method = if deflated { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method).large_file(true);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// Labels 0, 1, 0, 1, … as int64, as a `.npy`'s bytes.
fn labels_bytes(n: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..n as i64).flat_map(|i| (i % 2).to_le_bytes()).collect();
    npy_bytes(&format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({n},), }}"), &data)
}

#[test]
fn a_header_that_gives_shape_twice_is_refused() {
    // Issue 17, item 2: a 192-byte .npy whose header gives 'shape' twice aborted (the size check
    // read the first, the reader the last, a 96 GB allocation). Each key must come once.
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'shape': (12000000000, 1), }";
    std::fs::write(&x, npy_bytes(dict, &f64_bytes([1.0, 2.0, 3.0, 4.0]))).unwrap();
    assert!(std::fs::metadata(&x).unwrap().len() <= 192);
    let y = dir.path().join("y.npy");
    std::fs::write(&y, labels_bytes(2)).unwrap();
    let err = fails(&["--data", x.to_str().unwrap(), "--labels", y.to_str().unwrap()]);
    assert!(err.contains("x.npy") && err.contains("gives 'shape' twice"), "{err}");
    // The same file with one shape trains: the refusal is the duplicate, not the file.
    std::fs::write(&x, npy_bytes(&dict.replace(" 'shape': (12000000000, 1),", ""), &f64_bytes([1.0, 2.0, 3.0, 4.0])))
        .unwrap();
    train(&["--data", x.to_str().unwrap(), "--labels", y.to_str().unwrap()]);
}

#[test]
fn npz_members_get_the_size_check_before_allocating() {
    // Issue 17, item 3: a 400-byte .npz whose x claims (10¹², 4) aborted: members had no check.
    let dir = tempfile::tempdir().unwrap();
    let npz = dir.path().join("d.npz");
    let claim = |shape: &str| {
        npy_bytes(&format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"), &f64_bytes([0.5; 4]))
    };
    npz_file(&npz, &[("x.npy", &claim("(1000000000000, 4)")), ("y.npy", &labels_bytes(1))], false);
    assert!(std::fs::metadata(&npz).unwrap().len() < 600);
    let err = fails(&["--data", npz.to_str().unwrap()]);
    // 4·10¹² numbers of 8 bytes: 32·10¹² bytes = 29,802.3 GiB, where the member holds 32.
    assert!(err.contains("d.npz") && err.contains("declares 4000000000000 numbers (29802.3 GiB)"), "{err}");
    assert!(err.contains("32 bytes after"), "{err}");
    // A claim under the bound but beyond what the member holds: (1000, 4) is 32,000 bytes of
    // numbers, the member has 32 after its header.
    npz_file(&npz, &[("x.npy", &claim("(1000, 4)")), ("y.npy", &labels_bytes(1000))], false);
    let err = fails(&["--data", npz.to_str().unwrap()]);
    assert!(
        err.contains("array x") && err.contains("declares 4000 numbers") && err.contains("32 bytes after"),
        "{err}"
    );
}

#[test]
fn a_decompression_bomb_stops_at_the_input_bound() {
    // Issue 17, item 4: a 1.9 MB .npz reached 1.84 GB even with --max-input-size 10M, and
    // --max-input-size was ignored for numpy input. Here x is 3,000,000 × 4 zeros, 96 MB that
    // deflate to about 0.1 MB.
    let dir = tempfile::tempdir().unwrap();
    let npz = dir.path().join("bomb.npz");
    let (n, f) = (3_000_000usize, 4usize);
    let x =
        npy_bytes(&format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n}, {f}), }}"), &vec![0u8; n * f * 8]);
    npz_file(&npz, &[("x.npy", &x), ("y.npy", &labels_bytes(n))], true);
    assert!(std::fs::metadata(&npz).unwrap().len() < 2_000_000);
    let err = fails(&["--data", npz.to_str().unwrap(), "--max-input-size", "10M"]);
    assert!(err.contains("bomb.npz") && err.contains("91.6 MiB") && err.contains("--max-input-size"), "{err}");
    // The archive itself over the bound is refused before it is opened.
    let err = fails(&["--data", npz.to_str().unwrap(), "--max-input-size", "1K"]);
    assert!(err.contains("the archive takes") && err.contains("1 KiB"), "{err}");
    // A .npy over the bound: 40 × 3 float64s are 960 bytes, over 512.
    let (xd, yd) = data();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    xd.write_npy(File::create(&xp).unwrap()).unwrap();
    yd.write_npy(File::create(&yp).unwrap()).unwrap();
    let err = fails(&["--data", xp.to_str().unwrap(), "--labels", yp.to_str().unwrap(), "--max-input-size", "512"]);
    assert!(err.contains("x.npy") && err.contains("960 bytes") && err.contains("set by --max-input-size"), "{err}");
}

#[test]
#[cfg(unix)]
fn a_fifo_with_no_writer_is_given_up_on() {
    // Issue 17, item 5: `mkfifo f.npy; train --data f.npy --labels y.npy` blocked forever; the
    // README promises 10 s for a FIFO nobody writes to, as for a CSV.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.npy");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let y = dir.path().join("y.npy");
    std::fs::write(&y, labels_bytes(4)).unwrap();
    let start = std::time::Instant::now();
    let mut cmd = Command::cargo_bin("gradlens").unwrap();
    let out = cmd
        .args(["train", "--data", fifo.to_str().unwrap(), "--labels", y.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("f.npy") && err.contains("FIFO") && err.contains("10 s"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_big_endian_and_fortran_ordered_npy_read_as_numpy_reads_them() {
    // The reader decodes what numpy may write: '>f8' and fortran_order True hold the same matrix
    // as '<f8' row-major. The runs must be the same run.
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = data();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    x.write_npy(File::create(&xp).unwrap()).unwrap();
    y.write_npy(File::create(&yp).unwrap()).unwrap();
    let (big, fortran) = (dir.path().join("big.npy"), dir.path().join("fortran.npy"));
    let big_data: Vec<u8> = x.iter().flat_map(|v| v.to_be_bytes()).collect();
    std::fs::write(&big, npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (40, 3), }", &big_data)).unwrap();
    let by_columns = f64_bytes(x.t().iter().copied());
    std::fs::write(&fortran, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (40, 3), }", &by_columns))
        .unwrap();
    let run = |p: &Path| train(&["--data", p.to_str().unwrap(), "--labels", yp.to_str().unwrap()]);
    let plain = run(&xp);
    assert_eq!(plain["epochs"], run(&big)["epochs"]);
    assert_eq!(plain["epochs"], run(&fortran)["epochs"]);
}

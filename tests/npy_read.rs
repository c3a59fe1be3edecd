//! How a `.npy` file's numbers are read into memory (issue 16, "numpy data at disk speed"): by
//! position in parts read at once, a chunk at a time, decoded (byte order, float32 ↔ float64) and
//! checked finite as each chunk arrives. Every layout numpy writes gives the numbers it holds,
//! and a number that is not finite is named by its row and column wherever it falls: in the first
//! chunk, past a chunk's end, in the second part.

mod common;

use common::npy_bytes;
use gradlens::data::{Dataset, Hold, NumpyLimits, TargetKind};
use std::path::{Path, PathBuf};

/// Labels 0, 1, 0, 1, … as an int64 `.npy` at `dir/y.npy`.
fn labels(dir: &Path, n: usize) -> PathBuf {
    let data: Vec<u8> = (0..n as i64).flat_map(|i| (i % 2).to_le_bytes()).collect();
    let path = dir.join("y.npy");
    std::fs::write(&path, npy_bytes(&format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({n},), }}"), &data))
        .unwrap();
    path
}

/// The number at row i, column j: not representable in float32 (so rounding shows), varied in
/// sign and size.
fn value(i: usize, j: usize) -> f64 {
    let k = (i * 131 + j * 17) % 1009;
    (k as f64 - 504.0) * 1.000_000_123_456_789 * 10f64.powi((k % 7) as i32 - 3)
}

/// `rows × cols` numbers written as `descr` ('<f8', '>f8', '<f4', '>f4'), by rows or (fortran) by
/// columns, with the number at `nan` (if any) a NaN.
fn write(path: &Path, descr: &str, fortran: bool, rows: usize, cols: usize, nan: Option<(usize, usize)>) {
    let at = |i, j| if nan == Some((i, j)) { f64::NAN } else { value(i, j) };
    let order: Vec<(usize, usize)> = if fortran {
        (0..cols).flat_map(|j| (0..rows).map(move |i| (i, j))).collect()
    } else {
        (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))).collect()
    };
    let data: Vec<u8> = order
        .into_iter()
        .flat_map(|(i, j)| match descr {
            "<f8" => at(i, j).to_le_bytes().to_vec(),
            ">f8" => at(i, j).to_be_bytes().to_vec(),
            "<f4" => (at(i, j) as f32).to_le_bytes().to_vec(),
            ">f4" => (at(i, j) as f32).to_be_bytes().to_vec(),
            _ => unreachable!("a type this test writes"),
        })
        .collect();
    let fortran = if fortran { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({rows}, {cols}), }}");
    std::fs::write(path, npy_bytes(&dict, &data)).unwrap();
}

fn load(x: &Path, y: &Path, hold: Hold) -> gradlens::Result<Dataset> {
    Dataset::from_npy_held(x, Some(y), TargetKind::Classes, NumpyLimits::default(), hold)
}

#[test]
fn every_layout_reads_as_the_numbers_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    // 300 × 250 = 75,000 numbers: 600,000 B of float64, two full 256 KiB chunks and a part.
    let (rows, cols) = (300, 250);
    let (x, y) = (dir.path().join("x.npy"), labels(dir.path(), rows));
    for descr in ["<f8", ">f8", "<f4", ">f4"] {
        for fortran in [false, true] {
            write(&x, descr, fortran, rows, cols, None);
            let stored = |i, j| if descr.ends_with("f4") { f64::from(value(i, j) as f32) } else { value(i, j) };
            // As float64: the stored number, exactly (a float32 widens exactly).
            let f64s = load(&x, &y, Hold::F64).unwrap().features.into_f64();
            // As float32: the stored number rounded to nearest once (IEEE 754, `as f32`).
            let f32s = load(&x, &y, Hold::F32).unwrap();
            assert_eq!(f32s.features.held_as(), "f32", "{descr}");
            let f32s = f32s.features.into_f64();
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(f64s[[i, j]].to_bits(), stored(i, j).to_bits(), "{descr} fortran {fortran} ({i}, {j})");
                    let rounded = f64::from(stored(i, j) as f32);
                    assert_eq!(f32s[[i, j]].to_bits(), rounded.to_bits(), "{descr} fortran {fortran} ({i}, {j})");
                }
            }
        }
    }
}

#[test]
fn a_number_that_is_not_finite_is_named_by_row_and_column_wherever_it_falls() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (300, 250);
    let (x, y) = (dir.path().join("x.npy"), labels(dir.path(), rows));
    // The first number, one past the first 256 KiB chunk of float64s (number 32,768 = row 131,
    // column 18 counting from 0), and the last.
    for (i, j) in [(0, 0), (131, 18), (rows - 1, cols - 1)] {
        for (descr, fortran) in [("<f8", false), (">f8", false), ("<f4", false), ("<f8", true)] {
            write(&x, descr, fortran, rows, cols, Some((i, j)));
            for hold in [Hold::F64, Hold::F32, Hold::Map] {
                let e = load(&x, &y, hold).expect_err("a NaN is refused").to_string();
                let want = format!("row {}, column '{}': not a finite number", i + 1, j + 1);
                assert!(e.contains("x.npy") && e.contains(&want), "{descr} fortran {fortran} {hold:?}: {e}");
            }
        }
    }
}

#[test]
fn a_file_read_in_parts_at_once_is_read_whole() {
    // 11,000 × 784 float64 (69 MB): read in two parts at once on a machine of two cores or more.
    // A NaN in the second part is named, and without it every number is the one written.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("one core: the file is read in one part, so the split is not exercised here");
    }
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (11_000, 784);
    let (x, y) = (dir.path().join("x.npy"), labels(dir.path(), rows));
    write(&x, "<f8", false, rows, cols, Some((9_000, 700)));
    let e = load(&x, &y, Hold::F64).expect_err("a NaN is refused").to_string();
    assert!(e.contains("row 9001, column '701': not a finite number"), "{e}");
    write(&x, "<f8", false, rows, cols, None);
    for hold in [Hold::F64, Hold::F32] {
        let read = load(&x, &y, hold).unwrap().features;
        let mut row = vec![0.0f64; cols];
        for i in [0, 5_499, 5_500, 5_501, rows - 1] {
            read.read_rows(i, i + 1, &mut row);
            for (j, &v) in row.iter().enumerate() {
                let want = if hold == Hold::F32 { f64::from(value(i, j) as f32) } else { value(i, j) };
                assert_eq!(v.to_bits(), want.to_bits(), "{hold:?} ({i}, {j})");
            }
        }
    }
}

/// A `.npz` at `path` holding `x.npy` (the `.npy` file at `x`) and `y.npy` (at `y`), stored as
/// `np.savez` writes them or deflated as `np.savez_compressed` does.
fn npz(path: &Path, x: &Path, y: &Path, deflated: bool) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let method = if deflated { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method).large_file(true);
    for (name, file) in [("x.npy", x), ("y.npy", y)] {
        zip.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(file).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn an_npz_member_is_read_in_place_or_streamed_into_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (300, 250);
    let (x, y) = (dir.path().join("x.npy"), labels(dir.path(), rows));
    let archive = dir.path().join("d.npz");
    let load_npz = |hold| Dataset::from_npy_held(&archive, None, TargetKind::Classes, NumpyLimits::default(), hold);
    for deflated in [false, true] {
        write(&x, "<f8", false, rows, cols, None);
        npz(&archive, &x, &y, deflated);
        // The stored member's numbers start at an odd byte of the archive (a 30-byte local
        // header, the 5-byte name, a 20-byte zip64 field, the 128-byte .npy header): a map
        // reads them unaligned.
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
        let start = zip.by_name("x.npy").unwrap().data_start();
        assert_ne!((start + 128) % 8, 0, "the test means an unaligned member");
        for hold in [Hold::F64, Hold::F32, Hold::Map] {
            let data = load_npz(hold).unwrap();
            let held = match (hold, deflated) {
                (Hold::F32, _) => "f32",
                (Hold::Map, false) => "mapped",
                _ => "f64",
            };
            assert_eq!(data.features.held_as(), held, "deflated {deflated} {hold:?}");
            let read = data.features.into_f64();
            for i in 0..rows {
                for j in 0..cols {
                    let want = if hold == Hold::F32 { f64::from(value(i, j) as f32) } else { value(i, j) };
                    assert_eq!(read[[i, j]].to_bits(), want.to_bits(), "deflated {deflated} {hold:?} ({i}, {j})");
                }
            }
        }
        // A NaN in the member is named by the archive, the member, its row and column.
        write(&x, "<f8", false, rows, cols, Some((131, 18)));
        npz(&archive, &x, &y, deflated);
        for hold in [Hold::F64, Hold::F32, Hold::Map] {
            let e = load_npz(hold).expect_err("a NaN is refused").to_string();
            assert!(
                e.contains("d.npz, row 132, column '19': array x.npy: not a finite number"),
                "deflated {deflated} {hold:?}: {e}"
            );
        }
    }
}

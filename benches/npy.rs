//! Reading a `.npy` of 60,000 rows × 784 float64 features (359 MiB) each way the features can be
//! held (issue 16's "numpy data at disk speed": ≥ 2 GB/s from the page cache):
//! `cargo bench --bench npy`. The files are generated once (seeded) at `$GRADLENS_NPY_BENCH`
//! (a folder) or /tmp/gradlens-bench-npy; each figure is the best of 3 whole loads by
//! `Dataset::from_npy_held` (the file in the page cache after the first), in GB/s of the file's
//! numbers. Peak memory is measured in a fresh process per way (`VmHWM`), against the file.
//!
//! - f64: read straight into the matrix (one `read` of the numbers);
//! - f32: read in 1 MiB chunks, each number rounded to float32 (an f32 run's data);
//! - mapped: the file mapped, plus the pass that checks every number is finite (what a mapped
//!   load costs before training reads it).

mod common;

use common::peak_rss_kib;
use gradlens::data::{Dataset, Hold, NumpyLimits, TargetKind};
use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::Instant;

const ROWS: usize = 60_000;
const FEATURES: usize = 784;

fn dir() -> PathBuf {
    std::env::var_os("GRADLENS_NPY_BENCH").map_or_else(|| PathBuf::from("/tmp/gradlens-bench-npy"), PathBuf::from)
}

fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the bench folder");
    let mut rng = ChaCha8Rng::seed_from_u64(784);
    let x = Array2::from_shape_simple_fn((ROWS, FEATURES), || rng.random::<f64>());
    x.write_npy(std::fs::File::create(dir.join("X.npy")).unwrap()).unwrap();
    let y = Array1::from_shape_simple_fn(ROWS, || rng.random_range(0..10i64));
    y.write_npy(std::fs::File::create(dir.join("y.npy")).unwrap()).unwrap();
}

const WAYS: [(&str, Hold); 3] = [("f64", Hold::F64), ("f32", Hold::F32), ("mapped", Hold::Map)];

fn load(dir: &Path, hold: Hold) -> Dataset {
    let (x, y) = (dir.join("X.npy"), dir.join("y.npy"));
    Dataset::from_npy_held(&x, Some(&y), TargetKind::Classes, NumpyLimits::default(), hold).expect("the bench file")
}

fn main() {
    let dir = dir();
    if let Some(way) = std::env::args().skip_while(|a| a != "--memory-once").nth(1) {
        let hold = WAYS.iter().find(|(name, _)| *name == way).expect("a way").1;
        let data = load(&dir, hold);
        println!("{} {}", data.len(), peak_rss_kib());
        return;
    }
    if !dir.join("X.npy").exists() || !dir.join("y.npy").exists() {
        generate(&dir);
    }
    let bytes = (ROWS * FEATURES * 8) as f64;
    println!("npy: {ROWS} rows × {FEATURES} float64 = {:.0} MiB", bytes / (1 << 20) as f64);
    let exe = std::env::current_exe().expect("this bench");
    for (name, hold) in WAYS {
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                let data = load(&dir, hold);
                assert_eq!(data.len(), ROWS);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        let out = std::process::Command::new(&exe).args(["--memory-once", name]).output().expect("a fresh process");
        let text = String::from_utf8_lossy(&out.stdout);
        let kib: f64 = text.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        println!(
            "{name:>6}: {:7.1} ms, {:5.2} GB/s; peak RSS of a load alone {:4.0} MiB = {:.2}× the file's numbers",
            best * 1e3,
            bytes / best / 1e9,
            kib / 1024.0,
            kib * 1024.0 / bytes
        );
    }
}

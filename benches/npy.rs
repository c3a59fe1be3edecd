//! Reading a `.npy` of 60,000 rows × 784 float64 features (359 MiB) each way the features can be
//! held (issue 16's "numpy data at disk speed": ≥ 2 GB/s from the page cache):
//! `cargo bench --bench npy`. The files are generated once (seeded) at `$GRADLENS_NPY_BENCH`
//! (a folder) or /tmp/gradlens-bench-npy; each figure is the best of 3 whole loads by
//! `Dataset::from_npy_held` (the file in the page cache after the first), in GB/s of the file's
//! numbers, by the wall clock and by the CPU time the process spent (all its threads: what the
//! load costs whatever else the machine runs; the load average is printed beside). Peak memory
//! is measured in a fresh process per way (`VmHWM`), against the file.
//!
//! - f64: read straight into the matrix, by position, one part per core at once, each 256 KiB
//!   piece checked finite as it arrives;
//! - f32: read in 256 KiB chunks, each number rounded to float32 (an f32 run's data), one part per
//!   core at once;
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

/// The CPU time this process has spent, all threads, in seconds.
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The 1-minute load average (`/proc/loadavg`), for reading the wall-clock figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "?".into(), |l| l.split(' ').next().unwrap_or("?").into())
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
    println!("load average before: {}", load_average());
    let exe = std::env::current_exe().expect("this bench");
    for (name, hold) in WAYS {
        let (best, best_cpu) = (0..3)
            .map(|_| {
                let (start, cpu) = (Instant::now(), cpu_seconds());
                let data = load(&dir, hold);
                assert_eq!(data.len(), ROWS);
                (start.elapsed().as_secs_f64(), cpu_seconds() - cpu)
            })
            .fold((f64::INFINITY, f64::INFINITY), |(w, c), (w2, c2)| (w.min(w2), c.min(c2)));
        let out = std::process::Command::new(&exe).args(["--memory-once", name]).output().expect("a fresh process");
        let text = String::from_utf8_lossy(&out.stdout);
        let kib: f64 = text.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        println!(
            "{name:>6}: {:7.1} ms, {:5.2} GB/s (CPU time {:6.1} ms, {:5.2} GB/s per CPU second); peak RSS of a load \
             alone {:4.0} MiB = {:.2}× the file's numbers",
            best * 1e3,
            bytes / best / 1e9,
            best_cpu * 1e3,
            bytes / best_cpu / 1e9,
            kib / 1024.0,
            kib * 1024.0 / bytes
        );
    }
    println!("load average after: {}", load_average());
}

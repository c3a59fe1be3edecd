//! The CSV reader's speed and peak memory on a numeric table of 100,000 rows × 784 features and a
//! label (issue 9's "data in without waste": ≥ 400 MiB/s, peak ≤ 1.5× the data as f64):
//! `cargo bench --bench csv`. The file is generated once (seeded) at `$GRADLENS_CSV_BENCH` or
//! /tmp/gradlens-bench-100k-784.csv; each figure is the best of 3 whole reads by
//! `Dataset::from_csv`. Peak memory is measured in a fresh process (`VmHWM`), against the size of
//! the features as f64.

mod common;

use common::peak_rss_kib;
use gradlens::data::Dataset;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const ROWS: usize = 100_000;
const FEATURES: usize = 784;

fn path() -> PathBuf {
    std::env::var_os("GRADLENS_CSV_BENCH")
        .map_or_else(|| PathBuf::from("/tmp/gradlens-bench-100k-784.csv"), PathBuf::from)
}

/// Numbers as a CSV of real data has them: six decimals in [0, 1), a class name per row.
fn generate(path: &Path) {
    let mut rng = ChaCha8Rng::seed_from_u64(784);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("the bench file"));
    let header: Vec<String> = (0..FEATURES).map(|j| format!("px{j}")).chain(["label".into()]).collect();
    writeln!(out, "{}", header.join(",")).unwrap();
    for _ in 0..ROWS {
        for _ in 0..FEATURES {
            write!(out, "{:.6},", rng.random::<f64>()).unwrap();
        }
        writeln!(out, "digit{}", rng.random_range(0..10)).unwrap();
    }
    out.flush().unwrap();
}

/// This process's CPU time (user + system) in seconds, from /proc/self/stat: on a shared machine
/// the wall clock also counts other processes' turns.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name, in ticks of 1/100 s.
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

fn main() {
    let path = path();
    if std::env::args().any(|a| a == "--memory-once") {
        let data = Dataset::from_csv(&path, &gradlens::data::TargetColumns::default()).expect("the bench file parses");
        println!("{}", peak_rss_kib());
        std::hint::black_box(data);
        return;
    }
    if !path.exists() {
        eprintln!("writing {} …", path.display());
        generate(&path);
    }
    let mib = std::fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64;
    let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let (start, cpu) = (Instant::now(), cpu_seconds());
        let data = Dataset::from_csv(&path, &gradlens::data::TargetColumns::default()).expect("the bench file parses");
        best = best.min(start.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - cpu);
        assert_eq!(data.features.dim(), (ROWS, FEATURES));
    }
    let f64_mib = (ROWS * FEATURES * 8) as f64 / (1 << 20) as f64;
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe).arg("--memory-once").output().expect("a second run");
    let peak_kib: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(f64::NAN);
    let peak_mib = peak_kib / 1024.0;
    println!(
        "csv {ROWS}×{FEATURES}: {mib:.0} MiB read in {best:.3} s = {:.0} MiB/s (best of 3, wall clock)",
        mib / best
    );
    println!("  CPU time {best_cpu:.2} s = {:.0} MiB/s of CPU (best of 3; ±0.01 s ticks)", mib / best_cpu);
    println!("peak memory {peak_mib:.0} MiB for {f64_mib:.0} MiB of f64 features = {:.2}×", peak_mib / f64_mib);
}

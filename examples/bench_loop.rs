//! Times one workload of `gradlens::engine::compiled::workloads` in-process (the library loop,
//! data already in memory, as JAX's jitted loop has it): `cargo run --release --example
//! bench_loop -- W3 f64 2 5 [after-epoch|steps]` prints one JSON line per repetition,
//! `{"workload", "dtype", "threads", "seconds", "cpu_seconds", "final_loss", "train_accuracy",
//! "accuracy"}`; the last argument is how the epochs' training accuracy is taken
//! ([`TrainAccuracy`], default after-epoch: a forward pass over the rows after each epoch; steps:
//! counted by the steps, no pass). `cpu_seconds` is the CPU time of the process's threads during
//! the run (what it costs on a shared machine, where the wall clock also counts waiting for a
//! core; with more than one thread it includes the pool's waiting). `bench/jax_compare.py` runs
//! it beside JAX.

use gradlens::engine::compiled::Dtype;
use gradlens::engine::compiled::train::EngineOptions;
use gradlens::engine::compiled::workloads::workload;
use gradlens::train::{Engine, Silent, TrainAccuracy, train_on};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("W1", String::as_str);
    let dtype = match args.get(1).map_or("f64", String::as_str) {
        "f32" => Dtype::F32,
        "f64" => Dtype::F64,
        other => anyhow::bail!("dtype '{other}': f32 or f64"),
    };
    let threads: usize = args.get(2).map_or(Ok(2), |t| t.parse())?;
    let reps: usize = args.get(3).map_or(Ok(3), |r| r.parse())?;
    let accuracy = args.get(4).map_or(Ok(TrainAccuracy::AfterEpoch), |a| TrainAccuracy::from_name(a))?;
    let mut w = workload(name, None, 0)?;
    w.config.train_accuracy = accuracy;
    if dtype == Dtype::F32 {
        // Held in the training dtype, as JAX's float32 arrays are (and as `train --dtype f32`
        // reads a .npy).
        w.data.features = w.data.features.into_f32();
    }
    let engine = Engine::Compiled(EngineOptions { dtype, threads });
    for _ in 0..reps {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (start, cpu) = (Instant::now(), cpu_seconds());
        let r = train_on(engine, &w.config, w.model.clone(), &w.data, None, &mut rng, &mut Silent)?;
        let (seconds, cpu_used) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        let last = r.epochs.last().expect("one epoch at least");
        println!(
            "{{\"workload\": \"{name}\", \"dtype\": \"{}\", \"threads\": {threads}, \"seconds\": {seconds}, \"cpu_seconds\": {cpu_used}, \"final_loss\": {}, \"train_accuracy\": {}, \"accuracy\": \"{}\"}}",
            if dtype == Dtype::F32 { "f32" } else { "f64" },
            last.loss,
            last.train_accuracy.map_or("null".to_string(), |a| a.to_string()),
            accuracy.name()
        );
    }
    Ok(())
}

/// The CPU time this process has spent, all threads, in seconds.
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

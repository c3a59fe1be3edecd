//! The options that pick the engine, shared by `train` and `predict`: `--engine`, `--dtype`,
//! `--threads`.

use anyhow::{Result, bail};
use clap::ValueEnum;
use gradlens::engine::compiled::Dtype;
use gradlens::engine::compiled::train::EngineOptions;
use gradlens::train::Engine;

#[derive(clap::Args)]
pub struct EngineArgs {
    /// compiled: a fixed step plan over preallocated buffers (fast); tape: the recorded
    /// computation that `explain` and `--trace` show, step by step (--trace and --api custom use it anyway).
    #[arg(long, value_enum, default_value = "compiled")]
    engine: EngineArg,
    /// The compiled engine's float type.
    #[arg(long, value_enum, default_value = "f64")]
    dtype: DtypeArg,
    /// Threads for the compiled engine's matrix products (default: every core). The same seed
    /// gives the same bits at any count.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Compiled,
    Tape,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DtypeArg {
    F32,
    F64,
}

impl EngineArgs {
    /// The engine asked for, with its options checked.
    pub fn engine(&self) -> Result<Engine> {
        if self.threads == Some(0) {
            bail!("--threads 0: one thread at least");
        }
        let dtype = match self.dtype {
            DtypeArg::F32 => Dtype::F32,
            DtypeArg::F64 => Dtype::F64,
        };
        match self.engine {
            EngineArg::Tape if dtype == Dtype::F32 => {
                bail!("--dtype f32: the tape computes in f64 only (use --engine compiled)")
            }
            EngineArg::Tape => Ok(Engine::Tape),
            EngineArg::Compiled => {
                let threads = self.threads.unwrap_or(EngineOptions::default().threads);
                Ok(Engine::Compiled(EngineOptions { dtype, threads }))
            }
        }
    }
}

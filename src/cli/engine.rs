//! The options that pick the engine, shared by `train` and `predict`: `--engine`, `--dtype`,
//! `--threads`.

use clap::ValueEnum;
use gradlens::engine::compiled::Dtype;
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
    /// The engine asked for, with its options checked (by the library: `--threads 0` and
    /// `--engine tape --dtype f32` are refused there).
    pub fn engine(&self) -> gradlens::Result<Engine> {
        let dtype = match self.dtype {
            DtypeArg::F32 => Dtype::F32,
            DtypeArg::F64 => Dtype::F64,
        };
        Engine::new(self.engine == EngineArg::Compiled, dtype, self.threads)
    }
}

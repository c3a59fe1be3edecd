//! The `gradlens` binary: raw arguments → a validated request → the library → a renderer.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

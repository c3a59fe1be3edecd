//! Command-line parsing and the pieces every subcommand shares: how numbers are read from options,
//! how output is written (atomically), and how errors end the process (one line, exit status 2).

mod engine;
mod explain;
mod input;
mod options;
mod output;
mod predict;
mod serve;
mod train;

use anyhow::{Result, anyhow, bail};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gradlens",
    version,
    about = "How a neural network's weights change during backpropagation, number by number"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The most bytes to read from one input file [default: 8 GiB for --data, 256 MiB for --model]
    #[arg(long, global = true, value_name = "SIZE", value_parser = gradlens::limits::parse_bytes)]
    max_input_size: Option<u64>,
    /// No warnings, progress bar or per-epoch lines: only the result (and errors).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorArg,
}

// Built once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// One update step, every intermediate number (default: the blog's example).
    Explain(explain::Args),
    /// Train a model on Iris or a CSV.
    Train(train::Args),
    /// Classify rows with a saved model.
    Predict(predict::Args),
    /// The weight update as a page to step through, on a local web server.
    Serve(serve::Args),
    /// Print a shell completion script: `gradlens completions bash > /etc/bash_completion.d/gradlens`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), made from the same definitions as --help: `gradlens man | man -l -`
    /// for gradlens(1), `gradlens man explain` for gradlens-explain(1), and so on for each subcommand.
    Man {
        /// The subcommand whose page to print (default: gradlens(1), which lists them).
        #[arg(value_name = "SUBCOMMAND")]
        page: Option<String>,
    },
}

/// When to colour what goes to a terminal.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

pub fn main() -> ExitCode {
    let cli = match command_line().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        // A usage error is one line like every other error; help (asked for, or shown for a bare
        // `gradlens`) and --version print as clap has them.
        Err(e) if e.use_stderr() && e.kind() != clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("gradlens: error: {}", error_line(&usage_error_line(&e)));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    // The server shuts down on Ctrl-C by itself (requests in flight finish) and writes no files.
    if !matches!(cli.command, Command::Serve(_)) {
        output::install_signal_cleanup();
    }
    input::set_max_input(cli.max_input_size);
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let _ = COLOR.set(cli.color);
    let command = match cli.command {
        Command::Explain(_) => options::Command::Explain,
        Command::Train(_)
        | Command::Predict(_)
        | Command::Serve(_)
        | Command::Completions { .. }
        | Command::Man { .. } => options::Command::Other,
    };
    let result = match cli.command {
        Command::Explain(args) => explain::run(args),
        Command::Train(args) => train::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command_line(), "gradlens", &mut script);
            output::print(&script)
        }
        Command::Man { page } => man_page(page.as_deref()).and_then(|roff| output::print(&roff)),
    };
    match result {
        Ok(()) => {
            flush_warnings();
            ExitCode::SUCCESS
        }
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gradlens: error: {}", error_line(&options::message(&e, command)));
            ExitCode::from(2)
        }
    }
}

/// The command line, with the defaults clap cannot show itself (those of options whose absence
/// means "the --model file's, else the library's") written into their help from
/// [`gradlens::run::defaults`], so that the help cannot drift from the library.
fn command_line() -> clap::Command {
    use gradlens::run::defaults;
    let optimizer = |saved: &'static str| {
        move |a: clap::Arg| {
            let help = a.get_help().map(ToString::to_string).unwrap_or_default();
            a.help(format!("{help} [default: {saved}, else {}]", defaults::OPTIMIZER))
        }
    };
    let train_optimizer = "the optimizer a --model file was trained with, its settings and its state too (the run goes \
                           on from it)";
    let explain_optimizer = "the optimizer a saved model was trained with (its state too: the step shown is the run's \
                             next one)";
    Cli::command()
        .mut_subcommand("train", |c| {
            c.mut_arg("optimizer", optimizer(train_optimizer)).mut_arg("lr", |a| {
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                a.help(format!("{help} [default: a --model file's run's, else {}]", defaults::LEARNING_RATE))
            })
        })
        .mut_subcommand("explain", |c| c.mut_arg("optimizer", optimizer(explain_optimizer)))
}

/// The manual page gradlens(1), or gradlens-NAME(1) for subcommand NAME: the pages gradlens(1)
/// refers to under SUBCOMMANDS.
fn man_page(name: Option<&str>) -> Result<Vec<u8>> {
    let mut cli = command_line();
    // Built, each subcommand is named as its page is (`gradlens-explain`).
    cli.build();
    let command = match name {
        None => cli,
        Some(name) => match cli.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cli.get_subcommands().map(clap::Command::get_name).collect();
                bail!(
                    "man '{}': no such page; the pages are those of {}",
                    gradlens::safe_text::quoted(name),
                    names.join(", ")
                );
            }
        },
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(command).render(&mut roff)?;
    Ok(roff)
}

/// clap's message without its "error: " prefix, tips and usage block: the first paragraph, on one
/// line (a list of missing arguments joined with commas), and where to look for more.
fn usage_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
    let (head, rest) = first.split_first().map_or(("invalid arguments", &[][..]), |(h, r)| (*h, r));
    let head = head.strip_prefix("error: ").unwrap_or(head);
    let mut line = head.to_string();
    if !rest.is_empty() {
        line.push(' ');
        line.push_str(&rest.join(", "));
    }
    // clap's "similar subcommand/argument exists" tip, kept on the same line.
    use clap::error::{ContextKind, ContextValue};
    for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg] {
        let suggested = match e.get(kind) {
            Some(ContextValue::String(s)) => vec![s.clone()],
            Some(ContextValue::Strings(v)) => v.clone(),
            _ => Vec::new(),
        };
        if !suggested.is_empty() {
            let quoted: Vec<String> = suggested.iter().map(|s| format!("'{s}'")).collect();
            line.push_str(&format!("; did you mean {}?", quoted.join(" or ")));
        }
    }
    line.push_str(" (see --help)");
    line
}

/// The longest error line printed, in characters: quoted input is cut where it is quoted, and
/// this catches what is not.
const ERROR_MAX: usize = 2000;

/// A message as one safe line: control characters escaped, cut at [`ERROR_MAX`] characters.
fn error_line(message: &str) -> String {
    let line = gradlens::safe_text::one_line(message);
    match line.char_indices().nth(ERROR_MAX) {
        Some((cut, _)) => format!("{}… (message cut)", &line[..cut]),
        None => line,
    }
}

/// A reader that closed the pipe early (`gradlens explain | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

static COLOR: std::sync::OnceLock<ColorArg> = std::sync::OnceLock::new();

/// Whether to colour what goes to stdout: `--color always`, or (auto) only a terminal and only
/// when NO_COLOR is unset.
pub fn stdout_wants_color() -> bool {
    match COLOR.get().copied().unwrap_or(ColorArg::Auto) {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `-q/--quiet` was given: no warnings, no progress, no per-epoch lines.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A warning, one line on stderr unless `--quiet`. It waits for [`flush_warnings`] (before the
/// long part of a run, or at its end), so a run that fails prints its one error line only.
pub fn warn(message: &str) {
    if !quiet()
        && let Ok(mut w) = WARNINGS.lock()
    {
        w.push(format!("gradlens: warning: {}", error_line(message)));
    }
}

/// Prints the warnings so far.
pub fn flush_warnings() {
    if let Ok(mut w) = WARNINGS.lock() {
        for line in w.drain(..) {
            eprintln!("{line}");
        }
    }
}

/// Parses `"0.81,0.57,-0.28"` for option `option`: finite numbers, commas between them. A bad
/// item is quoted with its position; the whole text only when it is short (a list of 20,000
/// numbers quoted whole would be cut before the item that is wrong).
pub fn parse_numbers(option: &str, text: &str) -> Result<Vec<f64>> {
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    let given = || {
        if text.chars().count() <= QUOTE_WHOLE {
            format!("{option} '{}'", gradlens::safe_text::quoted(text))
        } else {
            format!("{option} ({} numbers)", gradlens::limits::group(items.len()))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad =
                |what: &str| anyhow!("{}: '{}' {what} (number {})", given(), gradlens::safe_text::quoted(item), i + 1);
            match item.parse::<f64>() {
                Err(_) if item.is_empty() => Err(anyhow!("{}: number {} is missing", given(), i + 1)),
                Err(_) => Err(bad("is not a number")),
                Ok(v) if !v.is_finite() => Err(bad("is not a finite number")),
                Ok(v) => Ok(v),
            }
        })
        .collect()
}

/// The longest option text an error quotes whole, in characters.
const QUOTE_WHOLE: usize = 80;

/// Parses `"r1;r2;r3"` (rows separated by semicolons) into rows of equal length.
pub fn parse_matrix(option: &str, text: &str) -> Result<ndarray::Array2<f64>> {
    let rows: Vec<Vec<f64>> =
        text.split(';').filter(|r| !r.trim().is_empty()).map(|r| parse_numbers(option, r)).collect::<Result<_>>()?;
    let cols = rows.first().map_or(0, Vec::len);
    if cols == 0 {
        bail!("{option}: no numbers given");
    }
    if let Some(r) = rows.iter().position(|r| r.len() != cols) {
        bail!("{option}: row {} has {} numbers but row 1 has {cols}", r + 1, rows[r].len());
    }
    Ok(ndarray::Array2::from_shape_vec((rows.len(), cols), rows.concat())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults clap cannot show are the library's, written into the help (and the manual
    /// and completions, which are made from the same command line).
    #[test]
    fn the_help_s_defaults_are_the_library_s() {
        use gradlens::run::defaults;
        let mut cli = command_line();
        let help = |cli: &mut clap::Command, sub: &str, arg: &str| {
            let sub = cli.find_subcommand_mut(sub).unwrap();
            sub.get_arguments().find(|a| a.get_id() == arg).unwrap().get_help().unwrap().to_string()
        };
        let lr = help(&mut cli, "train", "lr");
        assert!(lr.ends_with(&format!(", else {}]", defaults::LEARNING_RATE)), "{lr}");
        for sub in ["train", "explain"] {
            let optimizer = help(&mut cli, sub, "optimizer");
            assert!(optimizer.ends_with(&format!(", else {}]", defaults::OPTIMIZER)), "{sub}: {optimizer}");
            assert_eq!(optimizer.matches("[default:").count(), 1, "{sub}: {optimizer}");
        }
    }

    #[test]
    fn numbers_with_negative_values_and_spaces() {
        assert_eq!(parse_numbers("--x", "-0.5, 0.3,1e-2").unwrap(), vec![-0.5, 0.3, 0.01]);
    }

    #[test]
    fn bad_numbers_are_named() {
        let e = parse_numbers("--x", "0.1,abc").unwrap_err().to_string();
        assert!(e.contains("--x") && e.contains("'abc' is not a number"), "{e}");
        let e = parse_numbers("--x", "0.1,NaN").unwrap_err().to_string();
        assert!(e.contains("not a finite number"), "{e}");
        let e = parse_numbers("--x", "0.1,,2").unwrap_err().to_string();
        assert!(e.contains("number 2 is missing"), "{e}");
    }

    // The CLI numbers' fuzz harness: arbitrary text never panics and gives one line; finite
    // numbers written by `{}` read back to the same bits. Budget: FUZZ_CASES (default 600).
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600),
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn option_numbers_never_panic(text in "\\PC{0,60}") {
            for result in [parse_numbers("--x", &text).map(|_| ()), parse_matrix("--weights", &text).map(|_| ())] {
                if let Err(e) = result {
                    let line = error_line(&format!("{e:#}"));
                    proptest::prop_assert!(!line.contains('\n'));
                }
            }
            let _ = gradlens::limits::parse_bytes(&text);
            let _ = text.parse::<gradlens::loss::LogBase>();
        }

        #[test]
        fn option_numbers_read_back_exactly(values in proptest::collection::vec(-1e300f64..1e300, 1..8)) {
            let text = values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
            let back = parse_numbers("--x", &text).unwrap();
            proptest::prop_assert_eq!(back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), values.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ragged_matrix_is_refused() {
        let e = parse_matrix("--weights", "1,2;3").unwrap_err().to_string();
        assert!(e.contains("row 2 has 1 numbers but row 1 has 2"), "{e}");
    }
}

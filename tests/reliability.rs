//! Nothing lost, nothing hangs, nothing surprises: the binary as a careless or hostile user runs
//! it. One section per class of failure (issue 7): outputs, limits, strict files and messages.

use assert_cmd::Command;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn gradlens() -> Command {
    Command::cargo_bin("gradlens").unwrap()
}

/// Runs `args` in `dir`, expects exit status 2 and one line naming every `want`.
fn refused_in(dir: &Path, args: &[&str], want: &[&str]) -> String {
    let out = gradlens().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // A long argument (20,000 numbers) is shown by its start only.
    let args: Vec<String> = args.iter().map(|a| a.chars().take(60).collect()).collect();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: {err:?} lacks {w:?}");
    }
    err
}

fn ok_in(dir: &Path, args: &[&str]) -> String {
    let out = gradlens().current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const SMALL_CSV: &str = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n";
/// A model file written out by hand: one dense layer 2 → 2 (the rows are output units), softmax.
const MODEL: &str =
    r#"{"layers": [{"type": "dense", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": null}, {"type": "softmax"}]}"#;

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn temps_in(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".gradlens-"))
        .collect()
}

// ---- 1. Outputs never destroy anything ----

#[test]
fn an_output_that_is_an_input_is_refused_by_identity_not_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("d.csv"), SMALL_CSV).unwrap();
    fs::write(d.join("m.json"), MODEL).unwrap();
    refused_in(d, &["train", "--data", "d.csv", "--save", "d.csv"], &["--save d.csv", "same file as --data"]);
    refused_in(d, &["train", "--data", "./d.csv", "--trace", "d.csv"], &["--trace", "same file as --data"]);
    refused_in(d, &["explain", "--model", "m.json", "--output", "./m.json"], &["same file as --model"]);
    refused_in(d, &["train", "--save", "n.json", "--trace", "./n.json"], &["--trace ./n.json", "same file as --save"]);
    refused_in(d, &["train", "--save", "p.svg", "--plot", "./p.svg"], &["same file as --save"]);
    // A hard link and a symlink are the same file too.
    fs::hard_link(d.join("d.csv"), d.join("hard.csv")).unwrap();
    std::os::unix::fs::symlink("d.csv", d.join("soft.csv")).unwrap();
    refused_in(d, &["train", "--data", "d.csv", "--save", "hard.csv"], &["same file as --data"]);
    std::os::unix::fs::symlink("d.csv", d.join("soft.svg")).unwrap();
    refused_in(d, &["train", "--data", "d.csv", "--plot", "soft.svg"], &["same file as --data"]);
    assert_eq!(fs::read_to_string(d.join("d.csv")).unwrap(), SMALL_CSV);
    assert_eq!(fs::read_to_string(d.join("m.json")).unwrap(), MODEL);
}

#[test]
fn symlinks_are_written_through_and_devices_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("real.md"), "old").unwrap();
    std::os::unix::fs::symlink("real.md", d.join("link.md")).unwrap();
    ok_in(d, &["explain", "--format", "markdown", "--output", "link.md"]);
    assert!(fs::symlink_metadata(d.join("link.md")).unwrap().file_type().is_symlink(), "the link stays a link");
    assert!(fs::read_to_string(d.join("real.md")).unwrap().contains("$"), "its target got the output");

    // A link to nothing is refused rather than turned into a file.
    std::os::unix::fs::symlink("absent.md", d.join("dangling.md")).unwrap();
    refused_in(d, &["explain", "--output", "dangling.md"], &["symbolic link to a file that does not exist"]);

    // /dev/null stays a device; /dev/full's error is reported.
    ok_in(d, &["explain", "--output", "/dev/null"]);
    assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    refused_in(d, &["explain", "--output", "/dev/full"], &["/dev/full", "writing failed"]);
    refused_in(d, &["train", "--epochs", "2", "--save", "/dev/full"], &["/dev/full"]);

    // /dev/stdout is a link to the process's stdout (a pipe here): written through, not replaced.
    let out = ok_in(d, &["explain", "--format", "json", "--output", "/dev/stdout"]);
    assert!(out.starts_with('{'), "{out}");
    assert!(fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());

    // `-` is stdout.
    let out = ok_in(d, &["explain", "--format", "json", "--output", "-"]);
    assert!(out.starts_with('{'), "{out}");
    assert!(!d.join("-").exists());
}

#[test]
fn a_device_node_is_never_replaced_by_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As root, a second /dev/null (character device 1:3) where the test can see it; otherwise the
    // system's own /dev/null, which only root could replace.
    let null = if is_root() {
        let made = std::process::Command::new("mknod").arg(d.join("null")).args(["c", "1", "3"]).status().unwrap();
        assert!(made.success());
        d.join("null")
    } else {
        PathBuf::from("/dev/null")
    };
    let null = null.to_str().unwrap();
    ok_in(d, &["explain", "--output", null]);
    ok_in(d, &["train", "--epochs", "2", "--save", null]);
    assert!(fs::metadata(null).unwrap().file_type().is_char_device(), "still a device");
}

#[test]
fn a_multi_file_save_is_all_or_nothing_and_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("m.json"), "precious").unwrap();
    fs::create_dir_all(d.join("npy/layer1_weights.npy")).unwrap();
    // 10^6 epochs would take minutes: the refusal must come before training.
    let start = Instant::now();
    refused_in(d, &["train", "--epochs", "1000000", "--save", "m.json", "--save-npy", "npy"], &["is a folder"]);
    assert!(start.elapsed() < Duration::from_secs(20), "found before training");
    assert_eq!(fs::read_to_string(d.join("m.json")).unwrap(), "precious");
    assert!(temps_in(d).is_empty() && temps_in(&d.join("npy")).is_empty());
    refused_in(d, &["train", "--save-npy", "no/such/dir"], &["no/such"]);
}

#[test]
fn stale_layer_files_of_a_deeper_model_are_removed_and_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok_in(d, &["train", "--epochs", "2", "--hidden", "4", "--save-npy", "npy"]);
    let mut names: Vec<String> =
        fs::read_dir(d.join("npy")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    // Dense layers numbered from 1, as explain's "Layer 2" and the plot's W2.
    assert_eq!(names, ["layer1_bias.npy", "layer1_weights.npy", "layer2_bias.npy", "layer2_weights.npy"]);
    fs::write(d.join("npy/notes.txt"), "mine").unwrap();
    ok_in(d, &["train", "--epochs", "2", "--save-npy", "npy"]);
    let mut names: Vec<String> =
        fs::read_dir(d.join("npy")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["layer1_bias.npy", "layer1_weights.npy", "notes.txt"]);
}

#[test]
fn a_read_only_folder_is_found_before_training() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // Root writes in a folder of mode 0555; nobody, root included, makes a file in /sys.
    let ro = if is_root() {
        PathBuf::from("/sys")
    } else {
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        ro
    };
    let save = ro.join("m.json");
    let start = Instant::now();
    refused_in(
        dir.path(),
        &["train", "--epochs", "1000000", "--save", save.to_str().unwrap()],
        &["cannot write in the folder"],
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_closed_stdout_never_stops_the_saving() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("gradlens");
    for i in 0..8 {
        let path = dir.path().join(format!("m{i}.json"));
        let mut child = std::process::Command::new(&bin)
            .args(["train", "--epochs", "50", "--save"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes at once, as `| true` does
        let status = child.wait().unwrap();
        assert!(status.success(), "run {i}: {status}");
        assert!(path.exists(), "run {i}: the model was saved");
    }
}

#[test]
fn a_signal_removes_the_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("gradlens");
    for signal in ["INT", "TERM"] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(dir.path())
            .args(["train", "--epochs", "1000000", "--trace", "t.jsonl", "--save", "m.json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the trace's temporary file is there, then interrupt.
        let start = Instant::now();
        while temps_in(dir.path()).is_empty() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!temps_in(dir.path()).is_empty(), "the trace is being written");
        std::thread::sleep(Duration::from_millis(300));
        let killed = std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status();
        assert!(killed.unwrap().success());
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: an interrupted run does not succeed");
        assert!(temps_in(dir.path()).is_empty(), "SIG{signal}: temporary files left: {:?}", temps_in(dir.path()));
        assert!(!dir.path().join("t.jsonl").exists() && !dir.path().join("m.json").exists());
    }
}

#[test]
fn data_can_come_from_stdin() {
    let out = gradlens()
        .args(["train", "--data", "-", "--epochs", "3", "--test-fraction", "0", "--format", "json"])
        .write_stdin(SMALL_CSV)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["data"]["train_rows"], 4);
}

// ---- 2. Limits: small inputs never take large memory or time ----

#[test]
fn sizes_are_checked_before_allocating_and_name_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused_in(d, &["train", "--hidden", "18446744073709551615"], &["--hidden", "67,108,864 parameters"]);
    refused_in(d, &["train", "--hidden", "1000000000"], &["--hidden", "the limit"]);
    refused_in(d, &["train", "--epochs", "1000000000000"], &["--epochs", "10,000,000"]);
    // 10,000 one-row classes: a 10,000 × 10,000 one-hot matrix (800 MB) is refused, not built.
    let mut csv = String::from("a,label\n");
    for i in 0..10_000 {
        csv.push_str(&format!("{i},c{i}\n"));
    }
    fs::write(d.join("classes.csv"), csv).unwrap();
    refused_in(d, &["train", "--data", "classes.csv"], &["one-hot", "10000 × 10000", "limit"]);
}

#[test]
fn a_wide_csv_and_a_deep_model_take_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 100,000 columns: the duplicate-name check is one pass (it was quadratic: 17 s).
    let names: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let ones = vec!["1"; 100_000].join(",");
    let twos = vec!["2"; 100_000].join(",");
    fs::write(d.join("wide.csv"), format!("{},label\n{ones},x\n{twos},y\n", names.join(","))).unwrap();
    let start = Instant::now();
    ok_in(d, &["train", "--data", "wide.csv", "--epochs", "1", "--test-fraction", "0", "-q"]);
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());

    // 3,000 tanh layers: the names no longer grow a′′′… with depth (5,000 layers took 40 s, 1.9 GB).
    let mut layers = vec![r#"{"type": "dense", "weights": [[0.1, 0.2], [0.3, -0.1]], "bias": null}"#.to_string()];
    layers.extend(std::iter::repeat_n(r#"{"type": "tanh"}"#.to_string(), 3000));
    layers.push(r#"{"type": "softmax"}"#.into());
    fs::write(d.join("deep.json"), format!(r#"{{"layers": [{}]}}"#, layers.join(","))).unwrap();
    let text = ok_in(d, &["explain", "--model", "deep.json", "--x", "1,2", "--target", "0"]);
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 200, "a line of {longest} characters");
    assert!(text.contains("′³⁰⁰⁰") || text.contains("′²⁹⁹⁹"), "the 3000th tanh is named by its count");
}

#[test]
fn a_softmax_over_many_classes_is_summarised_not_tabled() {
    // 40 classes, one input: the 40×40 Jacobian is summarised. Its product with ∂L/∂ŷ, summed in
    // collapsed form, must still equal the tape's ∂L/∂z = (ŷ − y)/m (m = 1, natural log).
    let weights: Vec<String> = (0..40).map(|i| format!("{}", i as f64 / 40.0)).collect();
    let out = gradlens()
        .args(["explain", "--weights", &weights.join(";"), "--x", "1", "--target", "7", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let softmax = e["layers"].as_array().unwrap().iter().find(|l| l["type"] == "softmax").unwrap();
    assert_eq!(softmax["jacobians"].as_array().unwrap().len(), 0);
    let long_way = softmax["jacobian_times_grad"][0].as_array().unwrap();
    let p = e["probabilities"][0].as_array().unwrap();
    for (i, (g, p)) in long_way.iter().zip(p).enumerate() {
        let want = p.as_f64().unwrap() - if i == 7 { 1.0 } else { 0.0 };
        assert!((g.as_f64().unwrap() - want).abs() < 1e-15, "class {i}: {g} vs {want}");
    }
    let text =
        gradlens().args(["explain", "--weights", &weights.join(";"), "--x", "1", "--target", "7"]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("1,600 entries a sample; they are not listed"));
}

#[test]
fn reads_are_bounded_and_fifos_do_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused_in(d, &["train", "--data", "/dev/zero"], &["/dev/zero", "row 1", "longer than 64 MiB"]);
    refused_in(
        d,
        &["explain", "--model", "/dev/zero", "--max-input-size", "1M"],
        &["/dev/zero", "1 MiB", "--max-input-size"],
    );
    refused_in(d, &["predict", "--model", "/dev/zero", "--x", "1"], &["/dev/zero", "256 MiB", "--max-input-size"]);
    let fifo = d.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let start = Instant::now();
    refused_in(d, &["train", "--data", "fifo"], &["fifo", "no process opened for writing"]);
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_trace_can_be_thinned_and_compacted_and_warns_when_large() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = gradlens()
        .current_dir(d)
        .args(["train", "--epochs", "1000", "--trace", "full.jsonl", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(warning.contains("warning") && warning.contains("--trace-every"), "{warning}");
    ok_in(d, &["train", "--epochs", "1000", "--trace", "thin.jsonl", "--trace-every", "100", "--trace-compact"]);
    let thin = fs::read_to_string(d.join("thin.jsonl")).unwrap();
    // 1000 full-batch steps (0…999), every 100th: steps 0, 100, …, 900.
    let steps: Vec<u64> =
        thin.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["step"].as_u64().unwrap()).collect();
    assert_eq!(steps, (0..10).map(|i| i * 100).collect::<Vec<_>>());
    let first: serde_json::Value = serde_json::from_str(thin.lines().next().unwrap()).unwrap();
    assert_eq!(first["layers"][0]["layer"], 1, "dense layers counted from 1, as everywhere");
    let full = fs::metadata(d.join("full.jsonl")).unwrap().len();
    assert!((thin.len() as u64) * 100 < full, "compact and thinned: {} vs {full}", thin.len());
}

// ---- 3. Files are read strictly, messages are one safe line ----

#[test]
fn model_files_are_strict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = [
        ("twice.json", format!("{MODEL}\n{MODEL}"), vec!["twice.json", "top level", "data after the end"]),
        (
            "dup.json",
            r#"{"layers": [{"type": "dense", "weights": [[1, 2], [3, 4]], "weights": [[5, 6], [7, 8]], "bias": null}, {"type": "softmax"}]}"#.into(),
            vec!["dup.json", "layers[0].weights", "twice"],
        ),
        (
            "type.json",
            r#"{"layers": [{"type": "dense", "type": "tanh", "weights": [[1, 2], [3, 4]], "bias": null}, {"type": "softmax"}]}"#.into(),
            vec!["layers[0].type", "twice"],
        ),
        (
            "lr.json",
            MODEL.replacen(
                "]}",
                r#"], "training": {"optimizer": {"kind": "sgd", "step_size": -5}, "log_base": "e", "epochs": 1}}"#,
                1,
            ),
            vec!["model file lr.json", "training.optimizer.step_size", "-5", "positive"],
        ),
        (
            "mass.json",
            MODEL.replacen(
                "]}",
                r#"], "training": {"optimizer": {"kind": "momentum", "step_size": 0.1, "mass": 1.5}, "log_base": "e", "epochs": 1}}"#,
                1,
            ),
            vec!["model file mass.json", "training.optimizer.mass", "[0, 1)"],
        ),
        (
            "step.json",
            MODEL.replacen(
                "]}",
                r#"], "training": {"optimizer": {"kind": "sgd", "step_size": "big"}, "log_base": "e", "epochs": 1}}"#,
                1,
            ),
            vec!["step.json", "training.optimizer.step_size", "expected f64"],
        ),
    ];
    for (name, text, want) in &bad {
        fs::write(d.join(name), text).unwrap();
        let err = refused_in(d, &["explain", "--model", name, "--x", "1,2"], want);
        // A field of the file is the file's fault, not an option's (issue 17, item 9).
        assert!(!err.contains("--lr") && !err.contains("--momentum"), "{err}");
    }
    fs::write(d.join("bom.json"), format!("\u{feff}{MODEL}")).unwrap();
    ok_in(d, &["explain", "--model", "bom.json", "--x", "1,2", "--target", "0"]);
}

#[test]
fn options_out_of_their_domain_or_ignored_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused_in(d, &["train", "--log-base", "0.5"], &["--log-base", "above 1"]);
    refused_in(d, &["train", "--momentum", "1"], &["--momentum 1", "[0, 1)"]);
    refused_in(d, &["train", "--momentum", "-0.1", "--optimizer", "momentum"], &["--momentum"]);
    let out = gradlens().current_dir(d).args(["train", "--epochs", "2", "--momentum", "0.5"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--momentum is ignored"));
    // A run whose loss grows by orders of magnitude is a failure, and saves nothing.
    refused_in(
        d,
        &[
            "train",
            "--lr",
            "1e300",
            "--epochs",
            "100",
            "--optimizer",
            "momentum",
            "--save",
            "m.json",
            "--save-npy",
            "npy",
        ],
        &["diverged", "smaller step size", "--lr"],
    );
    assert!(!d.join("m.json").exists());
    assert!(!d.join("npy").exists(), "the folder the failed run made is gone");
}

#[test]
fn messages_are_one_line_with_input_escaped_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long = "9".repeat(80_000);
    fs::write(d.join("ctl.csv"), format!("a,b,label\n1,\"x\ny\u{1b}[31m\",c\n2,{long}x,d\n")).unwrap();
    let err = refused_in(d, &["train", "--data", "ctl.csv"], &["ctl.csv", "row 2", "column 'b'", "\\n", "\\u{1b}"]);
    assert!(!err.contains('\u{1b}'));
    fs::write(d.join("long.csv"), format!("a,b,label\n1,2,c\n2,{long}x,d\n")).unwrap();
    let err = refused_in(d, &["train", "--data", "long.csv"], &["row 3", "80001 characters"]);
    assert!(err.len() < 400, "{} bytes", err.len());
    refused_in(d, &["explain", "--x", "1,\n2x"], &["--x", "\\n"]);
}

#[test]
fn csv_rows_are_numbered_as_an_editor_counts_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // CRLF line ends, a blank line and a quoted line break before the bad row, which is on line 6.
    fs::write(d.join("crlf.csv"), "a,b,label\r\n1,2,x\r\n\r\n3,4,\"two\r\nlines\"\r\n5,oops,y\r\n").unwrap();
    refused_in(d, &["train", "--data", "crlf.csv"], &["crlf.csv, row 6", "column 'b'", "'oops'"]);
    // A first row of numbers is data, not a header.
    fs::write(d.join("nohead.csv"), "1,2,0\n3,4,1\n").unwrap();
    refused_in(d, &["train", "--data", "nohead.csv"], &["row 1 looks like data", "header"]);
}

// ---- 4. What a new user trips over ----

#[test]
fn typos_get_a_suggestion_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    refused_in(dir.path(), &["explian"], &["'explian'", "did you mean 'explain'"]);
    refused_in(dir.path(), &["train", "--epoch", "3"], &["'--epoch'", "did you mean '--epochs'"]);
}

#[test]
fn completions_and_a_man_page_come_from_the_same_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let script = ok_in(dir.path(), &["completions", shell]);
        assert!(script.contains("gradlens") && script.contains("trace-every"), "{shell}");
    }
    let man = ok_in(dir.path(), &["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "roff: {}", &man[..80.min(man.len())]);
    assert!(man.contains("explain") && man.contains("train"));
}

#[test]
fn colour_follows_the_option() {
    let dir = tempfile::tempdir().unwrap();
    assert!(ok_in(dir.path(), &["explain", "--color", "always"]).contains('\u{1b}'));
    assert!(!ok_in(dir.path(), &["explain", "--color", "never"]).contains('\u{1b}'));
    assert!(!ok_in(dir.path(), &["explain"]).contains('\u{1b}'), "auto: not a terminal");
}

#[test]
fn a_relabelled_sample_and_a_missing_target_are_said() {
    let out = gradlens().args(["explain", "--sample", "3", "--target", "2"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Iris row 3 is labelled setosa") && err.contains("virginica"), "{err}");
    let out = gradlens().args(["explain", "--x", "1,2,3,4"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target not given"));
    // A run that fails says its error only.
    let out = gradlens().args(["explain", "--x", "1,2,3", "-q"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn the_test_loss_is_in_the_json_and_the_curves() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok_in(dir.path(), &["train", "--epochs", "30", "--format", "json", "--plot", "c.svg"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let epochs = report["epochs"].as_array().unwrap();
    assert!(epochs.iter().all(|e| e["test_loss"].as_f64().is_some()));
    // After the last epoch the model is the final one: its test loss is the final evaluation's,
    // which predict::evaluate computes on its own path (log-softmax, one-hot mean loss).
    let last = epochs.last().unwrap()["test_loss"].as_f64().unwrap();
    let final_test = report["final"]["test"]["loss"].as_f64().unwrap();
    assert!((last - final_test).abs() <= 1e-12 * final_test, "{last} vs {final_test}");
    let svg = fs::read_to_string(dir.path().join("c.svg")).unwrap();
    assert!(svg.contains("test loss"));
}

#[test]
fn explain_steps_chain_each_from_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let model = r#"{"layers": [
        {"type": "dense", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": [0.01, -0.02]},
        {"type": "tanh"},
        {"type": "dense", "weights": [[0.5, -0.6], [0.7, 0.8], [-0.9, 1.0]], "bias": [0.1, 0.2, 0.3]},
        {"type": "softmax"}]}"#;
    fs::write(dir.path().join("m.json"), model).unwrap();
    let out = ok_in(
        dir.path(),
        &["explain", "--model", "m.json", "--x", "1,-2", "--target", "2", "--steps", "3", "--format", "json"],
    );
    let steps: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(steps.len(), 3);
    for pair in steps.windows(2) {
        // The next step starts where the last one ended: its weights and biases, and so its loss.
        assert_eq!(pair[1]["loss"], pair[0]["new_loss"]);
        for (a, b) in pair[0]["layers"].as_array().unwrap().iter().zip(pair[1]["layers"].as_array().unwrap()) {
            if a["type"] == "dense" {
                assert_eq!(a["new_weights"], b["weights"]);
                assert_eq!(a["new_bias"], b["bias"]);
            }
        }
    }
    // The blog's example: 0.7351296 → 0.5643395 (README, the post) → and on down.
    let blog = ok_in(dir.path(), &["explain", "--steps", "2", "--format", "json"]);
    let blog: Vec<serde_json::Value> = serde_json::from_str(&blog).unwrap();
    assert!((blog[1]["loss"].as_f64().unwrap() - 0.5643395).abs() < 1e-7);
    assert!(blog[1]["new_loss"].as_f64().unwrap() < blog[1]["loss"].as_f64().unwrap());
    refused_in(dir.path(), &["explain", "--steps", "0"], &["--steps 0"]);
}

#[test]
fn the_weights_plot_stays_readable_and_long_runs_are_sampled() {
    let dir = tempfile::tempdir().unwrap();
    ok_in(dir.path(), &["train", "--hidden", "16", "--epochs", "3000", "--plot-weights", "w.svg", "-q"]);
    let svg = fs::read_to_string(dir.path().join("w.svg")).unwrap();
    // Layer 1 has 4·16 weights and 16 biases: the 24 that moved most are drawn.
    assert!(svg.contains("the 24 of 80 weights and biases that moved most"), "panel title");
}

// ---- 5. Issue 17: interrupts, threads, trailing commas, messages, the man pages, --open ----

fn send(child: &std::process::Child, signal: &str) {
    let killed = std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status();
    assert!(killed.unwrap().success());
}

/// Waits for `child` at most `limit`; `None` (after killing it) if it was still running.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Item 6: `--threads` is bounded (4 per core: more only take turns), and SIGTERM ends a run on
/// that many threads at once.
#[test]
fn threads_are_bounded_and_sigterm_ends_a_busy_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let most = 4 * cores();
    refused_in(d, &["train", "--threads", "100000"], &["--threads 100000", &format!("at most {most}"), "per core"]);
    fs::write(d.join("m.json"), MODEL).unwrap();
    let over = (most + 1).to_string();
    refused_in(d, &["predict", "--model", "m.json", "--x", "1,2", "--threads", &over], &["--threads", "at most"]);
    let bin = assert_cmd::cargo::cargo_bin("gradlens");
    let mut child = std::process::Command::new(&bin)
        .current_dir(d)
        .args(["train", "--threads", &most.to_string(), "--hidden", "1500,1500", "--epochs", "100000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    send(&child, "TERM");
    // Generous: the run stops at once, this only allows for a loaded machine.
    let status = wait_at_most(&mut child, Duration::from_secs(5)).expect("SIGTERM ends the run within 5 s");
    assert!(!status.success());
}

/// Item 7: a row with a field more than the header (`…,x,`) is refused by the fast path as by the
/// careful one, whether the extra field follows a label, a feature or a column a model skips.
#[test]
fn a_trailing_comma_is_a_field_too_many() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("comma.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x,\n7,8,y\n").unwrap();
    refused_in(d, &["train", "--data", "comma.csv"], &["comma.csv", "row 4", "has 4 fields but the header has 3"]);
    fs::write(d.join("first.csv"), "label,a,b\nx,1,2\ny,3,4,\n").unwrap();
    refused_in(d, &["train", "--data", "first.csv", "--label", "label"], &["row 3", "has 4 fields"]);
    fs::write(d.join("values.csv"), "a,b,y\n1,2,0.5\n3,4,0.25,\n").unwrap();
    refused_in(d, &["train", "--data", "values.csv", "--label", "y"], &["row 3", "has 4 fields"]);
    // predict --data: the model reads a and b; the last column, c, is not read, and an extra
    // field after it is still a field too many.
    fs::write(d.join("good.csv"), SMALL_CSV).unwrap();
    ok_in(d, &["train", "--data", "good.csv", "--epochs", "2", "--save", "m.json"]);
    fs::write(d.join("more.csv"), "a,b,c\n1,2,3\n4,5,6,7\n").unwrap();
    refused_in(d, &["predict", "--model", "m.json", "--data", "more.csv"], &["more.csv", "row 3", "has 4 fields"]);
}

/// Every file of a save, by name (`m.json`, `npy/layer1_weights.npy`, …), with its bytes.
fn saved_files(d: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    if let Ok(bytes) = fs::read(d.join("m.json")) {
        files.insert("m.json".to_string(), bytes);
    }
    if let Ok(entries) = fs::read_dir(d.join("npy")) {
        for e in entries {
            let e = e.unwrap();
            files.insert(format!("npy/{}", e.file_name().to_string_lossy()), fs::read(e.path()).unwrap());
        }
    }
    files
}

fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| m.ino())
}

/// Item 8: SIGTERM as the files of a save are being renamed into place (seen from here as
/// `m.json`, the first, changing) leaves every file new, never `m.json` new and the .npy files
/// old. A model of 60 dense layers has 120 .npy files, so the renames take a while.
#[test]
fn a_signal_during_the_renames_leaves_every_file_old_or_every_file_new() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hidden = vec!["2"; 59].join(",");
    let args = |seed: u64| {
        let mut a: Vec<String> =
            ["train", "--epochs", "2", "--hidden", &hidden, "--save", "m.json", "--save-npy", "npy"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        a.extend(["--seed".to_string(), seed.to_string()]);
        a
    };
    let first: Vec<String> = args(1);
    ok_in(d, &first.iter().map(String::as_str).collect::<Vec<_>>());
    let mut old = saved_files(d);
    assert_eq!(old.len(), 121, "m.json and 2 × 60 .npy files");
    let bin = assert_cmd::cargo::cargo_bin("gradlens");
    let mut caught = 0;
    for round in 0..8u64 {
        let before = inode(&d.join("m.json"));
        let mut child = std::process::Command::new(&bin)
            .current_dir(d)
            .args(args(round + 2))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The moment m.json is replaced, the rest are being renamed: interrupt there.
        let start = Instant::now();
        while inode(&d.join("m.json")) == before && start.elapsed() < Duration::from_secs(60) {
            std::hint::spin_loop();
        }
        send(&child, "TERM");
        let status = child.wait().unwrap();
        caught += usize::from(!status.success());
        let now = saved_files(d);
        assert_eq!(now.keys().collect::<Vec<_>>(), old.keys().collect::<Vec<_>>(), "round {round}");
        let changed: Vec<&String> = now.keys().filter(|k| now[*k] != old[*k]).collect();
        assert!(
            changed.len() == now.len(),
            "round {round} ({status}): {} of {} files new, the others old: {:?}…",
            changed.len(),
            now.len(),
            changed.iter().take(3).collect::<Vec<_>>()
        );
        assert!(temps_in(d).is_empty() && temps_in(&d.join("npy")).is_empty(), "round {round}: temporary files left");
        old = now;
    }
    // Whether a signal comes before the run ends depends on the machine (here 4 runs in 6 were
    // interrupted, and each of those left m.json new and the rest old before the fix); once in 8
    // at least, or the test has tested nothing.
    eprintln!("{caught} of 8 runs were interrupted during their renames");
    assert!(caught >= 1, "no run was interrupted in time");
}

/// Item 8: a signal at any moment of a run's start (while its outputs are probed with temporary
/// files) leaves no temporary file, not even an empty one made just as the handler cleaned up;
/// and a folder made for `--save-npy` goes with the interrupted run.
#[test]
fn a_signal_at_any_moment_leaves_no_temporary_file_and_no_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = assert_cmd::cargo::cargo_bin("gradlens");
    for i in 0..24u64 {
        let mut child = std::process::Command::new(&bin)
            .current_dir(d)
            .args(["train", "--epochs", "1000000", "--trace", "t.jsonl", "--save", "m.json"])
            .args(["--plot", "p.svg", "--save-npy", "fresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread over the first 2.4 ms… 60 ms of the run, where the outputs are probed.
        std::thread::sleep(Duration::from_micros(2_400 * (i + 1)));
        send(&child, if i % 2 == 0 { "INT" } else { "TERM" });
        let status = child.wait().unwrap();
        assert!(!status.success(), "run {i}");
        assert!(temps_in(d).is_empty(), "run {i}: left {:?}", temps_in(d));
        assert!(!d.join("fresh").exists(), "run {i}: the folder made for --save-npy stays");
    }
    // Once training is under way (the trace's temporary file is there), the same.
    let mut child = std::process::Command::new(&bin)
        .current_dir(d)
        .args(["train", "--epochs", "1000000", "--trace", "t.jsonl", "--save-npy", "fresh"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while temps_in(d).is_empty() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(d.join("fresh").is_dir(), "the folder is made before training");
    send(&child, "INT");
    assert!(!child.wait().unwrap().success());
    assert!(!d.join("fresh").exists(), "Ctrl-C takes away the folder it made");
    assert!(temps_in(d).is_empty());
}

/// Item 9: a long `--x` is not quoted whole (it would be cut before the bad item): the message
/// quotes the bad item and says where it is. A size past the largest says so.
#[test]
fn a_long_list_quotes_the_bad_item_and_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut items: Vec<String> = (0..20_000).map(|i| format!("{}.5", i % 7)).collect();
    items[12_344] = "0.5x".into();
    let x = items.join(",");
    let err =
        refused_in(d, &["explain", "--x", &x], &["--x (20,000 numbers)", "'0.5x' is not a number", "number 12345"]);
    assert!(err.len() < 300, "{} characters: {err}", err.len());
    items[12_344] = String::new();
    refused_in(d, &["explain", "--x", &items.join(",")], &["--x (20,000 numbers)", "number 12345 is missing"]);
    // A short list is still quoted whole.
    refused_in(d, &["explain", "--x", "0.81,abc"], &["--x '0.81,abc'", "'abc' is not a number (number 2)"]);

    // 2⁶⁴ − 1 bytes is a size (the largest); 2⁶⁴ is more than any.
    ok_in(d, &["explain", "--max-input-size", "18446744073709551615"]);
    refused_in(d, &["explain", "--max-input-size", "18446744073709551616"], &["more than the largest size"]);
    refused_in(d, &["explain", "--max-input-size", "16777216T"], &["more than the largest size"]);
    refused_in(d, &["explain", "--max-input-size", "0"], &["1 byte or more"]);
}

/// Item 21: every time the README quotes (ms, µs) is dated and tied to a machine, in its own
/// paragraph or in an earlier one of the same section ("Measured 2026-11-28 on …").
#[test]
fn the_readme_dates_its_timings() {
    let readme = include_str!("../README.md");
    let is_date = |w: &str| {
        let b = w.as_bytes();
        b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
    };
    let dated = |p: &str| p.split_whitespace().any(is_date) && (p.contains("core") || p.contains("vCPU"));
    let times = |p: &str| {
        let words: Vec<&str> = p.split_whitespace().collect();
        words.windows(2).any(|w| {
            w[0].chars().last().is_some_and(|c| c.is_ascii_digit())
                && (w[1].starts_with("ms") || w[1].starts_with("µs"))
        })
    };
    let mut undated = Vec::new();
    for section in readme.split("\n## ") {
        let mut section_dated = false;
        for paragraph in section.split("\n\n") {
            section_dated |= dated(paragraph);
            if times(paragraph) && !section_dated {
                undated.push(paragraph.lines().next().unwrap_or_default().to_string());
            }
        }
    }
    assert!(undated.is_empty(), "timings without a date and a machine: {undated:#?}");
}

/// Item 22: the pages `gradlens man` refers to exist: `gradlens man explain` prints
/// gradlens-explain(1), and so on.
#[test]
fn every_man_page_referred_to_exists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // roff writes '-' as "\-"; read without the backslashes.
    let plain = |roff: &str| roff.replace('\\', "");
    let man = plain(&ok_in(d, &["man"]));
    let referred: Vec<String> = man
        .split(char::is_whitespace)
        .filter_map(|w| w.strip_prefix("gradlens-")?.strip_suffix("(1)").map(String::from))
        .collect();
    assert!(referred.iter().any(|r| r == "explain") && referred.len() >= 5, "{referred:?} in {man}");
    for name in &referred {
        let page = plain(&ok_in(d, &["man", name]));
        let title = page.lines().find(|l| l.starts_with(".TH")).unwrap_or_default();
        assert!(title.contains(&format!("gradlens-{name}")), "{name}: {title}");
    }
    assert!(plain(&ok_in(d, &["man", "explain"])).contains("--x"), "the explain page lists --x");
    refused_in(d, &["man", "nosuch"], &["man 'nosuch'", "no such page", "explain"]);
}

/// Item 23: `serve --open` without a browser says so in one line (not the opener's own lines)
/// and leaves no zombie child behind while it serves.
#[test]
fn serve_open_without_a_browser_says_one_line_and_leaves_no_zombie() {
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // An opener that fails as xdg-open does with no browser: lines of its own, status 3.
    let opener = dir.path().join("xdg-open");
    fs::write(&opener, "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\necho more >&2\nexit 3\n")
        .unwrap();
    fs::set_permissions(&opener, fs::Permissions::from_mode(0o755)).unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    for path in [dir.path(), &empty] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gradlens"))
            .args(["serve", "--port", "0", "--open"])
            .env("PATH", path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.contains("listening on http://"), "{line}");
        std::thread::sleep(Duration::from_millis(700));
        // No child of the server is left as a zombie (state Z in /proc/PID/stat).
        let zombies: Vec<String> = fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| fs::read_to_string(e.unwrap().path().join("stat")).ok())
            .filter(|stat| {
                let after = stat.rsplit_once(") ").map_or("", |(_, a)| a);
                let fields: Vec<&str> = after.split_whitespace().collect();
                fields.first() == Some(&"Z") && fields.get(1) == Some(&child.id().to_string().as_str())
            })
            .collect();
        send(&child, "INT");
        let status = wait_at_most(&mut child, Duration::from_secs(15));
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(zombies.is_empty(), "{path:?}: zombie children {zombies:?}");
        assert!(status.is_some_and(|s| s.success()), "{path:?}: {err}");
        let about_open: Vec<&str> = err.lines().filter(|l| !l.contains("stopped")).collect();
        assert_eq!(about_open.len(), 1, "{path:?}: one line about the browser: {err}");
        assert!(about_open[0].contains("could not open a browser") && about_open[0].contains("http://"), "{err}");
        assert!(!err.contains("no method available"), "the opener's own lines are not passed through: {err}");
    }
}

/// Item 18: a softmax over one class is explained (ŷ = 1, loss 0, every gradient 0, with a note
/// saying why), as JAX computes it; `train` refuses it.
#[test]
fn a_one_class_softmax_is_explained_and_not_trained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("one.json"),
        r#"{"layers": [{"type": "dense", "weights": [[1, 2]], "bias": null}, {"type": "softmax"}]}"#,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["explain", "--model", "one.json", "--x", "0.5,-3", "--target", "0", "--format", "json"],
    ))
    .unwrap();
    // ŷ = e^z/e^z = 1 for any z (here z = 0.5 − 6 = −5.5); L = −ln 1 = 0; ∂L/∂z = ŷ − y = 0, so
    // ∂L/∂W = 0·x = 0 and the step leaves W as it was. (JAX: stax.Softmax over Dense(1) gives the same.)
    assert_eq!(json["probabilities"], serde_json::json!([[1.0]]));
    assert_eq!((json["loss"].as_f64(), json["new_loss"].as_f64()), (Some(0.0), Some(0.0)));
    assert_eq!(json["layers"][0]["grad_weights"], serde_json::json!([[0.0, 0.0]]));
    assert_eq!(json["check"]["passed"], true);
    let text = ok_in(d, &["explain", "--model", "one.json", "--x", "0.5,-3", "--target", "0"]);
    assert!(text.contains("with one class the softmax is") && text.contains("one class cannot"), "{text}");
    fs::write(d.join("v.csv"), "a,b,y\n1,2,0.5\n3,4,0.7\n").unwrap();
    refused_in(
        d,
        &["train", "--model", "one.json", "--data", "v.csv", "--label", "y"],
        &["one.json", "layers[1]", "one class", "cannot learn"],
    );
}

/// Item 19: number targets on a plain model file (no softmax, no classes or targets named): a
/// number is no class, and cross-entropy cannot read the output, so the loss is the quadratic one.
#[test]
fn number_targets_on_a_plain_model_take_the_quadratic_loss() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("plain.json"), r#"{"layers": [{"type": "dense", "weights": [[0.5, 0.2]], "bias": null}]}"#)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["explain", "--model", "plain.json", "--x", "1,2", "--target", "0.3", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["loss_function"], "quadratic");
    // ŷ = 0.5·1 + 0.2·2 = 0.9; L = ½(ŷ − y)² = ½(0.9 − 0.3)² = 0.18 (by hand).
    let loss = json["loss"].as_f64().unwrap();
    assert!((loss - 0.18).abs() < 1e-15, "{loss}");
    // ∂L/∂W = (ŷ − y)·x = 0.6·(1, 2) = (0.6, 1.2).
    let g: Vec<f64> =
        json["layers"][0]["grad_weights"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 1.2).abs() < 1e-15, "{g:?}");
}

/// Item 17: the loss at logits (700, −700), the exact value log1p(e^−1400) ≈ 9.7e−609, is 0 in
/// f64; at (700, 0) it is log1p(e^−700) = 9.8596765437597708567e−305 (mpmath, 50 digits). Both
/// engines and `explain` give these. (On 0d8bd57 these already held: the 9.86e−305 in the issue is
/// e^−700, the exponential the softmax walk-through shows for the logit −700, not the loss.)
#[test]
fn the_loss_at_far_apart_logits_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (weights, exact) in [("700;-700", 0.0), ("700;0", 9.85967654375977e-305)] {
        let json: serde_json::Value = serde_json::from_str(&ok_in(
            d,
            &["explain", "--weights", weights, "--x", "1", "--target", "0", "--format", "json"],
        ))
        .unwrap();
        let loss = json["loss"].as_f64().unwrap();
        assert!(loss == exact || ((loss - exact) / exact).abs() < 4.0 * f64::EPSILON, "{weights}: {loss:e}");
    }
    fs::write(d.join("far.json"), r#"{"layers": [{"type": "dense", "weights": [[700], [-700]], "bias": null}, {"type": "softmax"}], "classes": ["a", "b"], "features": ["x"]}"#).unwrap();
    fs::write(d.join("far.csv"), "x,label\n1,a\n-1,b\n").unwrap();
    for engine in ["compiled", "tape"] {
        let json: serde_json::Value = serde_json::from_str(&ok_in(
            d,
            &["train", "--model", "far.json", "--data", "far.csv", "--epochs", "1", "--test-fraction", "0"]
                .into_iter()
                .chain(["--scale", "none", "--engine", engine, "--format", "json"])
                .collect::<Vec<_>>(),
        ))
        .unwrap();
        assert_eq!(json["epochs"][0]["loss"].as_f64(), Some(0.0), "{engine}");
    }
}

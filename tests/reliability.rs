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

    // `-` is stdout.
    let out = ok_in(d, &["explain", "--format", "json", "--output", "-"]);
    assert!(out.starts_with('{'), "{out}");
    assert!(!d.join("-").exists());
}

#[test]
fn root_only_a_device_node_is_never_replaced_by_a_file() {
    if !is_root() {
        eprintln!("skipped: needs root to make a device node");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A second /dev/null (character device 1:3), made where the test can see it.
    let made = std::process::Command::new("mknod").arg(d.join("null")).args(["c", "1", "3"]).status().unwrap();
    assert!(made.success());
    ok_in(d, &["explain", "--output", "null"]);
    ok_in(d, &["train", "--epochs", "2", "--save", "null"]);
    assert!(fs::metadata(d.join("null")).unwrap().file_type().is_char_device(), "still a device");
}

#[test]
fn a_multi_file_save_is_all_or_nothing_and_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("m.json"), "precious").unwrap();
    fs::create_dir_all(d.join("npy/layer0_weights.npy")).unwrap();
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
    assert_eq!(names, ["layer0_bias.npy", "layer0_weights.npy", "layer2_bias.npy", "layer2_weights.npy"]);
    fs::write(d.join("npy/notes.txt"), "mine").unwrap();
    ok_in(d, &["train", "--epochs", "2", "--save-npy", "npy"]);
    let mut names: Vec<String> =
        fs::read_dir(d.join("npy")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["layer0_bias.npy", "layer0_weights.npy", "notes.txt"]);
}

#[test]
fn a_read_only_folder_is_found_before_training() {
    if is_root() {
        eprintln!("skipped: root writes in a read-only folder");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let start = Instant::now();
    refused_in(dir.path(), &["train", "--epochs", "1000000", "--save", "ro/m.json"], &["cannot write in the folder"]);
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

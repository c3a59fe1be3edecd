//! The README's examples run as written: every `gradlens …` line of its `sh` blocks is run, in
//! order, in a fresh folder holding a copy of `examples/` (as a clone's folder does), and must
//! succeed.

use std::path::Path;

/// Splits a shell line into words: spaces separate, double quotes group, `#` after a space
/// starts a comment. (The README uses nothing more.)
fn words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    let mut prev = ' ';
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            '#' if !quoted && prev == ' ' => break,
            ' ' if !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
        prev = c;
    }
    if started {
        out.push(word);
    }
    out
}

#[test]
fn every_readme_example_runs_as_written() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("examples")).unwrap();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("examples").join(entry.file_name())).unwrap();
    }
    let mut in_sh = false;
    let mut ran = 0;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh || !line.starts_with("gradlens ") {
            continue;
        }
        let args = words(line);
        // `serve` runs until stopped: tests/serve_api.rs starts and checks it.
        if args.get(1).is_some_and(|a| a == "serve") {
            continue;
        }
        assert!(!args.iter().any(|a| a.contains('…')), "a placeholder in {line:?}");
        let out = assert_cmd::Command::cargo_bin("gradlens")
            .unwrap()
            .current_dir(dir.path())
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        ran += 1;
    }
    assert!(ran >= 15, "only {ran} examples found");
}

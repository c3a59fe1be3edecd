//! What the command-line and server tests share. Each test file uses some of it.
#![allow(dead_code)]

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::process::Output;

/// The report `gradlens train --engine tape --format json ARGS` prints: what a page training
/// session with the same settings must give to the last digit (a session trains on the tape,
/// the engine whose loop takes changes between epochs).
pub fn tape_report(args: &[&str]) -> Value {
    let out = cargo_bin_cmd!("gradlens")
        .args(["train", "--engine", "tape", "--format", "json"])
        .args(args)
        .output()
        .expect("gradlens runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// A refused run, as every subcommand refuses: exit status 2, nothing on stdout, no panic, every
/// word of `want` in the message, and (unless clap itself refused the arguments) one line
/// `gradlens: error: …`. `what` names the run in failure messages; the message is returned.
pub fn refused(out: Output, what: &str, want: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(out.stdout.is_empty(), "{what}: no report on a refused run");
    assert!(!err.contains("panicked"), "{what}: {err}");
    for w in want {
        assert!(err.contains(w), "{what}: {err:?} lacks {w:?}");
    }
    if !err.starts_with("error:") {
        // Not a clap usage error: gradlens's own single line.
        assert!(err.starts_with("gradlens: error: ") && err.trim_end().lines().count() == 1, "{what}: {err}");
    }
    err
}

/// A `.npy` file's bytes: format 1.0, the header dictionary `dict` padded with spaces so the
/// numbers start at a multiple of 64, then `data`.
pub fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let unpadded = 10 + dict.len() + 1;
    let text = format!("{dict}{}\n", " ".repeat(unpadded.next_multiple_of(64) - unpadded));
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

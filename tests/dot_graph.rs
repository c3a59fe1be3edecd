//! `explain --format dot`: the tape as a Graphviz graph that `dot -Tsvg` renders, one box per
//! recorded op and one ellipse per leaf.

use assert_cmd::cargo::cargo_bin_cmd;
use std::io::Write;
use std::process::{Command, Stdio};

fn dot_of(args: &[&str]) -> String {
    let out = cargo_bin_cmd!("gradlens").args(["explain", "--format", "dot"]).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `dot -Tsvg` accepts the graph and draws every node.
fn renders(graph: &str) -> String {
    let mut dot =
        Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("graphviz's dot");
    dot.stdin.take().unwrap().write_all(graph.as_bytes()).unwrap();
    let out = dot.wait_with_output().unwrap();
    assert!(out.status.success(), "dot -Tsvg refused the graph:\n{graph}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn mazurs_tape_has_one_node_per_op_and_renders() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mazur.json");
    let graph = dot_of(&["--model", model, "--x", "0.05,0.1", "--target", "0.01,0.99", "--loss", "quadratic"]);
    // The tape of serial(Dense(2), Sigmoid, Dense(2), Sigmoid) under ½‖ŷ − y‖²/m: each dense layer
    // records matmul_nt and add_row, each sigmoid one activation (6 ops), the loss sub, mul, sum
    // and scale (4 ops): 10 ops; the leaves are x, y, W₁, b₁, W₂, b₂.
    assert_eq!(graph.matches("class=\"op\"").count(), 10, "{graph}");
    assert_eq!(graph.matches("class=\"leaf\"").count(), 6, "{graph}");
    // Every op is on the loss's path; the edges it reads are numbered in backprop's order, 1 to
    // 16: (matmul 2 + add 2 + sigmoid 1) × 2 layers + sub 2 + mul 2 (d·d) + sum 1 + scale 1.
    assert!(graph.contains("[label=\"16\"]") && !graph.contains("[label=\"17\"]"), "{graph}");
    assert!(!graph.contains("dashed"));
    // The post's E_total = 0.298371109 is the loss node's value.
    assert!(graph.contains("scale = L (1×1)\\lvalue [0.29837111]"), "{graph}");
    let svg = renders(&graph);
    assert_eq!(svg.matches("class=\"node").count(), 16);
}

#[test]
fn the_blogs_tape_renders_and_a_second_step_is_refused() {
    let graph = dot_of(&[]);
    // The blog's model: matmul_nt; the softmax as log_softmax and exp; cross-entropy's mul, sum, scale.
    assert_eq!(graph.matches("class=\"op\"").count(), 6);
    // The exp (ŷ) is not read by the loss, which reads the log-softmax: its edge is dashed.
    assert_eq!(graph.matches("style=dashed").count(), 1);
    renders(&graph);
    let out = cargo_bin_cmd!("gradlens").args(["explain", "--format", "dot", "--steps", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format dot draws one step"));
}

//! `gradlens serve` as a process: the URL printed once listening, the page served there, a clean
//! stop on Ctrl-C (SIGINT), and bad options refused with one line and exit 2.

use assert_cmd::cargo::cargo_bin_cmd;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn prints_its_url_serves_the_page_and_stops_on_ctrl_c() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gradlens"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("a line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "loopback by default: {line}");
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("the port listens");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200") && page.contains("/static/app.js"), "{}", &page[..page.len().min(300)]);
    // A client stalled half way through its request body: Ctrl-C must not wait on it for ever.
    let mut stalled = TcpStream::connect(host).expect("the port listens");
    write!(stalled, "POST /api/explain HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\n{{\"x\": ").unwrap();
    stalled.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Ctrl-C: SIGINT to the process, which stops serving and exits 0.
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let waited = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("the server's status") {
            break exit;
        }
        if waited.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("still running 15 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    drop(stalled);
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("stopped"), "{err}");
}

#[test]
fn bad_options_get_one_line_and_exit_2() {
    let out = cargo_bin_cmd!("gradlens").args(["serve", "--host", "my laptop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--host my laptop: not an IP address") && err.lines().count() == 1, "{err}");
    // A port that is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = cargo_bin_cmd!("gradlens").args(["serve", "--port", &port]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("--port {port}: already in use")), "{err}");
}

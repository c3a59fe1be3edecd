//! The browser harness every page test shares: headless Chromium driven over WebDriver
//! (chromedriver) against the server on a loopback port, screenshots in `target/browser/`.
//!
//! Needs `chromium` and `chromium-driver` (Debian; `.ci/run` installs them). With `CI=true` a
//! missing driver fails the test; elsewhere the test says so and passes without running.
//! (Unix only: the driver and its browsers are ended as one process group.)
#![allow(dead_code)] // each test file uses its own part of the kit

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::net::TcpListener as StdListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one thing may take to appear on the page. Generous on purpose: a wait ends as
/// soon as the thing appears, and on a loaded 2-core CI machine a live training run on a debug
/// build took over 20 s to reach a listed change (browser_playground failed that way once while
/// five builds shared the cores). A real breakage still fails, only later.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// chromedriver in a process group of its own, ended with the browsers it started when the test
/// ends however it ends (a failed assertion leaves no Chromium behind).
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&dir).expect("target/browser");
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(shots_dir().join(name), png).expect("screenshot written");
}

/// Polls a JavaScript expression until it is truthy; returns its value.
pub async fn until(c: &Client, what: &str, expression: &str) -> Value {
    let start = Instant::now();
    loop {
        let v = c.execute(&format!("return ({expression});"), vec![]).await.expect("script runs");
        let truthy = match &v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        };
        if truthy {
            return v;
        }
        if start.elapsed() > PATIENCE {
            shot(c, "failure.png").await;
            panic!("waited {PATIENCE:?} for {what} ({expression}); screenshot in target/browser/failure.png");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.expect("text")
}

/// A browser on a fresh server: the WebDriver client, the page's address and the driver process
/// (dropping it ends the browsers).
pub struct Browser {
    pub c: Client,
    pub url: String,
    pub driver: Driver,
}

/// Starts the server (`gradlens::serve::app()`) and a headless Chromium at 1280×800; `None` when
/// chromedriver is missing and this is not CI (the caller returns, having said so).
pub async fn open() -> Option<Browser> {
    let on_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Some(driver_path) =
        std::env::var_os("CHROMEDRIVER").map(PathBuf::from).or_else(|| find_on_path("chromedriver"))
    else {
        assert!(!on_ci, "CI=true but chromedriver is not installed (apt-get install chromium chromium-driver)");
        eprintln!("browser test SKIPPED: no chromedriver on PATH (apt-get install chromium chromium-driver)");
        return None;
    };

    // The server, in this process, on a loopback port the system picks.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gradlens::serve::app()).await.expect("serves") });

    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let mut caps = serde_json::Map::new();
    let mut chrome = json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"] });
    if let Ok(bin) = std::env::var("CHROME") {
        chrome["binary"] = json!(bin);
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    let start = Instant::now();
    let c = loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if start.elapsed() < PATIENCE => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver on port {port} did not take a session: {e}"),
        }
    };

    Some(Browser { c, url, driver: _driver })
}

/// The contrast ratio of a CSS `rgb(…)` colour on white (WCAG 2.2's relative luminance).
pub fn contrast_on_white(css: &str) -> f64 {
    let channels: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|c| c.trim().parse::<f64>().expect("a channel") / 255.0)
        .map(|c| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) })
        .collect();
    let l = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    1.05 / (l + 0.05)
}

/// WebDriver's key codes, for [`press`].
pub mod keys {
    pub const TAB: char = '\u{E004}';
    pub const ENTER: char = '\u{E007}';
    pub const ESCAPE: char = '\u{E00C}';
    pub const ARROW_LEFT: char = '\u{E012}';
    pub const ARROW_UP: char = '\u{E013}';
    pub const ARROW_RIGHT: char = '\u{E014}';
    pub const ARROW_DOWN: char = '\u{E015}';
    pub const HOME: char = '\u{E011}';
    pub const END: char = '\u{E010}';
}

/// A key pressed and released wherever focus is, as a person types it (sent to an element, a key
/// would be taken for a file name by a file input).
pub async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.expect("a key press");
}

/// Sets a form control's value and tells the page, as a person changing it would.
pub async fn set(c: &Client, id: &str, value: &str) {
    let script = "const el = document.getElementById(arguments[0]); el.value = arguments[1]; \
                  el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));";
    c.execute(script, vec![id.into(), value.into()]).await.expect("script runs");
}

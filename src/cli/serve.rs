//! `gradlens serve`: the step-through page on a local web server.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

#[derive(clap::Args)]
pub struct Args {
    /// The address to listen on. Anything but loopback exposes the server, which has no
    /// authentication, to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port; 0 takes any free one.
    #[arg(long, default_value = "7878")]
    port: u16,
    /// Open the page in the default browser once the server listens.
    #[arg(long)]
    open: bool,
    /// Another host name to answer to (repeatable), e.g. the machine's name with `--host
    /// 0.0.0.0`. Loopback names and the bound address are always allowed; any other Host is
    /// refused, which stops a page elsewhere from reaching the server under a name of its own.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_host: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let ip: IpAddr = match args.host.as_str() {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        h => h.parse().with_context(|| format!("--host {h}: not an IP address (e.g. 127.0.0.1 or ::1)"))?,
    };
    if !ip.is_loopback() {
        eprintln!(
            "gradlens: warning: --host {ip}: the server has no authentication; anyone who can reach this address can use it"
        );
    }
    let open = args.open;
    let options = gradlens::serve::ServeOptions { allow_hosts: args.allow_host.clone(), ..Default::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the server")?;
    let served = runtime.block_on(gradlens::serve::serve(SocketAddr::new(ip, args.port), options, move |addr| {
        let host = if addr.ip().is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { addr.ip() };
        let url = format!("http://{}/", SocketAddr::new(host, addr.port()));
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "gradlens serve: listening on {url} (Ctrl-C to stop)");
        let _ = out.flush();
        if open {
            open_browser(&url);
        }
    }));
    match served {
        Ok(()) => {
            eprintln!("gradlens serve: stopped");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            bail!("--port {}: already in use (try --port 0 for any free port)", args.port)
        }
        Err(e) => Err(e).with_context(|| format!("--host {} --port {}", args.host, args.port)),
    }
}

/// Opens `url` with the system's opener, if there is one. The opener's own output is not passed
/// through (xdg-open with no browser prints several lines of its own); a failure is one line
/// saying to open the page by hand. The child is waited for on a thread of its own, so it never
/// lingers as a zombie while the server runs.
fn open_browser(url: &str) {
    use std::process::{Command, Stdio};
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let child = Command::new(opener).arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    match child {
        Err(e) => cannot_open(url, &format!("{opener}: {e}")),
        Ok(mut child) => {
            let url = url.to_string();
            std::thread::spawn(move || match child.wait() {
                Ok(status) if status.success() => {}
                Ok(status) => cannot_open(&url, &format!("{opener} {status}")),
                Err(e) => cannot_open(&url, &format!("{opener}: {e}")),
            });
        }
    }
}

fn cannot_open(url: &str, why: &str) {
    eprintln!("gradlens serve: could not open a browser ({why}); open {url} yourself");
}

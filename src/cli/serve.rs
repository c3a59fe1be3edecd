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

/// The system's opener, if there is one; a failure only says so.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        eprintln!("gradlens: could not start {opener}; open {url} yourself");
    }
}

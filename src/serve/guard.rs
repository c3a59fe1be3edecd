//! What keeps other web pages out of the local server.
//!
//! A server on loopback is reachable from every page the user's browser opens. A page elsewhere
//! can post to it (a cross-site request), or point a name of its own at 127.0.0.1 and then read
//! the answers as if they were its own (DNS rebinding). So, as Jupyter does:
//! - **Host** must name this server: a loopback name (`localhost`, `127.0.0.1`, `[::1]`), the
//!   address it is bound to, or a name given with `--allow-host`. A rebinding page's requests
//!   carry the page's own name and are refused.
//! - **Origin**: an API request that carries one (browsers send it on every cross-origin request
//!   and on every POST and DELETE) must come from this server's own origin; a request a browser
//!   marks `Sec-Fetch-Site: cross-site` or `same-site` is refused too.
//! - **Content-Type**: a POST's body must be declared `application/json` (`text/csv` for an
//!   upload). A browser asks before sending those from another origin (a CORS preflight), which
//!   this server never grants, so a form or a `no-cors` fetch elsewhere cannot reach a handler.

use super::ApiError;
use super::error::shorten;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// The host names this server answers to (lower case, without port or IPv6 brackets).
#[derive(Clone, Debug)]
pub struct Guard {
    hosts: Arc<Vec<String>>,
}

impl Guard {
    /// Loopback names only: the server as the tests and the default `serve` run it.
    pub fn loopback() -> Guard {
        Guard::new(None, &[])
    }

    /// Loopback names, the address the server is bound to (unless it is 0.0.0.0 or ::, which
    /// names no host) and each of `extra` (`--allow-host`).
    pub fn new(bound: Option<IpAddr>, extra: &[String]) -> Guard {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].iter().map(|h| h.to_string()).collect();
        if let Some(ip) = bound.filter(|ip| !ip.is_unspecified()) {
            hosts.push(ip.to_string());
        }
        hosts.extend(extra.iter().map(|h| bare(h).to_ascii_lowercase()));
        Guard { hosts: Arc::new(hosts) }
    }

    /// Ok, or the refusal naming what was wrong.
    fn admit(&self, request: &Request) -> Result<(), ApiError> {
        let headers = request.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .ok_or_else(|| forbidden(StatusCode::BAD_REQUEST, "the request has no Host header".into()))?;
        let name = bare(host).to_ascii_lowercase();
        if !self.hosts.contains(&name) {
            return Err(forbidden(
                StatusCode::FORBIDDEN,
                format!(
                    "Host '{}' is not this server's name (start it with --allow-host {} to answer to it)",
                    shorten(host, 80),
                    shorten(&name, 80)
                ),
            ));
        }
        if !request.uri().path().starts_with("/api/") {
            return Ok(());
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let same = origin
                .to_str()
                .ok()
                .and_then(|o| o.strip_prefix("http://"))
                .is_some_and(|o| o.eq_ignore_ascii_case(host));
            if !same {
                let shown = origin.to_str().map(|o| shorten(o, 80)).unwrap_or_else(|_| "(not text)".into());
                return Err(forbidden(
                    StatusCode::FORBIDDEN,
                    format!("Origin '{shown}': only this server's own page may use its API"),
                ));
            }
        }
        if let Some(site) = headers.get("sec-fetch-site").and_then(|s| s.to_str().ok())
            && (site == "cross-site" || site == "same-site")
        {
            return Err(forbidden(
                StatusCode::FORBIDDEN,
                format!("a {site} request: only this server's own page may use its API"),
            ));
        }
        if request.method() == Method::POST {
            let declared = headers.get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).unwrap_or("");
            let essence = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let upload = request.uri().path() == "/api/data";
            if !(essence == "application/json" || (upload && essence == "text/csv")) {
                let wanted = if upload { "text/csv or application/json" } else { "application/json" };
                return Err(forbidden(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Type '{}': the body must be sent as {wanted}", shorten(declared, 80)),
                ));
            }
        }
        Ok(())
    }
}

/// The host of a `Host` value or a name: without its port and without IPv6 brackets.
fn bare(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        // One colon: name:port. More: a bare IPv6 address (no port without brackets).
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

fn forbidden(status: StatusCode, message: String) -> ApiError {
    ApiError { status, message }
}

/// The middleware: every request passes [`Guard::admit`] before any handler sees it.
pub async fn check(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    match guard.admit(&request) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::bare;

    #[test]
    fn host_names_lose_port_and_brackets() {
        assert_eq!(bare("127.0.0.1:7878"), "127.0.0.1");
        assert_eq!(bare("localhost"), "localhost");
        assert_eq!(bare("[::1]:80"), "::1");
        assert_eq!(bare("::1"), "::1");
        assert_eq!(bare("evil.example:80"), "evil.example");
    }
}

//! The page's files, embedded in the binary: no build step, no network.

use super::ApiError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::sync::LazyLock;

const INDEX: &str = include_str!("../../static/index.html");
const FILES: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../static/app.js")),
    ("units.js", "text/javascript; charset=utf-8", include_str!("../../static/units.js")),
    // The step view's diagram as one tab stop, walked with the arrow keys.
    ("rove.js", "text/javascript; charset=utf-8", include_str!("../../static/rove.js")),
    ("graph.js", "text/javascript; charset=utf-8", include_str!("../../static/graph.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    // The step view's optimizer choice and its state panel.
    ("optimizer.js", "text/javascript; charset=utf-8", include_str!("../../static/optimizer.js")),
    // The page's setup in its link.
    ("share.js", "text/javascript; charset=utf-8", include_str!("../../static/share.js")),
    // The data-set picker.
    ("toy.js", "text/javascript; charset=utf-8", include_str!("../../static/toy.js")),
    // The menus of names (losses, optimizers, …), filled from the library's lists.
    ("menus.js", "text/javascript; charset=utf-8", include_str!("../../static/menus.js")),
    ("features.js", "text/javascript; charset=utf-8", include_str!("../../static/features.js")),
    ("walkthrough.css", "text/css; charset=utf-8", crate::render::html::CSS),
    // Mazur's network, for the page's "Mazur's example" button.
    ("mazur.json", "application/json", include_str!("../../examples/mazur.json")),
];

/// The page, with the library's names for its menus in it ([`super::choices::page_with_names`]),
/// put together once.
pub async fn index() -> Html<&'static str> {
    static PAGE: LazyLock<String> = LazyLock::new(|| super::choices::page_with_names(INDEX));
    Html(PAGE.as_str())
}

pub async fn file(Path(name): Path<String>) -> Result<Response, ApiError> {
    let (_, mime, body) = FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| ApiError::not_found(format!("/static/{}: no such file", super::error::shorten(&name, 80))))?;
    Ok(([(header::CONTENT_TYPE, *mime), (header::CACHE_CONTROL, "no-cache")], *body).into_response())
}

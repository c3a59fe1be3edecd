//! Every refusal the server gives: a 4xx status and `{"error": "…"}`, one line naming the
//! problem in the words of the page (field and item, not the JSON reader's jargon).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal: its status and the one line that says why.
#[derive(Debug)]
pub struct ApiError {
    /// 400, 403, 404, 405, 408, 413 (a body over the limit), 415, 422 or 429.
    pub status: StatusCode,
    /// What was wrong, naming the field or the limit.
    pub message: String,
}

impl ApiError {
    /// Input that cannot be used.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// No such page, table or session.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// A well-formed request for more work or memory than the server gives one caller (422:
    /// 413 is for a body over the size limit).
    pub fn too_much(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into() }
    }

    /// The server's caps on live sessions are reached.
    pub fn busy(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::TOO_MANY_REQUESTS, message: message.into() }
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> ApiError {
        ApiError::bad(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": crate::safe_text::one_line(&self.message) }))).into_response()
    }
}

/// Text from a request quoted in a message: one line, at most `max` characters.
pub fn shorten(text: &str, max: usize) -> String {
    let line = crate::safe_text::one_line(text);
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// A JSON body read as strictly as a model file (`strict_json`: no data after the value, no key
/// given twice), the first problem named by its place (`x, item 1, item 2: 'abc' is not a
/// number`).
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::bad("the request body is not UTF-8 text"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    crate::strict_json::parse_at(text).map_err(|(at, why)| {
        let why = plain(&why);
        match place(&at) {
            top if at == "top level" || top.starts_with("item ") => ApiError::bad(format!("body: {why}")),
            at => ApiError::bad(format!("{at}: {why}")),
        }
    })
}

/// `x[0][1]` → `x, item 1, item 2`; `model.layers[0].weights` → `model, layers, item 1, weights`.
fn place(at: &str) -> String {
    let mut parts = Vec::new();
    for segment in at.split('.') {
        let (key, indices) = segment.split_once('[').map_or((segment, ""), |(k, i)| (k, i));
        if !key.is_empty() {
            parts.push(key.to_string());
        }
        for index in indices.split('[').filter(|i| !i.is_empty()) {
            let index = index.trim_end_matches(']');
            parts.push(match index.parse::<usize>() {
                Ok(i) => format!("item {}", i + 1),
                Err(_) => index.to_string(),
            });
        }
    }
    parts.join(", ")
}

/// serde_json's message in the page's words: no `at line 1 column 164`, no Rust type names.
fn plain(why: &str) -> String {
    let why = match why.rfind(" at line ") {
        Some(cut) if why[cut..].contains(" column ") => &why[..cut],
        _ => why,
    };
    let Some(rest) = why.strip_prefix("invalid type: ") else {
        return why.replace("invalid value: ", "").replace("integer `", "`").replace("floating point `", "`");
    };
    let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let got = match got.strip_prefix("string ") {
        Some(s) => format!("'{}'", s.trim_matches('"')),
        None => got
            .strip_prefix("floating point ")
            .or_else(|| got.strip_prefix("integer "))
            .or_else(|| got.strip_prefix("boolean "))
            .unwrap_or(got)
            .trim_matches('`')
            .replace("sequence", "a list")
            .replace("map", "an object"),
    };
    let wanted = match expected {
        "f64" | "f32" => "a number",
        "usize" | "u64" | "u32" | "u8" => "a whole number (0 or more)",
        "a sequence" => "a list",
        "a boolean" => "true or false",
        other if other.starts_with("struct ") || other == "a map" => "an object",
        other => other,
    };
    format!("{got} is not {wanted}")
}

#[cfg(test)]
mod tests {
    use super::{place, plain};

    #[test]
    fn messages_in_the_pages_words() {
        assert_eq!(place("x[0][1]"), "x, item 1, item 2");
        assert_eq!(place("model.layers[2].weights"), "model, layers, item 3, weights");
        assert_eq!(plain("invalid type: null, expected f64 at line 1 column 164"), "null is not a number");
        assert_eq!(plain("invalid type: string \"abc\", expected f64 at line 1 column 9"), "'abc' is not a number");
        assert_eq!(
            plain("invalid type: floating point `1.5`, expected usize"),
            "1.5 is not a whole number (0 or more)"
        );
    }
}

//! Every refusal the server gives: a 4xx status and `{"error": "…"}` naming the problem.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal: its status and the one line that says why.
#[derive(Debug)]
pub struct ApiError {
    /// 400, 404, 413 or 503.
    pub status: StatusCode,
    /// What was wrong, naming the field or the limit.
    pub message: String,
}

impl ApiError {
    /// Input that cannot be used (422 would split hairs: 400 for all of it).
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// No such page, table or session.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// A request for more work or memory than the server gives one caller.
    pub fn too_much(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::PAYLOAD_TOO_LARGE, message: message.into() }
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
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// A JSON body deserialised with the path of the first problem in it (`at model.layers[0]…`).
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::bad("the request body is not UTF-8 text"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let why = e.into_inner().to_string();
        if at == "." { ApiError::bad(format!("body: {why}")) } else { ApiError::bad(format!("body at {at}: {why}")) }
    })
}

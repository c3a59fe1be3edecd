//! `GET /api/choices`: the names the page's menus offer (losses, optimizers, activations, …),
//! read from the library's own lists, so that a loss or an optimizer added to the library is on
//! the page without a hand-written list to forget.

use crate::activation::Activation;
use crate::data::{ScaleKind, TOY_NAMES};
use crate::layers::Init;
use crate::loss::LOSS_NAMES;
use crate::update::OPTIMIZER_NAMES;
use axum::Json;
use serde_json::{Value, json};

/// `GET /api/choices`: `{losses, optimizers, activations, inits, scales, toys}`, each a list of
/// names as the CLI's options and the API's fields take them, in the library's order.
pub async fn choices() -> Json<Value> {
    Json(json!({
        "losses": LOSS_NAMES,
        "optimizers": OPTIMIZER_NAMES,
        "activations": Activation::ALL.map(Activation::name),
        "inits": Init::NAMES,
        "scales": ScaleKind::NAMES,
        "toys": TOY_NAMES,
    }))
}

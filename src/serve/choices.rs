//! `GET /api/choices`: the names the page's menus offer (losses, optimizers, activations, …),
//! read from the library's own lists, so that a loss or an optimizer added to the library is on
//! the page without a hand-written list to forget.

use crate::activation::Activation;
use crate::data::{ScaleKind, TOY_NAMES, TargetKind};
use crate::layers::Init;
use crate::loss::LOSS_NAMES;
use crate::model::OutputLayer;
use crate::run::defaults;
use crate::update::OPTIMIZER_NAMES;
use axum::Json;
use serde_json::{Value, json};

/// `GET /api/choices`: [`names`].
pub async fn choices() -> Json<Value> {
    Json(names())
}

/// `{losses, optimizers, activations, outputs, inits, scales, toys, defaults}`: each a list of names as
/// the CLI's options and the API's fields take them, in the library's order, and the name a
/// fresh menu starts at where the library has a default ([`defaults`]).
pub fn names() -> Value {
    json!({
        "losses": LOSS_NAMES,
        "optimizers": OPTIMIZER_NAMES,
        "activations": Activation::ALL.map(Activation::name),
        "outputs": OutputLayer::names(),
        "inits": Init::NAMES,
        "scales": ScaleKind::NAMES,
        "toys": TOY_NAMES,
        "defaults": {
            "optimizers": defaults::OPTIMIZER,
            "activations": defaults::ACTIVATION,
            // A fresh model's last layer for classes (the page starts on Iris).
            "outputs": OutputLayer::default_for(TargetKind::Classes).name(),
            "inits": defaults::INIT,
            "scales": defaults::SCALE,
        },
    })
}

/// The page with [`names`] in it, where `index.html` marks their place: its menus are filled
/// from them as it loads, without a request before the first walk-through.
pub fn page_with_names(page: &str) -> String {
    // `<` escaped, so that no name could end the script element early.
    let data = names().to_string().replace('<', "\\u003c");
    page.replacen(MARK, &format!("<script type=\"application/json\" id=\"choices\">{data}</script>"), 1)
}

/// Where `index.html` takes [`names`].
const MARK: &str = "<!-- choices -->";

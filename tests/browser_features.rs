//! Feature inputs on the page in a real browser (headless Chromium over WebDriver): on the circle,
//! ticking x₁² and x₂² (and unticking x₁, x₂) trains a session on those two features, and the
//! network diagram's input units are x₁² and x₂². Screenshots `features-*.png` in
//! `target/browser/` at phone, half-screen and desktop widths.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;

/// Clicks the feature checkbox whose item is `item`.
async fn tick(c: &fantoccini::Client, item: &str) {
    let css = format!("#t-features input[data-item='{item}']");
    c.find(fantoccini::Locator::Css(&css))
        .await
        .unwrap_or_else(|_| panic!("a checkbox for {item}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticking_squares_trains_on_them_and_the_diagram_shows_them() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.goto(&url).await.expect("the page loads");
    c.find(fantoccini::Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(&c, "an Iris session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    // Iris has four columns: no checkboxes.
    let hidden = c.execute("return document.getElementById('t-features').hidden;", vec![]).await.unwrap();
    assert_eq!(hidden, serde_json::json!(true));

    set(&c, "toy-set", "circle").await;
    until(
        &c,
        "the checkboxes",
        "!document.getElementById('t-features').hidden && document.querySelectorAll('#t-features input').length === 7",
    )
    .await;
    until(&c, "a circle session", "document.getElementById('t-legend').textContent.includes('orange') && document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    for item in ["x1", "x2", "x1^2", "x2^2"] {
        tick(&c, item).await;
    }
    set(&c, "t-hidden", "").await;
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.find(fantoccini::Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    // Set-ups overlap (the picker's own, then this one): the status line clears when the last ends.
    until(&c, "every set-up done", "document.getElementById('status').textContent === ''").await;
    until(&c, "a session on the squares", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')")
        .await;
    c.find(fantoccini::Locator::Id("t-one")).await.unwrap().click().await.unwrap();
    until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of')").await;

    // The diagram's input units are the two features, by name; x₁ and x₂ are not inputs.
    let inputs = c
        .execute(
            "return [...document.querySelectorAll('#t-net g.unit.st-inputs text')].map(t => t.textContent.split(' = ')[0]);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inputs, serde_json::json!(["x₁²", "x₂²"]));
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        c.execute("document.getElementById('t-features').scrollIntoView();", vec![]).await.unwrap();
        shot(&c, &format!("features-train-{w}.png")).await;
    }
}

//! The playground in a real browser (headless Chromium over WebDriver): the data-set picker
//! draws the library's spiral at once and the training view trains on it. Screenshots
//! `playground-*.png` in `target/browser/` at phone, half-screen and desktop widths.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;

/// Sets a form control's value and tells the page, as a person changing it would.
async fn set(c: &fantoccini::Client, id: &str, value: &str) {
    let script = "const el = document.getElementById(arguments[0]); el.value = arguments[1]; \
                  el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));";
    c.execute(script, vec![id.into(), value.into()]).await.expect("script runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_draws_the_spiral_and_trains_on_it() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.goto(&url).await.expect("the page loads");
    c.find(fantoccini::Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(&c, "an Iris session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;

    // The spiral, 300 points, noise 0.1: drawn at once, every point, both classes' colours.
    set(&c, "toy-points", "300").await;
    set(&c, "toy-noise", "0.1").await;
    set(&c, "toy-set", "spiral").await;
    until(&c, "the scatter", "document.getElementById('toy-scatter').dataset.points === '300'").await;
    let fills = c
        .execute("return [...new Set([...document.querySelectorAll('#toy-scatter circle')].map(e => e.getAttribute('fill')))].sort();", vec![])
        .await
        .unwrap();
    // Okabe–Ito's sky blue for the class called blue, orange for orange.
    assert_eq!(fills, serde_json::json!(["#56B4E9", "#E69F00"]));
    // The run is set up again on the spiral's rows: 2 features, classes blue and orange.
    until(&c, "a spiral session", "document.getElementById('t-legend').textContent.includes('orange') && document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    set(&c, "t-hidden", "8,8").await;
    // The old session's line goes, so that the new one's is waited for.
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.find(fantoccini::Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    until(&c, "a fresh session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    c.find(fantoccini::Locator::Id("t-one")).await.unwrap().click().await.unwrap();
    until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of')").await;
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("playground-picker-{w}.png")).await;
    }
}

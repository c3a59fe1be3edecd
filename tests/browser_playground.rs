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

/// "One epoch" pressed for each of `epochs`, each waited for, of a run of `total`.
async fn one_epoch_at_a_time(c: &fantoccini::Client, epochs: std::ops::RangeInclusive<usize>, total: usize) {
    for epoch in epochs {
        c.find(fantoccini::Locator::Id("t-one")).await.unwrap().click().await.unwrap();
        let shown =
            format!("document.getElementById('t-epoch-text')?.textContent.startsWith('epoch {epoch} of {total}')");
        until(c, "the next epoch", &shown).await;
    }
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
    // The spiral's own epoch 0 (its map over x1, x2), not the Iris session's line still shown:
    // a reset clicked before it lands would be overwritten by it.
    until(&c, "a spiral session", "document.getElementById('t-legend').textContent.includes('orange') && document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0') && document.getElementById('t-map-caption').textContent.includes('x1 (→)')").await;
    set(&c, "t-hidden", "8,8").await;
    // The old session's line goes, so that the new one's is waited for.
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.find(fantoccini::Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    // Set-ups overlap (the picker's own, then this one): the status line clears when the last ends.
    until(&c, "every set-up done", "document.getElementById('status').textContent === ''").await;
    until(&c, "a fresh session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    c.find(fantoccini::Locator::Id("t-one")).await.unwrap().click().await.unwrap();
    until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of')").await;
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("playground-picker-{w}.png")).await;
    }
}

/// The link holds the whole setup: opened fresh, it shows the same data set, run and epoch,
/// with the same loss (trained again by the server, not carried in the link).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_reproduces_the_setup_and_the_loss() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.goto(&url).await.expect("the page loads");
    until(&c, "the step", "document.querySelectorAll('#stage-select option').length").await;
    c.find(fantoccini::Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(&c, "an Iris session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    set(&c, "toy-points", "200").await;
    set(&c, "toy-noise", "0.15").await;
    set(&c, "toy-seed", "4").await;
    set(&c, "toy-set", "spiral").await;
    until(&c, "the scatter", "document.getElementById('toy-scatter').dataset.points === '200'").await;
    until(&c, "a spiral session", "document.getElementById('t-legend').textContent.includes('orange')").await;
    for (id, value) in [("t-hidden", "6,6"), ("t-lr", "0.3"), ("t-l2", "0.001"), ("t-epochs", "60"), ("t-seed", "2")] {
        set(&c, id, value).await;
    }
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.find(fantoccini::Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    until(&c, "the set-up run", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0 of 60')")
        .await;
    one_epoch_at_a_time(&c, 1..=7, 60).await;
    // Live: α and L2 change after epoch 7, without a reset; the run goes on to epoch 10.
    set(&c, "t-lr", "0.1").await;
    set(&c, "t-l2", "0.01").await;
    let changes = until(&c, "the change listed", "document.getElementById('t-changes').textContent.includes('L2 0.01') && document.getElementById('t-changes').textContent").await;
    assert_eq!(
        until(&c, "one entry", "document.querySelectorAll('#t-changes li').length").await,
        1,
        "epoch 8 takes the last"
    );
    assert!(changes.as_str().unwrap().contains("from epoch 8: α 0.1, L2 0.01"), "{changes}");
    one_epoch_at_a_time(&c, 8..=10, 60).await;
    let loss = until(&c, "the loss", "document.getElementById('t-epoch-text').dataset.loss").await;
    let link = until(&c, "the link", "location.href.includes('epoch=10') && location.href").await;
    let link = link.as_str().unwrap().to_string();
    // The run's settings as it started (α 0.3, L2 0.001), and the changes at epoch 8.
    for part in [
        "set=spiral",
        "points=200",
        "noise=0.15",
        "dseed=4",
        "hidden=6%2C6",
        "lr=0.3",
        "l2=0.001",
        "view=train",
        "changes=",
    ] {
        assert!(link.contains(part), "{part} in {link}");
    }

    // A fresh page from the link alone.
    c.goto("about:blank").await.unwrap();
    c.goto(&link).await.expect("the link loads");
    let again = until(&c, "epoch 10 again", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 10 of 60') && document.getElementById('t-epoch-text').dataset.loss").await;
    assert_eq!(again, loss, "the same loss at the same epoch, the changes made at the same epoch");
    let changes_again = until(&c, "the changes again", "document.getElementById('t-changes').textContent").await;
    assert!(changes_again.as_str().unwrap().contains("from epoch 8: α 0.1, L2 0.01"), "{changes_again}");
    assert_eq!(until(&c, "the picker", "document.getElementById('toy-set').value").await, "spiral");
    assert_eq!(until(&c, "the scatter", "document.getElementById('toy-scatter').dataset.points").await, "200");
    assert_eq!(until(&c, "the model", "document.getElementById('t-hidden').value").await, "6,6");
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("playground-link-{w}.png")).await;
    }
}

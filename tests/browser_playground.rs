//! The playground in a real browser (headless Chromium over WebDriver): the data-set picker
//! draws the library's spiral at once and the training view trains on it. Screenshots
//! `playground-*.png` in `target/browser/` at phone, half-screen and desktop widths.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;

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

    // With the table of Model and data chosen, a generated set's points, noise and seed do not
    // apply, and are not shown; a set chosen shows them.
    let sizes_shown = "return ['toy-points', 'toy-noise', 'toy-seed'].map((id) => document.getElementById(id).closest('label').checkVisibility())";
    assert_eq!(c.execute(sizes_shown, vec![]).await.unwrap(), serde_json::json!([false, false, false]));
    // The spiral, 300 points, noise 0.1: drawn at once, every point, both classes' colours.
    set(&c, "toy-points", "300").await;
    set(&c, "toy-noise", "0.1").await;
    set(&c, "toy-set", "spiral").await;
    assert_eq!(c.execute(sizes_shown, vec![]).await.unwrap(), serde_json::json!([true, true, true]));
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
    // A feature input besides x₁ and x₂: x₁·x₂.
    until(&c, "the feature inputs", "document.querySelector('#t-features input[data-item=\"x1*x2\"]')").await;
    c.execute("document.querySelector('#t-features input[data-item=\"x1*x2\"]').click();", vec![]).await.unwrap();
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
        "features=x1%2Cx2%2Cx1*x2",
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
    let ticked = "[...document.querySelectorAll('#t-features input:checked')].map(e => e.dataset.item).join(',')";
    assert_eq!(until(&c, "the feature inputs", ticked).await, "x1,x2,x1*x2");
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("playground-link-{w}.png")).await;
    }
}

/// The step view with an L2 rate: the loss line gives L = L_data + penalty as the library's
/// record has it, the walk-through has its penalty stage, W₁₁'s chain shows λ₂·W₁₁; the link
/// keeps the rate, the stage and the selected weight, and a fresh load shows them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_step_view_shows_the_penalty_and_its_link_keeps_the_selection() {
    use gradlens::loss::Penalty;
    use gradlens::render::fmt_num;
    use gradlens::trace::{ExplainRequest, explain};
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    // The blog's step with λ₂ = 0.1: the library's record, which JAX's golden tests check.
    let record = explain(&ExplainRequest { penalty: Penalty::new(0.1, 0.0).unwrap(), ..ExplainRequest::blog() })
        .expect("the blog's step");
    let total = fmt_num(record.penalty.as_ref().expect("a penalty").total_loss);

    c.goto(&url).await.expect("the page loads");
    until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
    set(&c, "l2-input", "0.1").await;
    c.find(fantoccini::Locator::Css("#sample-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let shown = until(&c, "the total loss", "document.getElementById('total-loss-value')?.textContent").await;
    assert_eq!(shown, total.as_str(), "L = L_data + λ₂/2·Σ W², the record's");
    let stage = until(
        &c,
        "the penalty stage",
        "[...document.querySelectorAll('#stage-select option')].find(o => /penalty/i.test(o.textContent))?.value",
    )
    .await;
    set(&c, "stage-select", stage.as_str().unwrap()).await;
    until(&c, "its text", "document.getElementById('stage').textContent.includes('0.1')").await;
    let w11 = c
        .find(fantoccini::Locator::Css(r#"#diagram .edge[data-layer="0"][data-row="0"][data-col="0"]"#))
        .await
        .unwrap();
    c.execute(
        "const e = arguments[0]; e.focus(); e.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));",
        vec![serde_json::to_value(&w11).unwrap()],
    )
    .await
    .unwrap();
    let chain = until(
        &c,
        "W11's chain",
        "document.getElementById('chain-grad') && document.getElementById('details').textContent",
    )
    .await;
    // ∂L/∂W₁₁ = ∂L_data/∂W₁₁ + λ₂·W₁₁ = (0.4794433 − 1)·0.81 + 0.1·0.15 = −0.4216509 + 0.015
    // = −0.4066509 (the blog's W₁₁ is 0.15): the record's, and the chain says the sum.
    let taken = serde_json::to_value(&record).unwrap()["penalty"]["gradients"][0]["total"][0][0].as_f64().unwrap();
    assert!((taken + 0.4066509).abs() < 1e-7, "{taken}");
    assert_eq!(text_of(&c, "#chain-grad").await, fmt_num(taken));
    assert!(chain.as_str().unwrap().contains("+0.1⋅0.15="), "the chain shows the penalty's part: {chain}");
    let link = until(&c, "the link", "location.href.includes('sel=') && location.href").await;
    let link = link.as_str().unwrap().to_string();
    assert!(link.contains("sl2=0.1") && link.contains("view=step"), "{link}");
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("playground-penalty-{w}.png")).await;
    }

    c.goto("about:blank").await.unwrap();
    c.goto(&link).await.expect("the link loads");
    let again = until(&c, "the total loss again", "document.getElementById('total-loss-value')?.textContent").await;
    assert_eq!(again, total.as_str());
    assert_eq!(until(&c, "the stage again", "document.getElementById('stage-select').value").await, stage);
    let chain_again = until(
        &c,
        "W11's chain again",
        "document.getElementById('chain-grad') && document.getElementById('details').textContent",
    )
    .await;
    assert_eq!(chain_again, chain, "the same weight selected, the same numbers");
}

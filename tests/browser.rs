//! The page in a real browser: headless Chromium driven over WebDriver (chromedriver), against
//! the server on a loopback port. It steps through every stage, clicks W₁₁ and reads its
//! gradient (it must equal the JSON's), edits a weight and sees the loss change (to the library's
//! value for the edited model), trains 50 epochs and sees the loss fall, uploads a bad CSV and
//! sees the error; screenshots go to `target/browser/` for a person to look at.
//!
//! The harness (driver, screenshots, waiting) is `tests/browser_kit`, shared with the other
//! `browser_*.rs` tests.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;
use fantoccini::Locator;
use gradlens::render::fmt_num;
use gradlens::trace::{ExplainRequest, explain};
use serde_json::{Value, json};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_steps_clicks_edits_trains_and_uploads() {
    // `_driver` keeps chromedriver (and its browsers) alive until the test ends.
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    let blog = explain(&ExplainRequest::blog()).expect("the blog's example");
    let record: Value = serde_json::to_value(&blog).unwrap();

    // 1. The page loads the blog's example; its loss is the record's.
    c.goto(&url).await.expect("the page loads");
    until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
    assert_eq!(text_of(&c, "#loss-value").await, fmt_num(blog.loss));
    shot(&c, "01-overview.png").await;

    // 2. Every stage, with the → key; each shows its own heading and lights its part.
    let stages =
        until(&c, "stage count", "document.querySelectorAll('#stage-select option').length").await.as_u64().unwrap();
    assert!(stages >= 9, "{stages} stages");
    let body = c.find(Locator::Css("body")).await.unwrap();
    for i in 1..stages {
        body.send_keys("\u{E014}").await.expect("→"); // WebDriver's ArrowRight
        let shown = until(&c, "the next stage", &format!("document.getElementById('stage-select').value === '{i}' && document.querySelector('#stage h2')?.textContent")).await;
        let title = c
            .execute(&format!("return document.querySelectorAll('#stage-select option')[{i}].textContent"), vec![])
            .await
            .unwrap();
        assert_eq!(shown, title, "stage {i}");
        if title.as_str().is_some_and(|t| t.starts_with("5.")) {
            // Backward: the edges now show ∂L/∂w (the gradient diagram) and are lit.
            until(&c, "the gradient diagram", "document.querySelector('#diagram svg.shows-gradients .edge.lit')").await;
            shot(&c, "02-backward.png").await;
        }
    }
    body.send_keys("\u{E012}").await.expect("←"); // ArrowLeft
    until(&c, "one stage back", &format!("document.getElementById('stage-select').value === '{}'", stages - 2)).await;

    // 3. Click W₁₁: its chain, and its gradient equal to the JSON's.
    let w11 = c
        .find(Locator::Css(r#"#diagram .edge[data-layer="0"][data-row="0"][data-col="0"]"#))
        .await
        .expect("W11's edge");
    if w11.click().await.is_err() {
        // Another edge may cover W₁₁'s midpoint: reach it with the keyboard instead.
        c.execute("const e = arguments[0]; e.focus(); e.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));", vec![serde_json::to_value(&w11).unwrap()]).await.unwrap();
    }
    let grad = until(&c, "W11's gradient", "document.getElementById('chain-grad')?.textContent").await;
    let json_grad = record["layers"][0]["grad_weights"][0][0].as_f64().unwrap();
    assert_eq!(grad.as_str().unwrap(), fmt_num(json_grad));
    let read: f64 = grad.as_str().unwrap().parse().unwrap();
    assert!((read - json_grad).abs() <= 1e-7 * json_grad.abs(), "{read} vs {json_grad}");
    // The spec's number: ∂L/∂W₁₁ = (ŷ₁ − 1)·x₁ = (0.4794433 − 1)·0.81 = −0.4216509.
    assert!((read + 0.4216509).abs() < 1e-7);
    shot(&c, "03-w11-chain.png").await;

    // 4. Edit W₁₁ to 0.9: the loss changes, to the library's loss for that model.
    let before = text_of(&c, "#loss-value").await;
    let field = c.find(Locator::Id("edit-value")).await.expect("the edit field");
    field.clear().await.unwrap();
    field.send_keys("0.9\n").await.unwrap();
    let after = until(&c, "a new loss", &format!("document.getElementById('loss-value')?.textContent !== '{before}' && document.getElementById('loss-value')?.textContent")).await;
    let mut edited = ExplainRequest::blog();
    let mut file = edited.model.to_file();
    if let gradlens::model::LayerFile::Dense { weights, .. } = &mut file.layers[0] {
        weights[0][0] = 0.9;
    }
    edited.model = file.to_model(Path::new("edited")).unwrap();
    let expected = explain(&edited).unwrap();
    assert_eq!(after.as_str().unwrap(), fmt_num(expected.loss));
    // By hand: z₁ = 0.81·0.9 + 0.57·0.29 + 0.28·0.1 + 0.84·0.71 = 1.5187 (z₂, z₃ unchanged,
    // 0.6105 and −0.1517); e^z = 4.56629, 1.84135, 0.85925, sum 7.26688; ŷ₁ = 0.628368;
    // L = −ln 0.628367 = 0.464627.
    let shown: f64 = after.as_str().unwrap().parse().unwrap();
    assert!((shown - 0.464627).abs() < 2e-6, "{shown}");
    assert_ne!(after.as_str().unwrap(), before);
    // Focus stays in the field after "Set and recompute" (it used to fall to <body>).
    let focused = until(&c, "focus back in the field", "document.activeElement?.id").await;
    assert_eq!(focused, json!("edit-value"));
    // The history says what made each entry: the start, then an edit.
    let kinds = c
        .execute("return [...document.querySelectorAll('#history button')].map(b => b.dataset.kind)", vec![])
        .await
        .unwrap();
    assert_eq!(kinds, json!(["start", "edit"]));
    shot(&c, "04-edited.png").await;

    // 5. Next step: the history grows and the new step starts from the new weights.
    c.find(Locator::Id("next-step")).await.unwrap().click().await.unwrap();
    until(&c, "a second step in the history", "document.querySelectorAll('#history li').length >= 3").await;
    assert_eq!(text_of(&c, "#loss-value").await, fmt_num(expected.new_loss));

    // 6. Train 50 epochs: the loss falls.
    c.find(Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(&c, "a session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    let epochs = c.find(Locator::Id("t-epochs")).await.unwrap();
    epochs.clear().await.unwrap();
    epochs.send_keys("50").await.unwrap();
    c.find(Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    until(&c, "a 50-epoch session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0 of 50')")
        .await;
    c.find(Locator::Id("t-one")).await.unwrap().click().await.unwrap();
    let first = until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of') && document.getElementById('t-epoch-text').dataset.loss").await;
    c.find(Locator::Id("t-run")).await.unwrap().click().await.unwrap();
    let last = until(&c, "epoch 50", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 50 of') && document.getElementById('t-epoch-text').dataset.loss").await;
    let (first, last): (f64, f64) = (first.as_str().unwrap().parse().unwrap(), last.as_str().unwrap().parse().unwrap());
    assert!(last < first, "the loss did not fall: {first} → {last}");
    // The test loss is drawn beside the training loss (overfitting can be seen).
    let test_points =
        until(&c, "the test-loss curve", "document.querySelector('#t-loss polyline.test')?.getAttribute('points')")
            .await;
    assert_eq!(test_points.as_str().unwrap().split(' ').count(), 50, "one point per epoch");
    let shown_test_loss = until(&c, "the test loss", "document.getElementById('t-epoch-text').dataset.testLoss").await;
    assert!(shown_test_loss.as_str().unwrap().parse::<f64>().is_ok_and(f64::is_finite), "{shown_test_loss}");
    // The curves are read like plots: ticks and a grid.
    let ticks = c.execute("return document.querySelectorAll('#t-loss .tick').length", vec![]).await.unwrap();
    assert!(ticks.as_u64().unwrap() >= 6, "{ticks} ticks");
    shot(&c, "05-training.png").await;

    // 7. A bad CSV: the error is shown, naming the problem.
    c.find(Locator::Id("tab-step")).await.unwrap().click().await.unwrap();
    c.execute("document.querySelectorAll('.side details').forEach(d => d.open = true)", vec![]).await.unwrap();
    let bad = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(bad.path(), "length,width,class\n1.0,2.0,a\n1.5,oops,b\n").unwrap();
    c.find(Locator::Id("csv-input")).await.unwrap().send_keys(&bad.path().display().to_string()).await.unwrap();
    let error = until(&c, "the upload's error", "document.getElementById('setup-error')?.textContent").await;
    assert!(error.as_str().unwrap().contains("oops"), "{error}");
    c.execute("document.getElementById('setup-error').scrollIntoView()", vec![]).await.unwrap();
    shot(&c, "06-bad-csv.png").await;

    // 8. A fresh model with a hidden layer on Iris: a hidden unit's chain sums the deltas
    // coming back through the layer above.
    let hidden = c.find(Locator::Id("hidden-input")).await.unwrap();
    hidden.clear().await.unwrap();
    hidden.send_keys("3").await.unwrap();
    c.execute("document.getElementById('data-select').value = 'iris'; document.getElementById('data-select').dispatchEvent(new Event('change'))", vec![]).await.unwrap();
    c.execute("document.querySelector('#model-form button[type=submit]').click()", vec![]).await.unwrap();
    until(&c, "the hidden layer", "document.querySelectorAll('#diagram .unit[data-layer=\"2\"]').length === 3").await;
    // No stale panel: the blog's W₁₁ chain (or the CSV's error) is gone with the old model.
    let details = text_of(&c, "#details").await;
    assert!(details.starts_with("Click a weight"), "the Selected panel kept the old model's: {details}");
    c.execute("const u = document.querySelector('#diagram .unit[data-layer=\"0\"][data-unit=\"0\"]'); u.focus(); u.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}))", vec![]).await.unwrap();
    let chain = until(
        &c,
        "the hidden unit's chain",
        "document.querySelector('#details annotation')?.parentElement.closest('ul')?.innerHTML",
    )
    .await;
    assert!(chain.as_str().unwrap().contains("\\sum_k"), "{chain}");
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    shot(&c, "07-hidden-unit.png").await;

    // 9. The core's options on the page: the blog's model under the quadratic loss with numbers
    // as targets and the biases kept; the loss is the library's for the same request.
    c.find(Locator::Id("reset-blog")).await.unwrap().click().await.unwrap();
    until(
        &c,
        "the blog's example again",
        &format!("document.getElementById('loss-value')?.textContent === '{}'", fmt_num(blog.loss)),
    )
    .await;
    c.execute("document.getElementById('loss-input').value = 'quadratic'; document.getElementById('freeze-input').checked = true; document.getElementById('target-input').value = '0.2, 0.3, 0.5'", vec![]).await.unwrap();
    c.execute("document.querySelector('#sample-form button[type=submit]').click()", vec![]).await.unwrap();
    let quadratic = ExplainRequest {
        loss: gradlens::loss::Loss::Quadratic,
        targets: gradlens::data::Targets::unnamed_values(ndarray::array![[0.2, 0.3, 0.5]]),
        freeze_bias: true,
        ..ExplainRequest::blog()
    };
    let expected = explain(&quadratic).unwrap();
    let shown = until(&c, "the quadratic loss", &format!("document.getElementById('loss-value')?.textContent === '{}' && document.getElementById('loss-value').textContent", fmt_num(expected.loss))).await;
    // By hand: ŷ = softmax(0.9112, 0.6105, −0.1517) = (0.4794433, 0.3549318, 0.1656249);
    // L = ½[(0.2 − 0.4794433)² + (0.3 − 0.3549318)² + (0.5 − 0.1656249)²] = 0.0964564.
    let shown: f64 = shown.as_str().unwrap().parse().unwrap();
    assert!((shown - 0.0964564).abs() < 1e-6, "{shown}");
    assert_eq!(
        c.execute("return document.getElementById('loss-input').value", vec![]).await.unwrap(),
        json!("quadratic")
    );
    assert_eq!(c.execute("return document.getElementById('freeze-input').checked", vec![]).await.unwrap(), json!(true));
    shot(&c, "08-quadratic.png").await;

    // 10. Mazur's example: his network, x, targets, α 0.5, the quadratic loss, biases kept; his
    // printed numbers (Mazur 2015: E_total = 0.298371109, w5⁺ = 0.35891648, w1⁺ = 0.149780716),
    // to the 8 significant digits the page shows.
    c.execute("document.getElementById('mazur').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    c.find(Locator::Id("mazur")).await.unwrap().click().await.unwrap();
    // His network has two inputs.
    let e_total = until(
        &c,
        "Mazur's E_total",
        "document.querySelectorAll('#diagram .unit.st-inputs').length === 2 && document.getElementById('loss-value')?.textContent",
    )
    .await;
    let e_total: f64 = e_total.as_str().unwrap().parse().unwrap();
    assert!((e_total - 0.298371109).abs() < 5e-9, "E_total {e_total}");
    for (layer, mazur, name) in [(2, 0.35891648, "w5"), (0, 0.149780716, "w1")] {
        let edge = format!(r#"#diagram .edge[data-layer="{layer}"][data-row="0"][data-col="0"]"#);
        c.execute(&format!("const e = document.querySelector('{edge}'); e.focus(); e.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}}))"), vec![]).await.unwrap();
        let numbers = until(
            &c,
            "the weight's chain",
            "document.getElementById('chain-grad') && [...document.querySelectorAll('#details mn')].map(m => m.textContent).join(' ')",
        )
        .await;
        let new_value = numbers
            .as_str()
            .unwrap()
            .split(' ')
            .filter_map(|n| n.parse::<f64>().ok())
            .any(|v| (v - mazur).abs() < 5e-9);
        assert!(new_value, "{name}⁺ = {mazur} is not among the chain's numbers: {numbers}");
    }
    shot(&c, "09-mazur.png").await;

    // 11. Focus is visible: a dark ring, at least 3:1 against the white page (WCAG 2.2 AA).
    // A control reached with Tab: from "Next step" to "Blog's example", then to the x field.
    for (from, to) in [("next-step", "reset-blog"), ("rows-input", "lr-input")] {
        c.execute(&format!("document.getElementById('{from}').focus()"), vec![]).await.unwrap();
        c.active_element().await.unwrap().send_keys("\u{E004}").await.expect("Tab");
        let ring = c
            .execute("const e = document.activeElement; const s = getComputedStyle(e); return [e.id, s.outlineStyle, s.outlineWidth, s.outlineColor]", vec![])
            .await
            .unwrap();
        assert_eq!(ring[0], json!(to), "Tab from {from}");
        assert_ne!(ring[1], json!("none"), "{to}: no focus ring");
        assert!(ring[2].as_str().unwrap().trim_end_matches("px").parse::<f64>().unwrap() >= 2.0, "{ring}");
        let contrast = contrast_on_white(ring[3].as_str().unwrap());
        assert!(contrast >= 3.0, "{to}: focus ring {ring} is {contrast:.2}:1 on white");
    }
    shot(&c, "09b-focus.png").await;

    // 12. Any window size: at a phone's, a half screen's and a desktop's, nothing is drawn over
    // the form or the side panel (the element at each control's centre, scrolled into view, is
    // that control), nothing runs off the side, and the diagram's text is at least 11 CSS px.
    for (w, h, name) in [(390, 844, "phone"), (800, 900, "half"), (1440, 900, "desktop")] {
        c.set_window_size(w, h).await.expect("the window resizes");
        c.goto(&url).await.expect("the page loads");
        until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
        let layout = c.execute(LAYOUT, vec![]).await.unwrap();
        assert!(layout["checked"].as_u64().unwrap() > 20, "{name}: {layout}");
        assert_eq!(layout["covered"], json!([]), "{name} ({w}×{h}): controls covered");
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "{name}: {} px of horizontal overflow",
            layout["overflow"]
        );
        assert!(layout["min_font"].as_f64().unwrap() >= 11.0, "{name}: diagram text at {} CSS px", layout["min_font"]);
        c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        shot(&c, &format!("10-step-{name}.png")).await;
        c.execute("document.getElementById('details-panel').scrollIntoView()", vec![]).await.unwrap();
        shot(&c, &format!("11-step-{name}-scrolled.png")).await;
        c.find(Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
        until(&c, "a session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
        let overflow =
            c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await.unwrap();
        assert!(overflow.as_f64().unwrap() <= 0.0, "{name}, Train: {overflow} px of horizontal overflow");
        c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        shot(&c, &format!("12-train-{name}.png")).await;
    }

    // 13. Twelve reloads in a row, each setting up a run: every one trains (no lock-out).
    for k in 0..12 {
        c.goto(&url).await.expect("the page loads");
        until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
        c.find(Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
        let shown = until(
            &c,
            "a session or an error",
            "document.getElementById('train-error').textContent || document.getElementById('t-epoch-text')?.textContent",
        )
        .await;
        assert!(shown.as_str().unwrap().starts_with("epoch 0 of"), "reload {k}: {shown}");
    }

    // 14. Regression on the page. A column of 22 different numbers is not silently made into 22
    // classes: the page asks, and "values" reads it as a target value.
    c.find(Locator::Id("tab-step")).await.unwrap().click().await.unwrap();
    c.execute("document.querySelectorAll('.side details').forEach(d => d.open = true)", vec![]).await.unwrap();
    let measurements = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iris_measurements.csv");
    let label = c.find(Locator::Id("label-input")).await.unwrap();
    label.send_keys("petal_width").await.unwrap();
    c.find(Locator::Id("csv-input")).await.unwrap().send_keys(&measurements.display().to_string()).await.unwrap();
    let asked = until(
        &c,
        "the question",
        "document.getElementById('as-values') && document.getElementById('setup-error').textContent",
    )
    .await;
    assert!(asked.as_str().unwrap().contains("22 different numbers"), "{asked}");
    c.execute("document.getElementById('as-values').click()", vec![]).await.unwrap();
    until(
        &c,
        "a table of values",
        "document.getElementById('status').textContent.includes('1 target value (petal_width)')",
    )
    .await;
    // Several target columns: values without asking; a new model explains row 0 with number
    // targets under the quadratic loss.
    label.clear().await.unwrap();
    label.send_keys("petal_length,petal_width").await.unwrap();
    c.execute("const i = document.getElementById('csv-input'); i.value = '';", vec![]).await.unwrap();
    c.find(Locator::Id("csv-input")).await.unwrap().send_keys(&measurements.display().to_string()).await.unwrap();
    until(&c, "two target values", "document.getElementById('status').textContent.includes('2 target values')").await;
    c.execute("document.getElementById('hidden-input').value = ''; document.querySelector('#model-form button[type=submit]').click()", vec![]).await.unwrap();
    // Row 0 of the file: 5.1, 3.5 → petal_length 1.4, petal_width 0.2.
    let target = until(
        &c,
        "number targets",
        "document.querySelectorAll('#diagram .unit.st-inputs').length === 2 && document.getElementById('loss-input').value === 'quadratic' && document.getElementById('target-input').value",
    )
    .await;
    assert_eq!(target, json!("1.4, 0.2"));
    // Training shows RMSE and R², and one predicted-against-true plot per target.
    c.find(Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    c.execute("document.getElementById('t-epochs').value = '20'; document.getElementById('t-reset').click()", vec![])
        .await
        .unwrap();
    until(
        &c,
        "a 20-epoch regression",
        "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0 of 20')",
    )
    .await;
    c.execute("window.scrollTo(0, 0); document.getElementById('t-run').click()", vec![]).await.unwrap();
    let shown = until(&c, "epoch 20", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 20 of') && document.getElementById('t-epoch-text').textContent").await;
    assert!(shown.as_str().unwrap().contains("test RMSE") && shown.as_str().unwrap().contains("R²"), "{shown}");
    let plots = c.execute("return document.querySelectorAll('#t-pairs svg').length", vec![]).await.unwrap();
    assert_eq!(plots, json!(2));
    let rmse_curves = c.execute("return document.querySelectorAll('#t-rmse polyline').length", vec![]).await.unwrap();
    assert_eq!(rmse_curves, json!(2));
    shot(&c, "13-regression.png").await;

    c.close().await.expect("the session closes");
}

/// Checks the step view's layout from inside the page; see step 12.
const LAYOUT: &str = r#"
document.querySelectorAll('.side details').forEach(d => d.open = true);
const out = { overflow: document.documentElement.scrollWidth - window.innerWidth, covered: [], checked: 0, min_font: 1e9 };
const controls = [...document.querySelectorAll('#view-step input, #view-step select, #view-step button')].filter(e => e.getClientRects().length);
for (const el of controls) {
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  out.checked++;
  if (!(hit === el || el.contains(hit) || hit?.control === el)) out.covered.push(`${el.id || el.textContent}: ${hit ? hit.tagName + '#' + hit.id + ' ' + hit.className : 'nothing'}`);
}
const svg = document.querySelector('#diagram svg');
const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
for (const t of svg.querySelectorAll('text')) out.min_font = Math.min(out.min_font, parseFloat(getComputedStyle(t).fontSize) * scale);
out.overflow = Math.max(out.overflow, document.documentElement.scrollWidth - window.innerWidth);
return out;
"#;

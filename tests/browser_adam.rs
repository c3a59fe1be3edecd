//! The step view with adam, in headless Chromium: choosing adam on the blog's example and taking
//! "Next step" twice shows JAX's numbers (`tests/golden/optimizer_jax.json`, case blog_adam,
//! written by `tools/jax_optimizer_reference.py` with `jax.example_libraries.optimizers.adam`):
//! the loss before and after each step, and W₁₁'s m and v after it, with t carried from step to
//! step; the history tells the steps (with their t) from the recompute. Screenshots at 390, 800
//! and 1440 px wide (`target/browser/adam-*.png`), with no horizontal overflow at any of them.

mod browser_kit;
use browser_kit::*;
use fantoccini::Locator;
use serde_json::Value;

/// The blog_adam case's steps, as JAX wrote them.
fn jax_steps() -> Vec<Value> {
    let text = std::fs::read_to_string("tests/golden/optimizer_jax.json").expect("the golden file");
    let golden: Value = serde_json::from_str(&text).unwrap();
    let case = golden["cases"].as_array().unwrap().iter().find(|c| c["name"] == "blog_adam").expect("blog_adam");
    case["steps"].as_array().unwrap().clone()
}

/// A number the page shows (8 significant digits, as the walk-through writes it) against JAX's.
fn shown_as(page: &Value, jax: f64, what: &str) {
    let shown: f64 = page.as_str().unwrap_or_else(|| panic!("{what}: {page}")).parse().unwrap();
    assert!((shown - jax).abs() <= 1e-7 * jax.abs(), "{what}: the page shows {shown}, JAX {jax}");
}

/// The text of W₁₁'s cell in column `col` of the state table (0: m before, 1: m after, 3: v after).
fn w11_cell(col: usize) -> String {
    format!(
        "[...document.querySelectorAll('#opt-table tbody tr')].find((r) => r.cells[0].textContent === 'W₁₁')?.cells[{}].textContent",
        col + 1
    )
}

#[tokio::test]
async fn an_adam_step_on_the_page_shows_jax_s_numbers() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    let steps = jax_steps();
    c.set_window_size(1440, 900).await.unwrap();
    c.goto(&url).await.unwrap();
    until(&c, "the blog's step", "document.getElementById('loss-value')?.textContent").await;

    // Adam on the blog's example (α = 0.25 is the blog's, b1, b2, eps JAX's defaults): Recompute.
    c.execute(
        "const s = document.getElementById('opt-input'); s.value = 'adam'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        c.execute("return document.getElementById('b1-input').closest('label').hidden", vec![]).await.unwrap(),
        Value::Bool(false),
        "adam's settings are shown"
    );
    c.execute("document.querySelector('#sample-form button[type=submit]').click()", vec![]).await.unwrap();
    for (i, jax) in steps.iter().enumerate() {
        let t = jax["t"].as_u64().unwrap();
        until(
            &c,
            &format!("adam's step t = {t}"),
            &format!("document.getElementById('opt-t')?.textContent.includes('this step is t = {t} ')"),
        )
        .await;
        // L and L′ of the step (JAX: loss and new_loss of step t).
        let loss = c.execute("return document.getElementById('loss-value').textContent", vec![]).await.unwrap();
        shown_as(&loss, jax["loss"].as_f64().unwrap(), &format!("step {t}: L"));
        let new_loss = c.execute("return document.getElementById('new-loss-value').textContent", vec![]).await.unwrap();
        shown_as(&new_loss, jax["new_loss"].as_f64().unwrap(), &format!("step {t}: L′"));
        // W₁₁'s state after the step: JAX's packed m and v of the weights' leaf, entry (0, 0).
        let m = c.execute(&format!("return {}", w11_cell(1)), vec![]).await.unwrap();
        shown_as(&m, jax["m"][0]["weights"][0][0].as_f64().unwrap(), &format!("step {t}: m(W₁₁)"));
        let v = c.execute(&format!("return {}", w11_cell(3)), vec![]).await.unwrap();
        shown_as(&v, jax["v"][0]["weights"][0][0].as_f64().unwrap(), &format!("step {t}: v(W₁₁)"));
        // The state it started from is the step before's (0 at the first step).
        let m_before = c.execute(&format!("return {}", w11_cell(0)), vec![]).await.unwrap();
        let want_before = if i == 0 { 0.0 } else { steps[i - 1]["m"][0]["weights"][0][0].as_f64().unwrap() };
        shown_as(&m_before, want_before, &format!("step {t}: m(W₁₁) before"));
        // The update stage the page shows is adam's, with the step's t.
        let stage = until(
            &c,
            "the update stage",
            "[...document.querySelectorAll('#stage-select option')].findIndex((o) => o.textContent.includes(\"adam's step\"))",
        )
        .await;
        assert!(stage.as_i64().unwrap() > 0, "{stage}");
        if i + 1 < steps.len() {
            c.execute("document.getElementById('next-step').click()", vec![]).await.unwrap();
        }
    }
    // The history: the recompute that chose adam, then two steps taken, each with its t.
    let history = text_of(&c, "#history").await;
    assert!(history.contains("recomputed · adam t = 1"), "{history}");
    assert!(history.contains("step taken · adam t = 2") && history.contains("step taken · adam t = 3"), "{history}");

    // Going back in the history restores that step's state (the model file it kept).
    c.execute("document.querySelectorAll('#history button')[1].click()", vec![]).await.unwrap();
    until(&c, "step t = 1 again", "document.getElementById('opt-t')?.textContent.includes('this step is t = 1 ')")
        .await;

    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        c.execute("document.getElementById('opt-state').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
        let overflow = c
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await
            .unwrap();
        assert!(overflow.as_i64().unwrap() <= 0, "{w} px: the page overflows by {overflow} px");
        // The form's controls are not covered at this width (the state panel included).
        let covered = c
            .execute(
                "const el = document.getElementById('opt-input'); const r = el.getBoundingClientRect(); \
                 return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el || r.bottom < 0 || r.top > innerHeight",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(covered, Value::Bool(true), "{w} px: the optimizer field is covered");
        shot(&c, &format!("adam-state-{w}.png")).await;
    }
    c.set_window_size(1440, 900).await.unwrap();
    c.execute("document.getElementById('stage-select').scrollIntoView()", vec![]).await.unwrap();
    let stage = c
        .execute(
            "return [...document.querySelectorAll('#stage-select option')].findIndex((o) => o.textContent.includes(\"adam's step\"))",
            vec![],
        )
        .await
        .unwrap();
    c.execute(
        &format!(
            "const s = document.getElementById('stage-select'); s.value = '{}'; s.dispatchEvent(new Event('change'));",
            stage
        ),
        vec![],
    )
    .await
    .unwrap();
    until(
        &c,
        "the update stage's text",
        "document.getElementById('stage')?.textContent.includes('Adam (b1 0.9, b2 0.999')",
    )
    .await;
    shot(&c, "adam-update-stage-1440.png").await;
    let _ = c.find(Locator::Id("stage")).await;
    c.close().await.unwrap();
}

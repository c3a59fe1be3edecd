//! The page's finishing touches of issue 14, in headless Chromium: the step view's diagram of a
//! 4-32-16-3 model is one tab stop walked with the arrow keys (the Selected panel follows).
//! Screenshots `target/browser/page-*.png` at 390×844, 800×900 and 1440×900.
#![cfg(unix)]

mod browser_kit;

use browser_kit::keys::*;
use browser_kit::*;
use fantoccini::Client;
use serde_json::{Value, json};

/// One browser at a time: two Chromiums at once on a small machine make each other time out.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SIZES: [(u32, u32); 3] = [(390, 844), (800, 900), (1440, 900)];

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{e}: {script}"))
}

/// The focused element of the diagram as `kind layer,row[,col]` (an edge: its weight's row and
/// column; a unit: its layer, "in" for an input, and its index), or what else has focus.
const FOCUSED: &str = "const el = document.activeElement, d = el.dataset || {};
if (!el.closest('#diagram')) return 'outside: ' + (el.id || el.tagName);
return el.matches('.edge') ? `edge ${d.layer},${d.row},${d.col}` : el.matches('.unit') ? `unit ${d.layer ?? 'in'},${d.unit}` : 'in the diagram: ' + el.tagName;";

/// The Selected panel's first heading (a weight's or a unit's name) or its hint.
const SELECTED: &str =
    "return document.querySelector('#details h3')?.textContent ?? document.getElementById('details').textContent";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_diagram_is_one_tab_stop_walked_with_the_arrow_keys() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.set_window_size(1440, 900).await.unwrap();
    c.goto(&url).await.expect("the page loads");
    until(&c, "the blog's step", "document.getElementById('loss-value')?.textContent").await;

    // A 4-32-16-3 tanh model on Iris: 4·32 + 32·16 + 16·3 = 688 weights, each an edge.
    js(&c, "document.getElementById('hidden-input').value = '32,16'; document.getElementById('model-form').requestSubmit()").await;
    until(&c, "the 4-32-16-3 diagram", "document.querySelectorAll('#diagram .edge').length === 688").await;
    let stops = js(&c, "return [...document.querySelectorAll('#diagram *')].filter(e => e.tabIndex >= 0).length").await;
    assert_eq!(stops, json!(1), "tab stops in the diagram");

    // Tab from the stage list enters the diagram; the next Tab leaves it.
    js(&c, "document.getElementById('stage-select').focus()").await;
    press(&c, TAB).await;
    assert_eq!(js(&c, FOCUSED).await, json!("unit in,0"), "the first Tab");
    press(&c, TAB).await;
    let after = js(&c, FOCUSED).await;
    assert!(after.as_str().unwrap().starts_with("outside"), "a second Tab stays in the diagram: {after}");

    // Back in: the arrows walk the network, the Selected panel follows, the stage stays.
    js(&c, "document.getElementById('stage-select').focus()").await;
    press(&c, TAB).await;
    let stage = js(&c, "return document.getElementById('stage-select').value").await;
    let mut seen = vec![js(&c, SELECTED).await];
    // x₁ → W¹₁₁ (its first outgoing weight) ↓ W¹₂₁ (x₁'s next one) → z₂ of layer 1 ↓ z₃ ← its
    // first incoming weight W¹₃₁ ↓ W¹₃₂ (z₃'s next incoming) ← x₂.
    for (key, want) in [
        (ARROW_RIGHT, "edge 0,0,0"),
        (ARROW_DOWN, "edge 0,1,0"),
        (ARROW_RIGHT, "unit 0,1"),
        (ARROW_DOWN, "unit 0,2"),
        (ARROW_LEFT, "edge 0,2,0"),
        (ARROW_DOWN, "edge 0,2,1"),
        (ARROW_LEFT, "unit in,1"),
        (ARROW_UP, "unit in,0"),
    ] {
        press(&c, key).await;
        assert_eq!(js(&c, FOCUSED).await, json!(want), "after {key:?}");
        let now = until(
            &c,
            "the Selected panel to change",
            &format!(
                "(() => {{ const t = (() => {{ {SELECTED} }})(); return t !== {} && t; }})()",
                seen.last().unwrap()
            ),
        )
        .await;
        seen.push(now);
    }
    eprintln!("selected in turn: {seen:?}");
    assert_eq!(
        js(&c, "return document.getElementById('stage-select').value").await,
        stage,
        "an arrow changed the stage"
    );
    // The stop moved with the focus: still one, on the element reached.
    assert_eq!(
        js(
            &c,
            "return [...document.querySelectorAll('#diagram *')].filter(e => e.tabIndex >= 0).map(e => e.dataset.unit)"
        )
        .await,
        json!(["0"])
    );

    // Focus is visible: a focused edge is drawn in the focus colour, solid, wider.
    press(&c, ARROW_RIGHT).await;
    let look = js(
        &c,
        "const s = getComputedStyle(document.activeElement); return [s.stroke, s.strokeWidth, s.strokeDasharray]",
    )
    .await;
    let ratio = contrast_on_white(look[0].as_str().unwrap());
    assert!(ratio >= 3.0, "the focused edge's stroke {look} is {ratio:.2}:1 on white");
    assert_eq!(look[2], json!("none"), "the focused edge stays dashed");
    for (w, h) in SIZES {
        c.set_window_size(w, h).await.unwrap();
        js(&c, "document.activeElement.scrollIntoView({block: 'center'})").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shot(&c, &format!("page-diagram-focus-{w}.png")).await;
    }
    c.close().await.unwrap();
}

/// The step's numbers as shown: L, L after the step, adam's t line and the state table's rows.
const STEP_SHOWN: &str = "return [document.getElementById('loss-value').textContent, document.getElementById('new-loss-value').textContent, document.getElementById('opt-t')?.textContent, [...document.querySelectorAll('#opt-table tbody tr')].map(r => r.textContent).join(' | ')]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_reopens_the_step_with_its_optimizer_settings_and_steps() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.set_window_size(1440, 900).await.unwrap();
    c.goto(&url).await.expect("the page loads");
    until(&c, "the blog's step", "document.getElementById('loss-value')?.textContent").await;

    // Adam with b1 = 0.8 (not its default 0.9) on the blog's example, then two steps more.
    js(&c, "const s = document.getElementById('opt-input'); s.value = 'adam'; s.dispatchEvent(new Event('change', {bubbles: true})); document.getElementById('b1-input').value = '0.8'; document.getElementById('sample-form').requestSubmit()").await;
    until(&c, "adam's first step", "document.getElementById('opt-t')?.textContent.includes('this step is t = 1 ')")
        .await;
    for t in [2, 3] {
        js(&c, "document.getElementById('next-step').click()").await;
        until(
            &c,
            "the next step",
            &format!("document.getElementById('opt-t')?.textContent.includes('this step is t = {t} ')"),
        )
        .await;
    }
    let shown = js(&c, STEP_SHOWN).await;
    let link = js(&c, "return location.href").await.as_str().unwrap().to_string();
    for part in ["sopt=adam", "sb1=0.8", "sb2=0.999", "seps=1e-8", "steps=2"] {
        assert!(link.contains(part), "the link lacks {part}: {link}");
    }
    assert!(!link.contains("smass"), "momentum's mass in an adam link: {link}");

    // The link, opened afresh: adam chosen with b1 0.8, the same step and the same numbers.
    c.goto("about:blank").await.unwrap();
    c.goto(&link).await.expect("the link loads");
    until(&c, "the link's third step", "document.getElementById('opt-t')?.textContent.includes('this step is t = 3 ')")
        .await;
    assert_eq!(js(&c, STEP_SHOWN).await, shown, "the link's step");
    let form = js(&c, "return ['opt-input', 'b1-input', 'b2-input', 'eps-input'].map(id => document.getElementById(id).value).concat([document.getElementById('b1-input').closest('label').hidden])").await;
    assert_eq!(form, json!(["adam", "0.8", "0.999", "1e-8", false]));
    assert_eq!(
        js(&c, "return [...document.querySelectorAll('#history li')].length").await,
        json!(3),
        "start and two steps"
    );
    shot(&c, "page-link-adam-1440.png").await;
    c.close().await.unwrap();
}

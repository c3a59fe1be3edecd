//! The page for a keyboard user and a reader with low vision (issue 14's "Keyboard and
//! contrast" items), in headless Chromium: every visible text's contrast against what is behind
//! it, a focus ring on every tab stop, only useful tab stops, ARIA tabs, focus kept across
//! recomputes, the stage text scrollable by keyboard, the decision map in the data's units, no
//! diagram text cut off, and the script-free HTML walk-through readable on a phone.
//! Screenshots: `target/browser/a11y-*.png`.
//!
//! WCAG 2.2 AA, as measured here: text 4.5:1 (3:1 from 24 px, or 18.66 px bold) against the
//! colour actually behind it (the backgrounds and SVG shapes under the text, blended with their
//! opacity); a focus indicator 3:1 against its background.
#![cfg(unix)]

mod browser_kit;

use browser_kit::keys::*;
use browser_kit::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::path::Path;

/// One browser at a time: each test starts its own Chromium, and two at once on a small
/// machine make each other's waits time out.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Colour arithmetic shared by the page-side checks: parsing computed colours, WCAG's relative
/// luminance and contrast ratio, alpha blending, and the colour behind an element (the
/// backgrounds and SVG fills under a point, bottom first, each with its opacity).
const COLOUR: &str = r#"
const parse = (css) => {
  const m = /rgba?\(([^)]+)\)/.exec(css || '');
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
const opacity = (el) => { let o = 1; for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; };
const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
// What an element paints behind whatever lies on it: a background colour, or an SVG shape's
// fill; 'image' when that cannot be known from styles.
const paint = (el) => {
  const s = getComputedStyle(el);
  if (el instanceof SVGElement) {
    if (!['rect', 'circle', 'ellipse', 'polygon', 'path'].includes(el.tagName)) return null;
    const f = parse(s.fill);
    if (!f) return null;
    f[3] *= parseFloat(s.fillOpacity) * opacity(el);
    return f;
  }
  if (s.backgroundImage !== 'none') return 'image';
  const b = parse(s.backgroundColor);
  if (!b || b[3] === 0) return null;
  b[3] *= opacity(el);
  return b;
};
// The colour behind `el` at (x, y): everything under it in the hit-test stack (or, when the
// point misses it, its ancestors), composited bottom first over the white canvas.
const behind = (el, x, y) => {
  const stack = document.elementsFromPoint(x, y);
  const at = stack.indexOf(el);
  let under;
  if (at >= 0) under = stack.slice(at);
  else {
    under = [];
    for (let e = el; e; e = e.parentElement) under.push(e);
    // Shapes drawn under it that are not its ancestors (an SVG box under its label).
    under = stack.filter((e) => !el.contains(e) && !under.includes(e) && e.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING).concat(under);
    under.sort((a, b) => stack.indexOf(a) - stack.indexOf(b));
  }
  let bg = [255, 255, 255, 1];
  for (const e of under.reverse()) {
    if (e !== el && el.contains(e)) continue;
    const p = paint(e);
    if (p === 'image') return null;
    if (p) bg = over(p, bg);
  }
  return bg;
};
"#;

/// Every visible text node (and every form field's own text) under `arguments[0]`'s selector:
/// its colour against the colour behind it. Returns `{checked, failures}`.
const CONTRAST: &str = r#"
const root = document.querySelector(arguments[0]) || document.body;
const out = { checked: 0, failures: [], lowest: 99, lowest_at: '' };
const skip = 'title, script, style, noscript, option, annotation, annotation-xml, template';
const check = (el, node, label) => {
  let r;
  if (node) { const range = document.createRange(); range.selectNodeContents(node); r = [...range.getClientRects()].find((q) => q.width > 0 && q.height > 0); }
  else r = el.getBoundingClientRect();
  if (!r || r.width === 0 || r.height === 0) return;
  if (!el.checkVisibility({ visibilityProperty: true })) return;
  // Disabled controls are exempt (WCAG 1.4.3: inactive user interface components).
  if (el.closest(':disabled, [aria-disabled="true"]')) return;
  const s = getComputedStyle(el);
  let fg = parse(el instanceof SVGElement ? s.fill : s.color);
  if (!fg || fg[3] === 0) return;
  // Bring it into view so that the hit test sees what is under it.
  if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) {
    el.scrollIntoView({ block: 'center', inline: 'center' });
    r = node ? [...(() => { const q = document.createRange(); q.selectNodeContents(node); return q.getClientRects(); })()].find((q) => q.width > 0) : el.getBoundingClientRect();
    if (!r) return;
  }
  const x = Math.min(innerWidth - 1, Math.max(0, r.left + r.width / 2)), y = Math.min(innerHeight - 1, Math.max(0, r.top + r.height / 2));
  const bg = behind(el, x, y);
  if (!bg) return;
  fg = fg.slice();
  fg[3] *= opacity(el);
  const shown = over(fg, bg);
  const scale = el instanceof SVGGraphicsElement && el.getScreenCTM() ? Math.hypot(el.getScreenCTM().a, el.getScreenCTM().b) : 1;
  const px = parseFloat(s.fontSize) * scale, bold = parseInt(s.fontWeight) >= 700;
  const need = px >= 24 || (bold && px >= 18.66) ? 3 : 4.5;
  const c = ratio(shown, bg);
  out.checked++;
  const what = `${(label || '').slice(0, 40)} in ${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.getAttribute('class') || ''}`;
  if (c < out.lowest) { out.lowest = c; out.lowest_at = what; }
  if (c < need) out.failures.push(`${c.toFixed(2)}:1 (needs ${need}) ${hex(shown)} on ${hex(bg)}: "${what}"`);
};
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || !el || el.closest(skip)) continue;
  check(el, n, n.textContent.trim());
}
// A field's own text (a range or colour input shows none).
for (const el of root.querySelectorAll('input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=range]):not([type=color]), select, textarea')) {
  check(el, null, el.value || el.placeholder || el.id);
}
out.lowest = Math.round(out.lowest * 100) / 100;
return out;
"#;

/// The focused element: what it is, whether it is a useful stop, and its focus indicator's
/// contrast against what is around it (an outline for HTML, the stroke of the line or box for a
/// diagram's edge or unit), and whether the sticky header hides it.
const FOCUSED: &str = r#"
const el = document.activeElement;
const d = el.dataset || {};
const name = (el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '').split(' ')[0])
  + (d.layer !== undefined || d.unit !== undefined ? `[${d.layer ?? 'in'},${d.row ?? d.unit}${d.col !== undefined ? ',' + d.col : ''}]` : '');
const out = { name, tag: el.tagName.toLowerCase(), in_train_diagram: !!el.closest('#t-net'), hidden_by_header: false };
const r = el.getBoundingClientRect();
const header = document.querySelector('header.top').getBoundingClientRect();
out.hidden_by_header = !el.closest('header') && r.bottom <= header.bottom + 1 && r.top >= 0;
// A useful stop: a control, a link, a summary, a scrollable region, or a diagram element that
// selects what it shows.
const scrollable = el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
// (The Train view's unit maps read their cells out with the arrow keys: units.js.)
out.useful = el.matches('button, input, select, textarea, a[href], summary') || scrollable || el.matches('#diagram .edge, #diagram .unit, .units-map');
if (el instanceof SVGElement) {
  const shape = el.tagName === 'g' ? el.querySelector('rect') : el;
  const s = getComputedStyle(shape);
  const svg = el.ownerSVGElement;
  const sr = svg.getBoundingClientRect();
  const bg = behind(svg, sr.left + 2, sr.top + 2) || [255, 255, 255, 1];
  const stroke = parse(s.stroke);
  out.kind = 'stroke';
  out.width = parseFloat(s.strokeWidth);
  out.dashes = s.strokeDasharray;
  stroke[3] *= parseFloat(s.strokeOpacity) * opacity(shape);
  out.contrast = ratio(over(stroke, bg), bg);
  // Its look when not focused, to see that focus changes it.
  el.blur();
  const u = getComputedStyle(shape);
  out.unfocused = { width: parseFloat(u.strokeWidth), colour: u.stroke };
  el.focus();
  out.changed = out.unfocused.width + 1.5 <= out.width || out.unfocused.colour !== s.stroke;
} else {
  const s = getComputedStyle(el);
  out.kind = 'outline';
  out.width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
  const ring = parse(s.outlineColor);
  const parent = el.parentElement;
  const pr = parent.getBoundingClientRect();
  const bg = behind(parent, Math.max(0, Math.min(innerWidth - 1, r.left - 4)), Math.max(0, Math.min(innerHeight - 1, r.top + r.height / 2))) || [255, 255, 255, 1];
  out.contrast = ring ? ratio(over(ring, bg), bg) : 0;
  out.changed = out.width >= 2;
}
out.contrast = Math.round(out.contrast * 100) / 100;
return out;
"#;

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{e}: {script}"))
}

async fn contrast(c: &Client, root: &str, when: &str) -> u64 {
    let found = c.execute(&format!("{COLOUR}{CONTRAST}"), vec![json!(root)]).await.expect("the contrast audit runs");
    eprintln!("contrast, {when}: {} texts, lowest {} ({})", found["checked"], found["lowest"], found["lowest_at"]);
    assert_eq!(found["failures"], json!([]), "{when}: text below WCAG AA contrast");
    found["checked"].as_u64().unwrap()
}

async fn load(c: &Client, url: &str) {
    c.goto(url).await.expect("the page loads");
    until(c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
}

async fn train_epochs(c: &Client, epochs: u32) {
    js(c, "document.getElementById('tab-train').click()").await;
    // Opening the view sets up a session if there is none: that one first.
    until(
        c,
        "a session",
        "document.getElementById('t-epoch-text') && document.getElementById('status').textContent !== 'training…'",
    )
    .await;
    js(
        c,
        &format!("document.getElementById('t-epochs').value = '{epochs}'; document.getElementById('t-reset').click()"),
    )
    .await;
    until(
        c,
        "the new session",
        &format!("document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0 of {epochs}')"),
    )
    .await;
    js(c, "document.getElementById('t-run').click()").await;
    until(
        c,
        "the last epoch",
        &format!("document.getElementById('t-epoch-text')?.textContent.startsWith('epoch {epochs} of')"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_text_meets_wcag_aa_contrast_in_every_view() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    load(&c, &url).await;
    // The audit finds what it should: grey #949494 text on white (3.03:1) and black text on an
    // SVG box filled #595959 (3.00:1) fail; large (24 px) grey text at 3.03:1 passes.
    js(&c, r##"
const box = document.createElement('div');
box.id = 'probe';
box.innerHTML = '<span style="color:#949494">grey on white</span><span style="color:#949494;font-size:24px">large grey</span><svg width="200" height="40"><rect width="200" height="40" fill="#595959"/><text x="5" y="25" fill="#000">black on grey</text></svg>';
document.body.prepend(box);
"##).await;
    let found = c.execute(&format!("{COLOUR}{CONTRAST}"), vec![json!("#probe")]).await.unwrap();
    js(&c, "document.getElementById('probe').remove()").await;
    let failures: Vec<&str> = found["failures"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(found["checked"], json!(3), "{found}");
    assert_eq!(failures.len(), 2, "{failures:?}");
    // WCAG's formula by hand: #949494 has L = ((0x94/255 + 0.055)/1.055)^2.4 = 0.2961, so
    // 1.05 / (0.2961 + 0.05) = 3.03; #595959 has L = 0.0999, (0.0999 + 0.05)/0.05 = 3.00.
    assert!(failures[0].starts_with("3.03:1 (needs 4.5)") && failures[0].contains("grey on white"), "{failures:?}");
    assert!(failures[1].starts_with("3.00:1 (needs 4.5)") && failures[1].contains("black on grey"), "{failures:?}");
    js(&c, "document.querySelectorAll('.side details').forEach(d => d.open = true)").await;
    let mut checked = contrast(&c, "body", "the step view at load").await;

    // Every stage: each dims the diagram's other parts differently.
    let stages = js(&c, "return document.querySelectorAll('#stage-select option').length").await.as_u64().unwrap();
    for i in 1..stages {
        js(&c, &format!("const s = document.getElementById('stage-select'); s.value = '{i}'; s.dispatchEvent(new Event('change'))")).await;
        until(
            &c,
            "the stage",
            &format!(
                "document.getElementById('stage-select').value === '{i}' && document.querySelector('#diagram svg')"
            ),
        )
        .await;
        checked += contrast(&c, "#view-step", &format!("stage {i}")).await;
    }
    // A weight's chain in the Selected panel.
    js(&c, r#"const e = document.querySelector('#diagram .edge[data-layer="0"][data-row="0"][data-col="0"]'); e.focus(); e.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}))"#).await;
    until(&c, "W11's chain", "document.getElementById('chain-grad')").await;
    checked += contrast(&c, "#view-step", "W11 selected").await;
    shot(&c, "a11y-contrast-selected.png").await;

    // An error: the message, and the note that the last good step is still shown.
    js(&c, "document.getElementById('x-input').value = '1, abc'; document.querySelector('#sample-form button[type=submit]').click()").await;
    until(&c, "the error", "document.getElementById('stale-note')").await;
    // The message quotes what was typed (issue 14: "x, item 2: 'abc' is not a number"), not a null.
    let said = text_of(&c, "#explain-error").await;
    assert!(said.contains("'abc' is not a number") && !said.contains("null"), "{said}");
    checked += contrast(&c, "#view-step", "after an error").await;
    // A bad upload's message.
    let bad = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(bad.path(), "length,width,class\n1.0,2.0,a\n1.5,oops,b\n").unwrap();
    c.find(Locator::Id("csv-input")).await.unwrap().send_keys(&bad.path().display().to_string()).await.unwrap();
    until(&c, "the upload's error", "document.getElementById('setup-error')?.textContent").await;
    checked += contrast(&c, "#view-step", "after a bad upload").await;
    shot(&c, "a11y-contrast-error.png").await;

    // Mazur's example (sigmoid units, a quadratic loss).
    js(&c, "document.getElementById('mazur').click()").await;
    until(&c, "Mazur's network", "document.querySelectorAll('#diagram .unit.st-inputs').length === 2").await;
    checked += contrast(&c, "#view-step", "Mazur's example").await;

    // The Train view: curves, decision map, confusion matrix, the network.
    load(&c, &url).await;
    train_epochs(&c, 20).await;
    checked += contrast(&c, "body", "the Train view after 20 epochs").await;
    shot(&c, "a11y-contrast-train.png").await;

    // A regression upload: RMSE, R² and the predicted-against-true plots.
    js(&c, "document.getElementById('tab-step').click(); document.querySelectorAll('.side details').forEach(d => d.open = true); document.getElementById('label-input').value = 'petal_length,petal_width'").await;
    let measurements = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iris_measurements.csv");
    c.find(Locator::Id("csv-input")).await.unwrap().send_keys(&measurements.display().to_string()).await.unwrap();
    until(&c, "two target values", "document.getElementById('status').textContent.includes('2 target values')").await;
    checked += contrast(&c, "body", "after a regression upload").await;
    train_epochs(&c, 10).await;
    checked += contrast(&c, "body", "the Train view of a regression").await;
    shot(&c, "a11y-contrast-regression.png").await;
    assert!(checked > 500, "only {checked} texts checked");
    c.close().await.unwrap();
}

/// Tabs through the whole page from its first stop (the selected view's tab) until focus leaves
/// the page or comes back round; returns every stop.
async fn tab_round(c: &Client, limit: usize) -> Vec<Value> {
    // From the selected view's tab, the first stop of the page.
    js(c, "window.scrollTo(0, 0); document.querySelector('[role=tab][aria-selected=true]').focus()").await;
    let mut stops: Vec<Value> =
        vec![c.execute(&format!("{COLOUR}{FOCUSED}"), vec![]).await.expect("the focus check runs")];
    for _ in 0..limit {
        press(c, TAB).await;
        let now = c.execute(&format!("{COLOUR}{FOCUSED}"), vec![]).await.expect("the focus check runs");
        if now["tag"] == json!("body") || stops.first().is_some_and(|f| f["name"] == now["name"]) {
            break;
        }
        stops.push(now);
    }
    stops
}

/// Each stop has a ring of at least 3:1 and 2 px that focus brings (a diagram's line or box:
/// drawn in the focus colour, at least 1.5 px wider, solid), is a useful stop, and is not under
/// the sticky header.
fn check_stops(stops: &[Value], view: &str) {
    for s in stops {
        let name = &s["name"];
        assert!(s["useful"].as_bool().unwrap(), "{view}: {name} is a tab stop that does nothing");
        assert!(s["contrast"].as_f64().unwrap() >= 3.0, "{view}: the focus on {name} is {}:1: {s}", s["contrast"]);
        assert!(s["width"].as_f64().unwrap() >= 2.0, "{view}: the focus on {name} is thinner than 2 px: {s}");
        assert!(s["changed"].as_bool().unwrap(), "{view}: focus does not change {name}: {s}");
        if s["kind"] == json!("stroke") {
            assert_eq!(s["dashes"], json!("none"), "{view}: the focused {name} stays dashed (the caps close the gaps)");
        }
        assert!(!s["hidden_by_header"].as_bool().unwrap(), "{view}: {name} is focused under the header");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_reaches_everything_with_a_visible_ring() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.set_window_size(1440, 900).await.unwrap();
    load(&c, &url).await;
    js(&c, "document.querySelectorAll('.side details').forEach(d => d.open = true)").await;

    // The step view: every stop, in order.
    let stops = tab_round(&c, 200).await;
    let names: Vec<&str> = stops.iter().map(|s| s["name"].as_str().unwrap()).collect();
    eprintln!("step view, {} stops: {}", stops.len(), names.join(" "));
    check_stops(&stops, "step view");
    // (The stage text is a stop when it has more to scroll: see below.)
    for must in ["#tab-step", "#prev", "#next", "#stage-select", "#x-input", "#mazur", "#csv-input"] {
        assert!(names.contains(&must), "{must} is not reached by Tab: {names:?}");
    }
    // The diagram is one stop (its arrow keys walk it: tests/browser_page.rs), whatever its size.
    let in_diagram = names.iter().filter(|n| n.starts_with("line.edge") || n.starts_with("g.unit")).count();
    assert_eq!(in_diagram, 1, "the diagram is not one tab stop: {names:?}");
    // One stop for the tab list (the selected tab), as ARIA's tabs pattern has it.
    assert!(!names.contains(&"#tab-train"), "the unselected tab is a tab stop");
    shot(&c, "a11y-focus-step.png").await;

    // ARIA tabs: roles, and the arrow keys (Home, End) move between the views.
    let roles = js(&c, "return [document.querySelector('nav').getAttribute('role'), ...['tab-step','tab-train'].map(id => document.getElementById(id).getAttribute('role') + ' ' + document.getElementById(id).getAttribute('aria-controls')), ...['view-step','view-train'].map(id => document.getElementById(id).getAttribute('role') + ' ' + document.getElementById(id).getAttribute('aria-labelledby'))]").await;
    assert_eq!(roles, json!(["tablist", "tab view-step", "tab view-train", "tabpanel tab-step", "tabpanel tab-train"]));
    assert_eq!(js(&c, "return document.querySelectorAll('[role=tab]').length").await, json!(3));
    js(&c, "document.getElementById('tab-step').focus()").await;
    // [focused, selected tab, shown panels]: the views are Step, Train and Graph.
    let tabs = "[document.activeElement.id, document.querySelector('[role=tab][aria-selected=true]').id, [...document.querySelectorAll('[role=tabpanel]')].filter(p => !p.hidden).map(p => p.id).join()]";
    for (key, expected) in [
        (ARROW_RIGHT, json!(["tab-train", "tab-train", "view-train"])),
        (ARROW_LEFT, json!(["tab-step", "tab-step", "view-step"])),
        (END, json!(["tab-graph", "tab-graph", "view-graph"])),
        (HOME, json!(["tab-step", "tab-step", "view-step"])),
        (ARROW_LEFT, json!(["tab-graph", "tab-graph", "view-graph"])),
        (ARROW_LEFT, json!(["tab-train", "tab-train", "view-train"])),
    ] {
        press(&c, key).await;
        assert_eq!(js(&c, &format!("return {tabs}")).await, expected, "after key {key:?}");
    }

    // The Train view: its diagram only shows the network, none of its parts is a tab stop.
    until(&c, "a session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0') && document.getElementById('status').textContent !== 'training…'").await;
    js(&c, "document.getElementById('t-one').click()").await;
    until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of')").await;
    let stops = tab_round(&c, 200).await;
    let names: Vec<&str> = stops.iter().map(|s| s["name"].as_str().unwrap()).collect();
    eprintln!("Train view, {} stops: {}", stops.len(), names.join(" "));
    check_stops(&stops, "Train view");
    assert!(stops.iter().all(|s| !s["in_train_diagram"].as_bool().unwrap()), "a stop in the Train view's diagram");
    shot(&c, "a11y-focus-train.png").await;

    // The stage text scrolls from the keyboard: Tab to it, then ↓.
    js(&c, "document.getElementById('tab-step').click()").await;
    let backward = js(
        &c,
        "return [...document.querySelectorAll('#stage-select option')].findIndex(o => o.textContent.startsWith('5.'))",
    )
    .await;
    js(&c, &format!("const s = document.getElementById('stage-select'); s.value = '{backward}'; s.dispatchEvent(new Event('change')); document.getElementById('stage-select').focus()")).await;
    until(&c, "the backward stage", "document.querySelector('#stage h2')?.textContent.startsWith('5.')").await;
    let mut guard = 0;
    while js(&c, "return document.activeElement.id").await != json!("stage") {
        press(&c, TAB).await;
        guard += 1;
        assert!(guard < 100, "Tab never reaches the stage text");
    }
    let room = js(&c, "const s = document.getElementById('stage'); return s.scrollHeight - s.clientHeight").await;
    assert!(room.as_f64().unwrap() > 0.0, "the backward stage does not need scrolling at 1440×900: nothing to test");
    for _ in 0..5 {
        press(&c, ARROW_DOWN).await;
    }
    let scrolled = until(&c, "the stage text to scroll", "document.getElementById('stage').scrollTop").await;
    assert!(scrolled.as_f64().unwrap() > 0.0);
    // ← and → still step through the stages from there.
    press(&c, ARROW_LEFT).await;
    until(
        &c,
        "the stage before",
        &format!("document.getElementById('stage-select').value === '{}'", backward.as_u64().unwrap() - 1),
    )
    .await;

    // Focus is kept where it was after actions that rebuild what holds it.
    // (a) A diagram edge, when the stage (and so the diagram) changes under it.
    // (In the diagram the arrow keys walk the network: the stage changes by its button here.)
    js(&c, r#"document.querySelector('#diagram .edge[data-layer="0"][data-row="1"][data-col="2"]').focus(); document.getElementById('next').click()"#).await;
    until(&c, "the next stage", &format!("document.getElementById('stage-select').value === '{backward}'")).await;
    let focused = until(&c, "focus on the same edge", "document.activeElement !== document.body && document.activeElement.matches('#diagram .edge') && [document.activeElement.dataset.layer, document.activeElement.dataset.row, document.activeElement.dataset.col].join()").await;
    assert_eq!(focused, json!("0,1,2"));
    // (b) "Set and recompute" on a weight: the field.
    press(&c, ENTER).await;
    until(&c, "the edit field", "document.getElementById('edit-value')").await;
    let field = c.find(Locator::Id("edit-value")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("0.5\n").await.unwrap();
    until(&c, "an edit in the history", "document.querySelectorAll('#history li').length === 2").await;
    let focused =
        until(&c, "focus after the recompute", "document.activeElement !== document.body && document.activeElement.id")
            .await;
    assert_eq!(focused, json!("edit-value"));
    // (c) A history entry: the list is rebuilt, focus stays on the entry.
    js(&c, "document.querySelector('#history li button').focus()").await;
    press(&c, ENTER).await;
    until(&c, "entry 1 current", "document.querySelector('#history li.current button')?.textContent.startsWith('1.')")
        .await;
    let focused = until(
        &c,
        "focus on the entry",
        "document.activeElement !== document.body && document.activeElement.textContent",
    )
    .await;
    assert!(focused.as_str().unwrap().starts_with("1."), "{focused}");
    // (d) "Make this the target class" on an output unit.
    js(&c, r#"const u = [...document.querySelectorAll('#diagram .unit[data-layer]')].pop(); u.focus(); u.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}))"#).await;
    let make = until(
        &c,
        "the target button",
        "[...document.querySelectorAll('#details button')].find(b => b.textContent.startsWith('Make this'))?.id",
    )
    .await;
    js(&c, &format!("document.getElementById('{}').focus()", make.as_str().unwrap())).await;
    press(&c, ENTER).await;
    until(&c, "a recompute", "document.querySelectorAll('#history li').length === 2 && document.querySelector('#history li.current button')?.textContent.startsWith('2.')").await;
    let focused = until(
        &c,
        "focus after the target change",
        "document.activeElement !== document.body && document.activeElement.id",
    )
    .await;
    assert_eq!(focused, make);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decision_map_is_in_the_data_units() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    load(&c, &url).await;
    train_epochs(&c, 5).await;
    // The map's default features are Iris's petal length (→) and petal width (↑). Fisher's
    // data: petal length from 1.0 to 6.9 cm, petal width from 0.1 to 2.5 cm, both in steps of
    // 0.1 (R's `summary(iris)`); scaled (z-scores) they would run from about −1.6 to 1.8.
    let read = js(&c, r#"
const svg = document.getElementById('t-map');
// A y tick's label is drawn 4 units below its line (app.js's axes()), an x tick's centred on it.
const ticks = (anchor) => [...svg.querySelectorAll('text.tick')].filter(t => t.getAttribute('text-anchor') === anchor).map(t => [Number(t.textContent), anchor === 'middle' ? Number(t.getAttribute('x')) : Number(t.getAttribute('y')) - 4]);
const xs = ticks('middle'), ys = ticks('end');
// The tick labels' positions give the axis scale; each train row's circle read back in it.
const back = (t, at) => t[0][0] + (at - t[0][1]) * (t[t.length - 1][0] - t[0][0]) / (t[t.length - 1][1] - t[0][1]);
const points = [...svg.querySelectorAll('circle')].map(p => [back(xs, +p.getAttribute('cx')), back(ys, +p.getAttribute('cy'))]);
return { xs: xs.map(t => t[0]), ys: ys.map(t => t[0]), points, labels: [...svg.querySelectorAll('.axis-label')].map(t => t.textContent), caption: document.getElementById('t-map-caption').textContent };
"#).await;
    eprintln!("map ticks: x {} y {} labels {}", read["xs"], read["ys"], read["labels"]);
    let values = |k: &str| read[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
    let (xs, ys) = (values("xs"), values("ys"));
    // The axes span the data (with 5 % to spare): ticks from at most 2 to at least 6 cm, and
    // from at most 0.5 to at least 2 cm.
    assert!(
        xs.len() >= 3 && xs[0] <= 2.0 && *xs.last().unwrap() >= 6.0 && xs[0] >= 0.7 && *xs.last().unwrap() <= 7.2,
        "x ticks {xs:?}"
    );
    assert!(
        ys.len() >= 3 && ys[0] <= 0.5 && *ys.last().unwrap() >= 2.0 && ys[0] >= -0.02 && *ys.last().unwrap() <= 2.62,
        "y ticks {ys:?}"
    );
    // Every training row sits at its measurement: a multiple of 0.1 cm inside Fisher's ranges.
    let points = read["points"].as_array().unwrap();
    assert!(points.len() >= 100, "{} points", points.len());
    for p in points {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!((0.99..=6.91).contains(&x) && ((x * 10.0).round() - x * 10.0).abs() < 0.2, "petal length {x}");
        assert!((0.09..=2.51).contains(&y) && ((y * 10.0).round() - y * 10.0).abs() < 0.2, "petal width {y}");
    }
    for label in read["labels"].as_array().unwrap().iter().take(2) {
        assert!(!label.as_str().unwrap().contains("scaled"), "axis label {label}");
    }
    js(&c, "document.getElementById('fig-map').scrollIntoView()").await;
    shot(&c, "a11y-map.png").await;
    c.close().await.unwrap();
}

/// Every text of every diagram on the page inside what can be seen of it: inside its SVG's
/// viewport, and inside its scroll container's area (visible, or reachable by scrolling).
const CLIPPED: &str = r#"
const out = { checked: 0, clipped: [], scroll_to_see: [] };
for (const svg of document.querySelectorAll('#diagram svg, #t-net svg')) {
  if (!svg.checkVisibility()) continue;
  let box = svg.parentElement;
  while (box && getComputedStyle(box).overflowX === 'visible' && getComputedStyle(box).overflowY === 'visible') box = box.parentElement;
  const b = box.getBoundingClientRect(), s = svg.getBoundingClientRect();
  const left = b.left + box.clientLeft - box.scrollLeft, top = b.top + box.clientTop - box.scrollTop;
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (!r.width) continue;
    out.checked++;
    const where = [r.left - left, r.top - top, r.right - left, r.bottom - top].map(v => Math.round(v));
    const room = [box.scrollWidth, box.scrollHeight];
    const inSvg = r.left >= s.left - 0.5 && r.right <= s.right + 0.5 && r.top >= s.top - 0.5 && r.bottom <= s.bottom + 0.5;
    const inBox = where[0] >= -1 && where[1] >= -1 && where[2] <= room[0] + 1 && where[3] <= room[1] + 1;
    // Seen without scrolling sideways.
    if (where[2] > box.clientWidth + 1) out.scroll_to_see.push(`"${t.textContent}" at ${where[2]} of ${box.clientWidth}`);
    if (!inSvg || !inBox) out.clipped.push(`"${t.textContent}" at ${where} in ${box.id || box.tagName} of ${room} (svg ${Math.round(s.width)}×${Math.round(s.height)}, ${inSvg ? 'inside' : 'outside'} it)`);
  }
}
return out;
"#;

/// `sideways`: whether the diagram may need scrolling sideways to be read whole.
async fn clipped(c: &Client, when: &str, sideways: bool) {
    let found = js(c, CLIPPED).await;
    assert!(found["checked"].as_u64().unwrap() > 5, "{when}: {found}");
    assert_eq!(found["clipped"], json!([]), "{when}: diagram text cut off");
    if !sideways {
        assert_eq!(found["scroll_to_see"], json!([]), "{when}: diagram text seen only by scrolling sideways");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_diagram_text_is_cut_off_on_a_laptop_or_desktop() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    for (w, h) in [(1280, 800), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        load(&c, &url).await;
        // The blog's and Mazur's networks have four columns (inputs, two layers, the loss), a
        // 4-8-3 softmax network five.
        for (example, button) in [("blog", "reset-blog"), ("mazur", "mazur"), ("iris-8", "")] {
            if button.is_empty() {
                js(&c, "document.getElementById('hidden-input').value = '8'; document.querySelector('#model-form button[type=submit]').click()").await;
                until(
                    &c,
                    "the 4-8-3 model",
                    "document.querySelectorAll('#diagram .unit[data-layer=\"0\"]').length === 8",
                )
                .await;
            } else {
                // The loss shown again marks the example's walk-through as arrived.
                js(&c, &format!("document.getElementById('loss-value').textContent = ''; document.getElementById('{button}').click()")).await;
                let inputs = if example == "mazur" { 2 } else { 4 };
                until(&c, "the example", &format!("document.querySelectorAll('#diagram .unit.st-inputs').length === {inputs} && document.getElementById('loss-value').textContent")).await;
            }
            for stage in ["1.", "5."] {
                js(&c, &format!("const s = document.getElementById('stage-select'); s.value = [...s.options].findIndex(o => o.textContent.startsWith('{stage}')); s.dispatchEvent(new Event('change'))")).await;
                until(
                    &c,
                    "the stage",
                    &format!("document.querySelector('#stage h2')?.textContent.startsWith('{stage}')"),
                )
                .await;
                // Four columns fit whole from 1280 px on; five may scroll sideways.
                clipped(&c, &format!("{example}, stage {stage} at {w}×{h}"), example == "iris-8").await;
            }
            js(&c, "window.scrollTo(0, 0)").await;
            shot(&c, &format!("a11y-diagram-{example}-{w}.png")).await;
        }
        js(&c, "document.getElementById('tab-train').click()").await;
        until(&c, "a session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0') && document.querySelector('#t-net svg')").await;
        clipped(&c, &format!("the Train view at {w}×{h}"), true).await;
    }
    c.close().await.unwrap();
}

/// The smallest diagram text in CSS px, and how far the page runs off its side.
const STANDALONE: &str = r#"
const out = { min_font: 1e9, overflow: document.documentElement.scrollWidth - innerWidth, diagrams: 0 };
// What runs off the side, outermost first (for the message).
const clips = (e) => { for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible' && a !== document.documentElement && a !== document.body) return true; return false; };
out.wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !clips(e)).slice(0, 5).map(e => e.tagName + '.' + (e.getAttribute('class') || '') + ' ' + Math.round(e.getBoundingClientRect().right));
for (const svg of document.querySelectorAll('svg.network')) {
  out.diagrams++;
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  for (const t of svg.querySelectorAll('text')) out.min_font = Math.min(out.min_font, parseFloat(getComputedStyle(t).fontSize) * scale);
}
return out;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_walkthrough_reads_on_a_phone() {
    let _one = ONE_BROWSER.lock().await;
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let gradlens = env!("CARGO_BIN_EXE_gradlens");
    let root = env!("CARGO_MANIFEST_DIR");
    let model = dir.path().join("iris-8-4.json");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(gradlens).args(args).output().expect("gradlens runs");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["train", "--hidden", "8,4", "--epochs", "1", "-q", "--save", model.to_str().unwrap()]);
    // Mazur's step, as the README's command has it.
    let mazur = format!(
        "--model {root}/examples/mazur.json --x 0.05,0.1 --target 0.01,0.99 --loss quadratic --lr 0.5 --freeze-bias"
    );
    let files: [(&str, Vec<&str>); 3] = [
        ("blog", vec![]),
        ("mazur", mazur.split(' ').collect()),
        ("iris-8-4", vec!["--model", model.to_str().unwrap(), "--sample", "0"]),
    ];
    for (name, args) in &files {
        let file = dir.path().join(format!("{name}.html"));
        let mut all = vec!["explain", "--format", "html", "--output", file.to_str().unwrap()];
        all.extend(args);
        run(&all);
        for (w, h, width) in [(390, 844, "phone"), (800, 900, "half"), (1440, 900, "desktop")] {
            c.set_window_size(w, h).await.unwrap();
            c.goto(&format!("file://{}", file.display())).await.unwrap();
            let found = js(&c, STANDALONE).await;
            js(&c, "document.querySelector('figure.diagram').scrollIntoView()").await;
            shot(&c, &format!("a11y-html-{name}-{width}.png")).await;
            assert_eq!(found["diagrams"], json!(2), "{name}: {found}");
            assert!(
                found["min_font"].as_f64().unwrap() >= 11.0,
                "{name} at {w}: diagram text at {} CSS px",
                found["min_font"]
            );
            assert!(
                found["overflow"].as_f64().unwrap() <= 0.0,
                "{name} at {w}: {} px of horizontal overflow: {}",
                found["overflow"],
                found["wide"]
            );
        }
    }
    // The page without script says so and links to the same walk-through, served by GET.
    c.set_window_size(1280, 800).await.unwrap();
    load(&c, &url).await;
    let noscript = js(&c, "return document.querySelector('noscript').textContent").await;
    let href = noscript
        .as_str()
        .unwrap()
        .split("href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link in <noscript>");
    c.goto(&format!("{}{}", url.trim_end_matches('/'), href.replace("&amp;", "&"))).await.unwrap();
    let found = js(
        &c,
        &format!(
            "return [document.querySelector('h1')?.textContent, document.querySelectorAll('svg.network').length, {}]",
            "document.scripts.length"
        ),
    )
    .await;
    assert_eq!(found[1], json!(2), "{href}: {found}");
    assert_eq!(found[2], json!(0), "{href} has scripts");
    c.close().await.unwrap();
}

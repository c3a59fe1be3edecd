//! The page's two pictures of issue 15 in a real browser (headless Chromium, `browser_kit`):
//! - the Graph view: the blog's step's tape, one node per recorded op with its value and its
//!   gradient, and a clicked node's numbers equal to `/api/explain`'s JSON;
//! - the Train view's unit maps: the picker's spiral (400 points, noise 0.05, seed 3) learnt by a
//!   2-16-16-2 tanh network to ≥ 0.95 test accuracy, with one map per hidden unit (32) and the
//!   outputs' decision map, a map's value read by hover and by the keyboard.
//!
//! Screenshots `viz-*.png` in `target/browser/` at 390, 800 and 1440 pixels wide.

mod browser_kit;
use browser_kit::*;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use serde_json::Value;
use std::time::{Duration, Instant};

/// `until` with more patience: the page trains 600 epochs (a debug build, a busy machine).
async fn until_long(c: &fantoccini::Client, what: &str, expression: &str, patience: Duration) -> Value {
    let start = Instant::now();
    loop {
        let v = c.execute(&format!("return ({expression});"), vec![]).await.expect("script runs");
        if !matches!(&v, Value::Null | Value::Bool(false)) && v != Value::String(String::new()) {
            return v;
        }
        if start.elapsed() > patience {
            shot(c, "viz-failure.png").await;
            panic!("waited {patience:?} for {what} ({expression}); screenshot in target/browser/viz-failure.png");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The numbers of a `<table>` of the graph's node panel, row by row.
async fn table(c: &fantoccini::Client, css: &str) -> Vec<Vec<f64>> {
    let v = c
        .execute(
            &format!(
                "return [...document.querySelectorAll('{css} tr')].map(r => [...r.cells].map(td => Number(td.textContent)))"
            ),
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// At the phone's, half a screen's and a desktop's width: the page does not scroll sideways, and
/// a screenshot `viz-{name}-{width}.png` with element `id` in view.
async fn widths(c: &fantoccini::Client, id: &str, name: &str) {
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let wide =
            c.execute("return document.documentElement.scrollWidth > window.innerWidth + 1", vec![]).await.unwrap();
        assert_eq!(wide, Value::Bool(false), "the page scrolls sideways at {w} px");
        c.execute(&format!("document.getElementById('{id}').scrollIntoView()"), vec![]).await.unwrap();
        shot(c, &format!("viz-{name}-{w}.png")).await;
    }
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(v.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_view_and_the_unit_maps() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.set_window_size(1440, 900).await.unwrap();
    c.goto(&url).await.expect("the page loads");
    until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;

    // 1. The Graph view of the blog's step. Its tape (as in tests/dot_graph.rs): serial(Dense(3)
    // without bias, Softmax) under cross-entropy records matmul_nt; the softmax as log_softmax
    // and exp; cross-entropy's mul, sum and scale: 6 ops, and the leaves x, y, W₁.
    c.find(Locator::Id("tab-graph")).await.unwrap().click().await.unwrap();
    until(&c, "the graph", "document.querySelectorAll('#graph .graph-node').length").await;
    let ops = c.execute("return document.querySelectorAll('#graph .graph-node.op').length", vec![]).await.unwrap();
    let leaves = c.execute("return document.querySelectorAll('#graph .graph-node.leaf').length", vec![]).await.unwrap();
    assert_eq!((ops, leaves), (Value::from(6), Value::from(3)));
    // Every node shows a value and a gradient; 1 + 2 + 1 + 2 + 1 + 1 = 8 inputs read, 7 of
    // them on the loss's path (the exp is not read by the loss: its edge is dashed).
    let texts = c
        .execute("return [...document.querySelectorAll('#graph .graph-node')].map(g => g.textContent)", vec![])
        .await
        .unwrap();
    for t in texts.as_array().unwrap() {
        let t = t.as_str().unwrap();
        assert!(t.contains("v [") && t.contains("∂L/∂· ["), "{t}");
    }
    let edges = c.execute("return document.querySelectorAll('#graph .graph-edge').length", vec![]).await.unwrap();
    let skipped =
        c.execute("return document.querySelectorAll('#graph .graph-edge.skipped').length", vec![]).await.unwrap();
    assert_eq!((edges, skipped), (Value::from(8), Value::from(1)));

    // A clicked node's numbers are the explain JSON's: W₁ (its weights and ∂L/∂W) and L.
    let explained = c
        .execute_async(
            "const done = arguments[0]; fetch('/api/explain', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).then(r => r.json()).then(done)",
            vec![],
        )
        .await
        .unwrap();
    let w1 = c
        .find(Locator::XPath(
            "//*[@id='graph']//*[contains(@class,'graph-node')][starts-with(normalize-space(.), 'W₁ ')]",
        ))
        .await
        .unwrap();
    w1.click().await.unwrap();
    until(&c, "W₁'s numbers", "document.getElementById('graph-node-title')?.textContent.startsWith('W₁')").await;
    assert_eq!(table(&c, "#graph-node table.value").await, matrix(&explained["layers"][0]["weights"]));
    assert_eq!(table(&c, "#graph-node table.gradient").await, matrix(&explained["layers"][0]["grad_weights"]));
    // The loss node, by the keyboard: L = −ln 0.4794433 = 0.7351296 (spec), ∂L/∂L = 1.
    c.execute("document.querySelector('#graph .graph-node.loss').focus()", vec![]).await.unwrap();
    c.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap(); // Enter
    until(&c, "L's numbers", "document.getElementById('graph-node-title')?.textContent.includes('= L')").await;
    assert_eq!(table(&c, "#graph-node table.value").await, vec![vec![explained["loss"].as_f64().unwrap()]]);
    assert!((explained["loss"].as_f64().unwrap() - 0.7351296406658168).abs() < 1e-12);
    assert_eq!(table(&c, "#graph-node table.gradient").await, vec![vec![1.0]]);
    // Nothing sticks out of the page: a large graph scrolls in its own frame.
    widths(&c, "graph", "graph").await;

    // 2. The spiral on the Train view: a 2-16-16-2 tanh network, as README's command trains it
    // (`gradlens train --data spiral --points 400 --noise 0.05 --seed 3 --hidden 16,16
    // --activation tanh --optimizer adam --lr 0.01 --batch-size 32 --epochs 600`).
    // The picker draws the spiral as `train --data spiral` does, and sets the run up on it.
    c.find(Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(&c, "an Iris session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    for (id, value) in [("toy-points", "400"), ("toy-noise", "0.05"), ("toy-seed", "3"), ("toy-set", "spiral")] {
        let script = "const el = document.getElementById(arguments[0]); el.value = arguments[1]; \
                      el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));";
        c.execute(script, vec![id.into(), value.into()]).await.unwrap();
    }
    until(&c, "the spiral", "document.getElementById('toy-scatter').dataset.points === '400'").await;
    until(&c, "a spiral session", "document.getElementById('t-legend').textContent.includes('orange') && document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.execute(
        "const set = (id, v) => document.getElementById(id).value = v;
         set('t-hidden', '16,16'); set('t-act', 'tanh'); set('t-opt', 'adam'); set('t-lr', '0.01');
         set('t-epochs', '600'); set('t-batch', '32'); set('t-seed', '3'); set('t-test', '0.2');
         set('t-speed', '20');
         document.getElementById('t-reset').click()",
        vec![],
    )
    .await
    .unwrap();
    until_long(
        &c,
        "the spiral's session",
        "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0 of 600')",
        Duration::from_secs(240),
    )
    .await;
    // Before training: one map per hidden unit, 16 + 16, and the outputs'.
    until(&c, "the unit maps", "document.querySelectorAll('#t-units .units-map').length").await;
    let hidden = c.execute("return document.querySelectorAll('#t-units .units-layer').length", vec![]).await.unwrap();
    assert_eq!(hidden, Value::from(3)); // two hidden layers and the output
    let maps = c
        .execute(
            "return [...document.querySelectorAll('#t-units .units-layer')].map(l => l.querySelectorAll('.units-map').length)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(maps, serde_json::json!([16, 16, 3])); // the decision map and ŷ blue, ŷ orange
    c.execute("window.scrollTo(0, 0); document.getElementById('t-run').click()", vec![]).await.unwrap();
    let shown = until_long(
        &c,
        "epoch 600",
        "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 600 of 600') && document.getElementById('t-epoch-text').textContent",
        Duration::from_secs(300),
    )
    .await;
    let shown = shown.as_str().unwrap().to_string();
    let accuracy: f64 = shown.split("test accuracy ").nth(1).expect("a test accuracy").trim().parse().unwrap();
    assert!(accuracy >= 0.95, "{shown}");
    // The maps follow the epoch shown: the last one asked for is epoch 600's.
    until(
        &c,
        "the last epoch's maps",
        "window.performance.getEntriesByType('resource').some(r => r.name.includes('/units?epoch=600'))",
    )
    .await;

    let bytes = c
        .execute("return performance.getEntriesByType('resource').filter(r => r.name.includes('/units?epoch=600')).pop().encodedBodySize", vec![])
        .await
        .unwrap();
    eprintln!("one poll of the 34 unit maps (20×20): {bytes} bytes");
    // Hover: the read-out names the unit, the point and the value; the keyboard moves it.
    c.execute("document.querySelector('#t-units .units-map').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    let first = c.find(Locator::Css("#t-units .units-layer .units-map")).await.unwrap();
    let side = c
        .execute("return document.querySelector('#t-units .units-map').getBoundingClientRect().width", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    // 2 pixels in from the map's top left corner (offsets are from its centre).
    let corner = -side / 2.0 + 2.0;
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: first.clone(),
        duration: None,
        x: corner,
        y: corner,
    });
    c.perform_actions(hover).await.unwrap();
    let read = until(&c, "the hovered value", "document.getElementById('t-units-value').textContent").await;
    assert!(read.as_str().unwrap().starts_with("a⁽¹⁾₁ at x1 = "), "{read}");
    // The top-left cell (i = 0, j = cells − 1) of unit 1: the value is the server's, in full.
    let server = c
        .execute_async(
            "const done = arguments[0]; const e = performance.getEntriesByType('resource').filter(r => r.name.includes('/units?epoch=600')).pop();
             fetch(e.name).then(r => r.json()).then(a => done(a.maps.hidden[0].units[0][a.maps.plane.cells - 1][0]))",
            vec![],
        )
        .await
        .unwrap();
    let shown: f64 = read.as_str().unwrap().rsplit(": ").next().unwrap().parse().unwrap();
    assert_eq!(shown, server.as_f64().unwrap(), "{read} against {server}");
    first.send_keys("\u{E007}").await.unwrap(); // Enter: into the map's cells
    first.send_keys("\u{E014}").await.unwrap(); // ArrowRight: cell i = 1
    let moved = until(&c, "the next cell", &format!("document.getElementById('t-units-value').textContent !== {read} && !document.getElementById('t-units-value').textContent.includes('reading the cells') && document.getElementById('t-units-value').textContent")).await;
    assert!(moved.as_str().unwrap().starts_with("a⁽¹⁾₁ at x1 = "), "{moved}");

    widths(&c, "fig-units", "units").await;
}

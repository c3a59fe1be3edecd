//! The page names every quantity as the walk-through does (one symbol table, issue 13): for
//! Mazur's model the chain panel of an output weight writes the loss's slope ∂L/∂ŷ₁ = ŷ₁ − y₁
//! (not ∂L/∂a⁽²⁾₁ = (ŷ₁ − y₁)/m), every one of its ∂-lines is a line of the walk-through with the
//! same symbols and numbers, and the diagram labels hidden and output units by layer (a⁽¹⁾ⱼ, ŷⱼ)
//! with the names the walk-through writes. At a phone's, a half screen's and a desktop's width;
//! screenshots in `target/browser/pipeline-*.png`.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;
use fantoccini::{Client, Locator};
use serde_json::Value;

/// The TeX of every formula under a CSS selector (MathML's `annotation`), as the page holds it.
async fn tex_under(c: &Client, css: &str) -> Vec<String> {
    let found = c
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' math annotation')].map(a => a.textContent)",
            vec![Value::from(css)],
        )
        .await
        .expect("script runs");
    found.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
}

/// A diagram label's name (`a⁽¹⁾₁` of `a⁽¹⁾₁ = 0.59326999`) in the walk-through's TeX: `a^{(1)}_{1}`.
fn as_tex(label: &str) -> String {
    let name = label.split(" = ").next().unwrap();
    let (mut tex, mut sub, mut sup) = (String::new(), String::new(), String::new());
    for ch in name.chars() {
        match ch {
            '₀'..='₉' => sub.push(char::from_digit(ch as u32 - '₀' as u32, 10).unwrap()),
            '⁽' => sup.push('('),
            '⁾' => sup.push(')'),
            '¹' => sup.push('1'),
            '²' => sup.push('2'),
            '³' => sup.push('3'),
            'ŷ' => tex.push_str("\\hat{y}"),
            other => tex.push(other),
        }
    }
    if !sup.is_empty() {
        tex.push_str(&format!("^{{{sup}}}"));
    }
    tex + &format!("_{{{sub}}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_and_the_diagram_name_what_the_walk_through_names() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    for (w, h, name) in [(390, 844, "phone"), (800, 900, "half"), (1440, 900, "desktop")] {
        c.set_window_size(w, h).await.expect("the window resizes");
        c.goto(&url).await.expect("the page loads");
        until(&c, "the stages", "document.querySelectorAll('#stage-select option').length").await;
        c.execute("document.getElementById('mazur').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
        c.find(Locator::Id("mazur")).await.unwrap().click().await.unwrap();
        until(&c, "Mazur's network", "document.querySelectorAll('#diagram .unit.st-inputs').length === 2").await;

        // Every formula of the walk-through, stage by stage.
        let stages = until(&c, "stage count", "document.querySelectorAll('#stage-select option').length").await;
        let mut walk: Vec<String> = Vec::new();
        for i in 0..stages.as_u64().unwrap() {
            c.execute(
                &format!("const s = document.getElementById('stage-select'); s.value = '{i}'; s.dispatchEvent(new Event('change', {{bubbles: true}}))"),
                vec![],
            )
            .await
            .unwrap();
            until(&c, "the stage", &format!("document.getElementById('stage-select').value === '{i}' && document.getElementById('stage').textContent")).await;
            walk.extend(tex_under(&c, "#stage").await);
        }
        // Mazur's backward pass starts from the loss's slope, per output and as the rule.
        assert!(walk.iter().any(|t| t == r"\partial L/\partial \hat{y}_{k} = \hat{y}_{k} - y_{k}"), "{name}: {walk:?}");

        // w5 (layer 2: output unit 1 from hidden unit 1): its chain.
        let edge = r#"#diagram .edge[data-layer="2"][data-row="0"][data-col="0"]"#;
        c.execute(&format!("const e = document.querySelector('{edge}'); e.focus(); e.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}}))"), vec![]).await.unwrap();
        until(&c, "w5's chain", "document.getElementById('chain-grad')").await;
        let chain = tex_under(&c, "#details").await;
        // ∂L/∂ŷ₁ = ŷ₁ − y₁, the walk-through's rule at output 1 (not ∂L/∂a⁽²⁾₁, not divided by m).
        let rule = r"\partial L/\partial \hat{y}_{1} = \hat{y}_{1} - y_{1}";
        assert!(chain.iter().any(|t| t == rule), "{name}: the chain has no {rule}: {chain:?}");
        // Each ∂-line of the chain, its rule then its numbers, is a line of the walk-through:
        // the same left side, ending in the same numbers (e.g. ∂L/∂ŷ₁ = 0.75136507 − 0.01 =
        // 0.74136507, Mazur's ∂E/∂out_o1 = 0.74136507).
        let mut checked = 0;
        for pair in chain.windows(2) {
            let (rule, numbers) = (&pair[0], &pair[1]);
            let (Some(lhs), Some(numbers)) = (rule.split(" = ").next(), numbers.strip_prefix("= ")) else { continue };
            if !lhs.starts_with(r"\partial") {
                continue;
            }
            assert!(
                walk.iter().any(|t| t.starts_with(&format!("{lhs} = ")) && t.ends_with(numbers)),
                "{name}: the walk-through has no line {lhs} = … = {numbers}"
            );
            checked += 1;
        }
        // ∂L/∂W⁽²⁾₁₁, ∂L/∂z⁽²⁾₁ and ∂L/∂ŷ₁.
        assert_eq!(checked, 3, "{name}: {chain:?}");
        assert!(walk.iter().any(|t| t.ends_with("0.74136507")), "Mazur's ∂E/∂out_o1 = 0.74136507");

        // The diagram's units: x⁽⁰⁾ inputs, hidden a⁽¹⁾ⱼ, outputs ŷⱼ, each named as in the walk-through.
        let labels = c
            .execute("return [...document.querySelectorAll('#diagram .unit text')].map(t => t.textContent)", vec![])
            .await
            .unwrap();
        let labels: Vec<&str> = labels.as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let names: Vec<&str> = labels.iter().map(|l| l.split(" = ").next().unwrap()).collect();
        for expected in ["x₁", "x₂", "a⁽¹⁾₁", "a⁽¹⁾₂", "ŷ₁", "ŷ₂"] {
            assert!(names.contains(&expected), "{name}: no unit {expected} in {labels:?}");
        }
        for label in labels.iter().filter(|l| !l.starts_with("L ")) {
            let tex = as_tex(label);
            assert!(walk.iter().any(|t| t.contains(&tex)), "{name}: the walk-through never writes {tex} ({label})");
        }
        // The chain in view for the screenshot (below the diagram on a phone).
        c.execute("document.getElementById('details').scrollIntoView({block: 'start'})", vec![]).await.unwrap();
        shot(&c, &format!("pipeline-{name}.png")).await;
    }
}

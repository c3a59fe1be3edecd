//! The page's menus of names, in headless Chromium: every loss, optimizer, activation, output
//! layer and generated data set menu lists exactly the names `GET /api/choices` sends, in its order (no
//! menu is written by hand), after the "none chosen" option a menu has in the HTML, and each
//! starts where the page always started: cross-entropy, sgd, tanh (the library's default
//! activation and optimizer), the automatic loss and the table's own data. Screenshots of the
//! Train view's settings at 390, 800 and 1440 px wide (`target/browser/menus-*.png`), with no
//! horizontal overflow at any of them.

mod browser_kit;
use browser_kit::*;
use serde_json::{Value, json};

/// Every menu filled from the choices: its id, the list it shows, the value of the option the
/// HTML writes before the names (if any), and the value it starts at.
const MENUS: [(&str, &str, Option<&str>, &str); 9] = [
    ("loss-input", "losses", None, "cross-entropy"),
    ("opt-input", "optimizers", None, "sgd"),
    ("act-input", "activations", None, "tanh"),
    ("output-input", "outputs", None, "softmax"),
    ("new-loss-input", "losses", Some(""), ""),
    ("toy-set", "toys", Some(""), ""),
    ("t-act", "activations", None, "tanh"),
    ("t-opt", "optimizers", None, "sgd"),
    ("t-lossfn", "losses", None, "cross-entropy"),
];

#[tokio::test]
async fn the_page_s_menus_list_exactly_the_library_s_choices() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    c.set_window_size(1440, 900).await.unwrap();
    c.goto(&url).await.unwrap();
    until(&c, "the blog's step", "document.getElementById('loss-value')?.textContent").await;

    // What the server says, asked as any client would.
    let choices = c.execute("return fetch('/api/choices').then((r) => r.json())", vec![]).await.unwrap();
    assert!(choices["losses"].as_array().is_some_and(|l| !l.is_empty()), "{choices}");

    // Every menu the page marks as a list of names is one of those checked here.
    let marked = c
        .execute("return [...document.querySelectorAll('select[data-choices]')].map((s) => s.id)", vec![])
        .await
        .unwrap();
    let ids: Vec<&str> = MENUS.iter().map(|m| m.0).collect();
    assert_eq!(marked, json!(ids), "the menus of names on the page");

    for (id, list, written, start) in MENUS {
        let menu = c
            .execute(
                "const s = document.getElementById(arguments[0]);
                 return { value: s.value, options: [...s.options].map((o) => [o.value, o.text]) };",
                vec![json!(id)],
            )
            .await
            .unwrap();
        assert!(choices[list].as_array().is_some_and(|l| !l.is_empty()), "/api/choices's {list} is empty");
        let options = menu["options"].as_array().unwrap();
        let names: Vec<Value> = options.iter().skip(usize::from(written.is_some())).map(|o| o[0].clone()).collect();
        assert_eq!(Value::Array(names), choices[list], "#{id} lists /api/choices's {list}");
        if let Some(value) = written {
            assert_eq!(options[0][0], json!(value), "#{id}'s own first option");
        }
        // A name is its own label: the word the CLI and the API take.
        for o in options.iter().skip(usize::from(written.is_some())) {
            assert_eq!(o[0], o[1], "#{id}'s option {o}");
        }
        assert_eq!(menu["value"], json!(start), "#{id} starts where it did");
    }
    // The library's defaults are what the menus start at.
    assert_eq!(choices["defaults"]["activations"], json!("tanh"));
    assert_eq!(choices["defaults"]["optimizers"], json!("sgd"));

    // The Train view's menus, seen at three widths.
    c.execute("document.getElementById('tab-train').click()", vec![]).await.unwrap();
    until(&c, "the Train view", "!document.getElementById('view-train').hidden").await;
    for (w, h) in [(390, 844), (800, 900), (1440, 900)] {
        c.set_window_size(w, h).await.unwrap();
        c.execute("document.getElementById('t-act').scrollIntoView({ block: 'center' })", vec![]).await.unwrap();
        let overflow = c
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await
            .unwrap();
        assert!(overflow.as_f64().unwrap() <= 0.0, "{w} px: the page is {overflow} px too wide");
        shot(&c, &format!("menus-{w}.png")).await;
    }
}

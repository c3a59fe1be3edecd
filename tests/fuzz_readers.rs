//! A fuzz harness per reader, run by `cargo test` with a small budget (proptest; `cargo fuzz`
//! needs nightly). Each reader gets arbitrary bytes and inputs shaped like its format with faults
//! mixed in, and must answer with a value or an error, never a panic; its error is one line; and
//! where the input is valid, what it reads is what was written (Rust's `{}` for f64 is the
//! shortest text that reads back to the same bits, so the written numbers are the oracle).
//!
//! The budget: `FUZZ_CASES` (default 600) cases per property; set it higher for a longer run.
//! The number of inputs tried is printed (`cargo test --test fuzz_readers -- --nocapture`).

use gradlens::data::{Dataset, TargetColumns, read_features_from};
use gradlens::model::ModelFile;
use proptest::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

static TRIED: AtomicUsize = AtomicUsize::new(0);

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

fn one_line(e: &gradlens::Error) {
    let text = e.to_string();
    assert!(!text.contains('\n') && !text.contains('\r'), "a message of more than one line: {text:?}");
}

/// A CSV-ish field: a number, a word, an empty field, a quoted field with a comma or line break.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        (-1000i64..1000).prop_map(|v| v.to_string()),
        "[a-z]{1,6}",
        Just(String::new()),
        Just("\"a,b\"".to_string()),
        Just("\"x\ny\"".to_string()),
        Just("\"unterminated".to_string()),
        Just(" 1.5 ".to_string()),
        Just("\u{1b}[31m".to_string()),
    ]
}

fn csvish() -> impl Strategy<Value = String> {
    (1usize..5, prop::collection::vec(prop::collection::vec(field(), 0..6), 0..8), prop::bool::ANY).prop_map(
        |(width, rows, crlf)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut s: String = (0..width).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",") + end;
            for r in rows {
                s.push_str(&r.join(","));
                s.push_str(end);
            }
            s
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_reader_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        TRIED.fetch_add(3, Ordering::Relaxed);
        if let Err(e) = Dataset::from_csv_reader(&bytes[..], Path::new("fuzz.csv"), &TargetColumns::default()) { one_line(&e) }
        if let Err(e) = Dataset::from_csv_reader(&bytes[..], Path::new("fuzz.csv"), &TargetColumns::Values(vec![])) { one_line(&e) }
        if let Err(e) = read_features_from(&bytes[..], Path::new("fuzz.csv"), None, 2) { one_line(&e) }
    }

    #[test]
    fn csv_reader_never_panics_on_csvish_text(text in csvish()) {
        TRIED.fetch_add(2, Ordering::Relaxed);
        match Dataset::from_csv_reader(text.as_bytes(), Path::new("fuzz.csv"), &TargetColumns::default()) {
            Ok(d) => {
                let labels = d.labels().expect("a class column");
                prop_assert_eq!(d.features.nrows(), labels.len());
                prop_assert!(labels.iter().all(|&l| l < d.target.width()));
                prop_assert!(d.features.f64().iter().all(|v| v.is_finite()));
            }
            Err(e) => one_line(&e),
        }
        match Dataset::from_csv_reader(text.as_bytes(), Path::new("fuzz.csv"), &TargetColumns::Values(vec![])) {
            Ok(d) => {
                prop_assert_eq!(d.features.nrows(), d.target.len());
                prop_assert!(d.targets().iter().chain(d.features.f64().iter()).all(|v| v.is_finite()));
            }
            Err(e) => one_line(&e),
        }
    }

    #[test]
    fn csv_numbers_read_back_exactly(
        rows in prop::collection::vec((prop::collection::vec(-1e300f64..1e300, 3), 0usize..3), 1..20),
        crlf in prop::bool::ANY,
    ) {
        TRIED.fetch_add(1, Ordering::Relaxed);
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("a,b,c,label{end}");
        for (values, class) in &rows {
            let fields: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            text.push_str(&format!("{},k{class}{end}", fields.join(",")));
        }
        let d = Dataset::from_csv_reader(text.as_bytes(), Path::new("fuzz.csv"), &TargetColumns::default()).unwrap();
        for (r, (values, _)) in rows.iter().enumerate() {
            for (c, v) in values.iter().enumerate() {
                prop_assert_eq!(d.features.f64()[[r, c]].to_bits(), v.to_bits());
            }
        }
        // The same numbers as two features and one value target (column b), by either path.
        let values = TargetColumns::Values(vec!["b".into()]);
        let numeric = text.replace(",k", ",");
        let d = Dataset::from_csv_reader(numeric.as_bytes(), Path::new("fuzz.csv"), &values).unwrap();
        for (r, (values, class)) in rows.iter().enumerate() {
            prop_assert_eq!(d.features.f64()[[r, 0]].to_bits(), values[0].to_bits());
            prop_assert_eq!(d.features.f64()[[r, 1]].to_bits(), values[2].to_bits());
            prop_assert_eq!(d.features.f64()[[r, 2]], *class as f64);
            prop_assert_eq!(d.targets()[[r, 0]].to_bits(), values[1].to_bits());
        }
    }

    /// Plain rows (no quotes) of any width: a reader takes a table only when each row has as many
    /// fields as the header (and numbers where numbers go). A row with a field too many
    /// (`1,2,x,`) was read by the fast path with the extra field glued to the last text field, as
    /// the class `x,` (issue 17, item 7).
    #[test]
    fn csv_rows_of_the_wrong_width_are_refused(
        rows in prop::collection::vec((prop::collection::vec(-100i64..100, 1..4), prop_oneof![Just(""), Just(","), Just(",z"), Just(",7")]), 1..8),
        label_first in prop::bool::ANY,
    ) {
        TRIED.fetch_add(2, Ordering::Relaxed);
        let mut text = if label_first { "label,a,b\n".to_string() } else { "a,b,label\n".to_string() };
        let (label_at, numbers_at) = if label_first { (0, [1, 2]) } else { (2, [0, 1]) };
        let (mut classes_ok, mut features_ok) = (true, true);
        for (numbers, extra) in &rows {
            let numbers: Vec<String> = numbers.iter().map(i64::to_string).collect();
            let line = if label_first { format!("x,{}{extra}", numbers.join(",")) } else { format!("{},x{extra}", numbers.join(",")) };
            let fields: Vec<&str> = line.split(',').collect();
            let fits = fields.len() == 3 && numbers_at.iter().all(|&c| fields[c].parse::<f64>().is_ok());
            features_ok &= fits;
            classes_ok &= fits && !fields[label_at].is_empty();
            text.push_str(&line);
            text.push('\n');
        }
        let label = TargetColumns::Class(Some("label".into()));
        let classes = Dataset::from_csv_reader(text.as_bytes(), Path::new("fuzz.csv"), &label);
        prop_assert_eq!(classes.is_ok(), classes_ok, "{}: {:?}", text, classes.as_ref().err().map(ToString::to_string));
        if let Ok(d) = classes {
            prop_assert!(d.target.names().iter().all(|n| !n.contains(',')));
        }
        // The same rows for a model that reads a and b, whatever the label column holds.
        let names = ["a".to_string(), "b".to_string()];
        let features = read_features_from(text.as_bytes(), Path::new("fuzz.csv"), Some(&names), 2);
        prop_assert_eq!(features.is_ok(), features_ok, "{}: {:?}", text, features.as_ref().err().map(ToString::to_string));
    }

    #[test]
    fn model_reader_never_panics_on_text(text in "\\PC{0,200}") {
        TRIED.fetch_add(1, Ordering::Relaxed);
        match ModelFile::parse(&text, Path::new("fuzz.json")) {
            Ok(file) => {
                if let Err(e) = file.to_model(Path::new("fuzz.json")) { one_line(&e) }
            }
            Err(e) => one_line(&e),
        }
    }

    #[test]
    fn model_reader_never_panics_on_mutated_models(
        cut in 0usize..200,
        insert in prop_oneof![Just(","), Just("}"), Just("]"), Just("\"type\": \"tanh\","), Just("1e999"), Just("\u{feff}"), Just("null")],
        rows in 1usize..4,
        cols in 1usize..4,
    ) {
        TRIED.fetch_add(1, Ordering::Relaxed);
        let weights: Vec<String> = (0..rows).map(|r| format!("[{}]", (0..cols).map(|c| format!("{}", r * cols + c)).collect::<Vec<_>>().join(", "))).collect();
        let model = format!(
            r#"{{"layers": [{{"type": "dense", "weights": [{}], "bias": null}}, {{"type": "softmax"}}], "classes": null}}"#,
            weights.join(", ")
        );
        let at = model.char_indices().map(|(i, _)| i).nth(cut % model.chars().count()).unwrap_or(0);
        let mutated = format!("{}{insert}{}", &model[..at], &model[at..]);
        match ModelFile::parse(&mutated, Path::new("fuzz.json")) {
            Ok(file) => {
                if let Err(e) = file.to_model(Path::new("fuzz.json")) { one_line(&e) }
            }
            Err(e) => one_line(&e),
        }
    }
}

/// Runs last by name; prints the total so a run can report it.
#[test]
fn zz_report_inputs_tried() {
    // Properties run in parallel threads; this only reports what finished before it.
    eprintln!(
        "fuzz_readers: {} inputs so far in this process (budget {} cases per property)",
        TRIED.load(Ordering::Relaxed),
        cases()
    );
}

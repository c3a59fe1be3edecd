//! A CSV read for an f32 run (issue 16: "an f32 run never keeps an f64 copy"): the features are
//! held as float32, each number the float64 the file's text gives rounded once to nearest, and
//! the targets (classes or values) as a float64 read gives them.

use gradlens::data::{Dataset, Hold, TargetColumns, Targets};
use ndarray::Array2;
use std::path::Path;

/// 50 rows of three features and a class (or a value as the last column): numbers that
/// float32 cannot hold exactly, some with exponents or quotes (the careful path), some plain.
fn table(values: bool) -> String {
    let mut text = String::from("a,b,c,t\n");
    for i in 0..50 {
        let (a, b, c) = (i as f64 * 0.1 + 1e-9, -(i as f64) / 7.0, 1.0 / (i as f64 + 3.0));
        let t = if values { format!("{}", i as f64 * 0.25) } else { ["x", "y", "z"][i % 3].to_string() };
        if i % 5 == 0 {
            text += &format!("\"{a:e}\", {b},{c:.17},{t}\n");
        } else {
            text += &format!("{a},{b:.12},{c},{t}\n");
        }
    }
    text
}

#[test]
fn an_f32_run_reads_a_csv_as_float32_rounded_once() {
    for values in [false, true] {
        let text = table(values);
        let targets = if values {
            TargetColumns::new(None, Some(gradlens::data::TargetKind::Values)).unwrap()
        } else {
            TargetColumns::default()
        };
        let name = Path::new("t.csv");
        let f64s = Dataset::from_csv_reader_held(text.as_bytes(), name, &targets, Hold::F64).unwrap();
        let f32s = Dataset::from_csv_reader_held(text.as_bytes(), name, &targets, Hold::F32).unwrap();
        assert_eq!((f64s.features.held_as(), f32s.features.held_as()), ("f64", "f32"));
        // The float64 read is the reference: Rust's `str::parse::<f64>` of each field is the
        // correctly rounded value, and float32 is that rounded once more (`as f32`).
        let wide = f64s.features.f64();
        for (i, line) in text.lines().skip(1).enumerate() {
            for (j, field) in line.split(',').take(3).enumerate() {
                let v: f64 = field.trim().trim_matches('"').parse().unwrap();
                assert_eq!(wide[[i, j]].to_bits(), v.to_bits(), "row {i} column {j}");
            }
        }
        let narrow = f32s.features.f64();
        for ((i, j), &v) in wide.indexed_iter() {
            assert_eq!(narrow[[i, j]].to_bits(), f64::from(v as f32).to_bits(), "row {i} column {j}");
        }
        // The targets, as `table` wrote them: row i's value i·0.25 (exact in binary), or its
        // class x, y, z in turn, numbered by first appearance (x 0, y 1, z 2).
        let expected = if values {
            Targets::Values {
                values: Array2::from_shape_fn((50, 1), |(i, _)| i as f64 * 0.25),
                names: vec!["t".to_string()],
            }
        } else {
            Targets::Classes {
                labels: (0..50).map(|i| i % 3).collect(),
                names: ["x", "y", "z"].map(String::from).to_vec(),
            }
        };
        assert_eq!(f64s.target, expected, "the f64 read's targets");
        assert_eq!(f32s.target, expected, "the f32 read's targets");
        assert_eq!(f64s.feature_names, f32s.feature_names);
    }
}

//! Reading, splitting and scaling data: every expected number is worked out in the test.

use gradlens::data::{Dataset, ScaleKind, Scaler, TargetColumns, TargetKind, Targets, read_features, stratified_split};
use ndarray::array;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

fn csv(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn read(text: &str, label: Option<&str>) -> Result<Dataset, String> {
    let (_dir, path) = csv(text);
    Dataset::from_csv(&path, &TargetColumns::Class(label.map(String::from))).map_err(|e| e.to_string())
}

/// As `train --label LIST [--targets KIND]` reads a CSV.
fn read_targets(text: &str, label: Option<&str>, kind: Option<TargetKind>) -> Result<Dataset, String> {
    let (_dir, path) = csv(text);
    let columns = TargetColumns::new(label, kind).map_err(|e| e.to_string())?;
    Dataset::from_csv(&path, &columns).map_err(|e| e.to_string())
}

#[test]
fn iris_is_fishers_table() {
    let iris = Dataset::iris();
    assert_eq!(iris.len(), 150);
    assert_eq!(iris.class_names().unwrap(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(iris.feature_names, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    // Row 1 of the file: 5.1,3.5,1.4,0.2,setosa; 50 rows of each class, in blocks.
    assert_eq!(iris.features.row(0).to_vec(), [5.1, 3.5, 1.4, 0.2]);
    for c in 0..3 {
        assert_eq!(iris.labels().unwrap()[c * 50..(c + 1) * 50], [c; 50]);
    }
}

#[test]
fn a_csv_keeps_classes_in_order_of_first_appearance() {
    let d = read("a,kind,b\n1,z,2\n3,y,4\n5,z,6\n", Some("kind")).unwrap();
    assert_eq!(d.class_names().unwrap(), ["z", "y"]);
    assert_eq!(d.labels().unwrap(), [0, 1, 0]);
    assert_eq!(d.feature_names, ["a", "b"]);
    assert_eq!(d.features, array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
}

#[test]
fn every_bad_table_is_named_by_file_row_and_column() {
    let cases: [(&str, Option<&str>, &[&str]); 11] = [
        ("", None, &["data.csv", "the file is empty"]),
        ("a,b,label\n", None, &["data.csv", "header but no data rows"]),
        ("a,b,label\n1,2,x\n3,x\n", None, &["row 3", "has 2 fields but the header has 3"]),
        ("a,b,label\n1,2,x\n3,abc,y\n", None, &["row 3", "column 'b'", "'abc' is not a number"]),
        ("a,b,label\n1,NaN,x\n", None, &["row 2", "column 'b'", "not a finite number"]),
        ("a,b,label\n1,inf,x\n", None, &["row 2", "column 'b'", "not a finite number"]),
        ("a,b,label\n1,2,x\n", Some("species"), &["column 'species'", "no such column", "a, b, label"]),
        ("a,b,label\n1,,x\n", None, &["row 2", "column 'b'", "empty"]),
        ("a,b,label\n1,2,\n", None, &["row 2", "column 'label'", "the label is empty"]),
        // A repeated name would make "the column called a" mean two columns.
        ("a,b,a,label\n1,2,3,x\n", None, &["row 1", "column 'a'", "columns 1 and 3"]),
        ("a,b,label,label\n1,2,x,y\n", Some("label"), &["row 1", "column 'label'", "columns 3 and 4"]),
    ];
    for (text, label, want) in cases {
        let e = read(text, label).unwrap_err();
        for w in want {
            assert!(e.contains(w), "{text:?}: {e:?} lacks {w:?}");
        }
    }
}

#[test]
fn several_label_columns_are_values_in_the_order_given() {
    // Columns a, y1, b, y2: targets y2 then y1 as asked, the features a and b in file order.
    let d = read_targets("a,y1,b,y2\n1,0.5,2,-1\n3,1.5,4,-2e1\n", Some("y2,y1"), None).unwrap();
    assert_eq!(d.feature_names, ["a", "b"]);
    assert_eq!(d.features, array![[1.0, 2.0], [3.0, 4.0]]);
    let Targets::Values { values, names } = &d.target else { panic!("values expected: {:?}", d.target) };
    assert_eq!(names, &["y2", "y1"]);
    assert_eq!(values, &array![[-1.0, 0.5], [-20.0, 1.5]]);
    assert_eq!((d.target.width(), d.labels(), d.class_names()), (2, None, None));
    // The careful path (a quoted field, spaces) reads the same numbers.
    let careful = read_targets("a,y1,b,y2\n\"1\",0.5, 2,-1\n3,1.5,4,-2e1\n", Some("y2,y1"), None).unwrap();
    assert_eq!(careful, d);
    // One column as values, asked for; the last column by default.
    let one = read_targets("a,b,y\n1,2,3\n", None, Some(TargetKind::Values)).unwrap();
    assert_eq!((one.target.names(), one.targets()), (&["y".to_string()][..], array![[3.0]]));
    // A one-column label stays a class, as before.
    let class = read_targets("a,b,y\n1,2,3\n", Some("y"), None).unwrap();
    assert_eq!(class.class_names().unwrap(), ["3"]);
}

#[test]
fn bad_value_targets_are_named() {
    let cases: [(&str, &str, Option<TargetKind>, &[&str]); 6] = [
        ("a,y1,y2\n1,2,x\n", "y1,y2", None, &["row 2", "column 'y2'", "'x' is not a number"]),
        ("a,y1,y2\n1,2,\n", "y1,y2", None, &["row 2", "column 'y2'", "empty"]),
        ("a,y1,y2\n1,2,3\n", "y1,z", None, &["column 'z'", "no such column", "a, y1, y2"]),
        ("a,y1,y2\n1,2,3\n", "y1,y1", None, &["column 'y1'", "named twice"]),
        ("y1,y2\n1,2\n", "y1,y2", None, &["row 1", "a feature column is needed"]),
        ("a,y1,y2\n1,2,3\n", "y1,y2", Some(TargetKind::Classes), &["--label", "classes come from one column"]),
    ];
    for (text, label, kind, want) in cases {
        let e = read_targets(text, Some(label), kind).unwrap_err();
        let e = e.replace("label y1,y2", "--label");
        for w in want {
            assert!(e.contains(w), "{text:?} {label}: {e:?} lacks {w:?}");
        }
    }
    let e = TargetColumns::new(Some("a,,b"), None).unwrap_err().to_string();
    assert!(e.contains("a column name is empty"), "{e}");
}

#[test]
fn values_split_at_random_and_are_not_scaled() {
    // 10 rows with one value target: round(10·0.3) = 3 test rows, seeded; the features are
    // standardised on the training rows, the targets left as they are (the loss reads them).
    let text: String =
        std::iter::once("x,y\n".to_string()).chain((0..10).map(|i| format!("{i},{}\n", 100 + i))).collect();
    let d = read_targets(&text, None, Some(TargetKind::Values)).unwrap();
    let p = d.prepare(0.3, Some(ScaleKind::Standard), &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let test = p.test.unwrap();
    assert_eq!((p.train.len(), test.len()), (7, 3));
    for (part, rows) in [(&p.train, &p.split.train), (&test, &p.split.test)] {
        let want: Vec<f64> = rows.iter().map(|&r| 100.0 + r as f64).collect();
        assert_eq!(part.targets().column(0).to_vec(), want);
    }
    let again = d.prepare(0.3, Some(ScaleKind::Standard), &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    assert_eq!(again.split, p.split);
    let mean = p.train.features.column(0).sum() / 7.0;
    assert!(mean.abs() < 1e-12, "standardised training features have mean 0: {mean}");
}

#[test]
fn training_needs_two_classes() {
    let d = read("a,label\n1,x\n2,x\n", None).unwrap();
    let e = d.check_trainable(std::path::Path::new("one.csv")).unwrap_err().to_string();
    assert!(e.contains("one.csv") && e.contains("same class ('x')"), "{e}");
}

#[test]
fn a_stratified_split_keeps_each_class_share_and_is_seeded() {
    let labels = Dataset::iris().labels().unwrap().to_vec();
    let split = stratified_split(&labels, 3, 0.2, &mut ChaCha8Rng::seed_from_u64(5));
    // round(50·0.2) = 10 test rows of each class.
    for c in 0..3 {
        assert_eq!(split.test.iter().filter(|&&i| labels[i] == c).count(), 10);
    }
    assert_eq!(split.train.len() + split.test.len(), 150);
    assert!(split.train.windows(2).all(|w| w[0] < w[1]) && split.test.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(split, stratified_split(&labels, 3, 0.2, &mut ChaCha8Rng::seed_from_u64(5)));
    assert_ne!(split, stratified_split(&labels, 3, 0.2, &mut ChaCha8Rng::seed_from_u64(6)));
    assert!(stratified_split(&labels, 3, 0.0, &mut ChaCha8Rng::seed_from_u64(5)).test.is_empty());
}

#[test]
fn a_split_never_takes_a_class_s_last_row() {
    // Class 1 has a single row: round(1·0.6) = 1 would leave it out of training.
    let split = stratified_split(&[0, 0, 0, 0, 0, 1], 2, 0.6, &mut ChaCha8Rng::seed_from_u64(0));
    assert!(split.train.contains(&5));
    assert_eq!(split.test.len(), 3); // round(5·0.6) = 3 of class 0
}

#[test]
fn standard_scaling_uses_the_population_deviation() {
    // Column [1, 2, 3, 6]: mean 3, population variance (4 + 1 + 0 + 9)/4 = 3.5.
    // A constant column gets divisor 1, as scikit-learn does.
    let names = ["a".to_string(), "b".to_string()];
    let s = Scaler::fit(ScaleKind::Standard, &array![[1.0, 7.0], [2.0, 7.0], [3.0, 7.0], [6.0, 7.0]], &names).unwrap();
    assert_eq!(s.offset, [3.0, 7.0]);
    assert_eq!(s.divisor, [3.5f64.sqrt(), 1.0]);
    let t = s.transform(&array![[6.0, 7.0]]);
    assert_eq!(t, array![[3.0 / 3.5f64.sqrt(), 0.0]]);
    // Min-max: (x − 1) / (6 − 1).
    let m = Scaler::fit(ScaleKind::Minmax, &array![[1.0], [6.0], [2.0]], &names[..1]).unwrap();
    assert_eq!(m.transform(&array![[2.0]]), array![[0.2]]);
}

#[test]
fn the_scaler_is_fitted_on_training_rows_only() {
    let iris = Dataset::iris();
    let p = iris.prepare(0.2, Some(ScaleKind::Standard), &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let scaler = p.scaler.unwrap();
    let train_rows = iris.select(&p.split.train);
    let n = train_rows.len() as f64;
    let mean0 = train_rows.features.column(0).sum() / n;
    assert!((scaler.offset[0] - mean0).abs() < 1e-12);
    // So the training part has mean 0 and population variance 1 in every column; the test part
    // in general does not.
    for col in p.train.features.columns() {
        let m = col.sum() / n;
        let v = col.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12, "{m} {v}");
    }
    assert_eq!(p.test.as_ref().unwrap().len(), 30);
    assert!(iris.prepare(1.0, None, &mut ChaCha8Rng::seed_from_u64(1)).is_err());
    assert!(iris.prepare(-0.1, None, &mut ChaCha8Rng::seed_from_u64(1)).is_err());
    assert!(iris.prepare(0.0, None, &mut ChaCha8Rng::seed_from_u64(1)).unwrap().test.is_none());
}

#[test]
fn a_scaler_from_a_file_is_checked() {
    let s = Scaler { kind: ScaleKind::Standard, offset: vec![0.0; 3], divisor: vec![1.0, 0.0, 1.0] };
    assert!(s.check(4).unwrap_err().contains("takes 4 inputs"));
    assert!(s.check(3).unwrap_err().contains("divisor 1"));
}

#[test]
fn prediction_reads_the_model_s_columns_by_name() {
    let (_dir, path) = csv("b,species,a\n2,x,1\n4,y,3\n");
    let names = vec!["a".to_string(), "b".to_string()];
    assert_eq!(read_features(&path, Some(&names), 2).unwrap(), array![[1.0, 2.0], [3.0, 4.0]]);
    let e = read_features(&path, Some(&["c".to_string()]), 1).unwrap_err().to_string();
    assert!(e.contains("column 'c'") && e.contains("the model needs this column"), "{e}");
    // Without names every column is a feature, so the label column is in the way.
    let e = read_features(&path, None, 2).unwrap_err().to_string();
    assert!(e.contains("has 3 columns but the model takes 2 inputs"), "{e}");
}

#[test]
fn prediction_refuses_a_header_that_names_a_column_twice() {
    // Reading `a` by name would take the first of the two `a` columns for both.
    let (_dir, path) = csv("a,b,a\n1,2,3\n");
    let names = vec!["a".to_string(), "b".to_string()];
    let e = read_features(&path, Some(&names), 2).unwrap_err().to_string();
    assert!(e.contains("data.csv, row 1, column 'a'") && e.contains("columns 1 and 3"), "{e}");
    assert!(read_features(&path, None, 3).is_err());
}

#[test]
fn a_column_too_large_to_scale_is_named() {
    // Column a = [1.7e308, −1.7e308, 1, −1]: mean 0, but (1.7e308)² > f64::MAX ≈ 1.798e308, so the
    // variance overflows to ∞ (a ∞ divisor cannot be written to a model file, JSON has no ∞).
    // Min-max: max − min = 3.4e308 > f64::MAX overflows too. Column b = [1, 2, 3, 4] is fine, and
    // comes first, so the message must pick out a.
    let d = read("b,a,label\n1,1.7e308,x\n2,-1.7e308,y\n3,1,x\n4,-1,y\n", None).unwrap();
    for (kind, cause) in [(ScaleKind::Standard, "the variance"), (ScaleKind::Minmax, "max − min")] {
        let e = d.prepare(0.0, Some(kind), &mut ChaCha8Rng::seed_from_u64(0)).unwrap_err().to_string();
        assert!(e.contains("column 'a'") && e.contains("too large to scale") && e.contains(cause), "{kind:?}: {e}");
    }
    // a = [1e308, 1e308]: the sum 2e308 > f64::MAX, so the mean (the offset) overflows.
    let d = read("a,label\n1e308,x\n1e308,y\n", None).unwrap();
    let e = d.prepare(0.0, Some(ScaleKind::Standard), &mut ChaCha8Rng::seed_from_u64(0)).unwrap_err().to_string();
    assert!(e.contains("column 'a'") && e.contains("mean"), "{e}");
    // Unscaled, the same table is prepared as it is.
    assert!(d.prepare(0.0, None, &mut ChaCha8Rng::seed_from_u64(0)).is_ok());
}

#[test]
fn taking_the_data_into_its_parts_gives_the_same_parts_as_copying() {
    // into_prepared keeps the training rows in the data's own buffer (moved forward in place);
    // prepare copies them. With the same draws both must give the same parts, scaler and split,
    // with and without a test part, scaled or not.
    for (fraction, scale) in
        [(0.2, Some(ScaleKind::Standard)), (0.0, Some(ScaleKind::Minmax)), (0.3, None), (0.0, None)]
    {
        let copied = Dataset::iris().prepare(fraction, scale, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        let moved = Dataset::iris().into_prepared(fraction, scale, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        assert_eq!(copied, moved, "test fraction {fraction}, {scale:?}");
        assert_eq!(moved.train.len() + moved.test.as_ref().map_or(0, Dataset::len), 150);
    }
}

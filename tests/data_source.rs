//! Where a run's rows come from (`gradlens::run::data`): the rules of naming data, checked once
//! in the library for the CLI and the Python binding, and arrays in memory read as the `.npz`
//! file holding them is.

use gradlens::Error;
use gradlens::data::{TargetKind, Targets};
use gradlens::error::Setting;
use gradlens::run::data::{DataOptions, DataSource, Reading};
use std::path::PathBuf;

fn setting_of(options: DataOptions) -> Setting {
    match options.source() {
        Err(Error::Invalid { setting, .. }) => setting,
        other => panic!("{options:?}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn options_that_do_not_go_together_are_refused_by_the_setting_at_fault() {
    let iris = DataOptions::default();
    // A .npy of targets beside a CSV, or beside Iris.
    let labels = Some(PathBuf::from("y.npy"));
    assert_eq!(
        setting_of(DataOptions { data: "t.csv".into(), labels: labels.clone(), ..iris.clone() }),
        Setting::LabelsFile
    );
    assert_eq!(setting_of(DataOptions { labels, ..iris.clone() }), Setting::LabelsFile);
    // A generated set has its own targets.
    assert_eq!(
        setting_of(DataOptions { data: "spiral".into(), label: Some("x1".into()), ..iris.clone() }),
        Setting::Data
    );
    // Iris's targets are classes, in its column 'species'.
    assert_eq!(setting_of(DataOptions { targets: Some(TargetKind::Values), ..iris.clone() }), Setting::Data);
    assert_eq!(setting_of(DataOptions { label: Some("petal_width".into()), ..iris.clone() }), Setting::Label);
    // numpy data keeps its targets in y: no column to name.
    assert_eq!(
        setting_of(DataOptions { data: "d.npz".into(), label: Some("y".into()), ..iris.clone() }),
        Setting::Label
    );
    // Arrays hold their targets themselves.
    let arrays = DataOptions { label: Some("y".into()), ..iris.clone() }
        .arrays(ndarray::Array2::zeros((1, 1)), Targets::integer_classes(vec![0]));
    assert!(matches!(arrays, Err(Error::Invalid { setting: Setting::Label, .. })), "{arrays:?}");
}

#[test]
fn each_name_gives_its_source() {
    let named = |data: &str| DataOptions { data: data.into(), ..DataOptions::default() }.source().unwrap();
    assert_eq!(named("iris"), DataSource::Iris);
    assert!(matches!(named("xor"), DataSource::Toy { points: 400, .. }), "the default size, 400 points");
    assert!(matches!(named("examples/iris.npz"), DataSource::Numpy { kind: TargetKind::Classes, .. }));
    assert!(matches!(named("examples/flowers.csv"), DataSource::Csv { .. }));
    // A generated set's size and noise are read by a generated set only.
    let csv =
        DataOptions { data: "examples/flowers.csv".into(), points: Some(9), noise: Some(0.1), ..Default::default() };
    assert_eq!(csv.unread(), [Setting::Points, Setting::Noise]);
    assert!(DataOptions { data: "xor".into(), points: Some(9), ..Default::default() }.unread().is_empty());
}

#[test]
fn arrays_read_as_the_npz_file_holding_them() {
    let reading = Reading::default();
    let file = DataOptions { data: "examples/iris.npz".into(), ..DataOptions::default() };
    let from_file = file.source().unwrap().load(0, &reading).unwrap();
    // The archive's y as numpy holds it: Iris's classes 0, 1, 2 as integers.
    let y: Vec<i64> = from_file.labels().unwrap().iter().map(|&c| c as i64).collect();
    let arrays = DataOptions::default().arrays(from_file.features.clone(), Targets::integer_classes(y)).unwrap();
    let from_arrays = arrays.load(0, &reading).unwrap();
    assert_eq!(from_arrays, from_file);
    // A value that is not finite is refused with its row and column (counting from 1).
    let mut x = from_file.features.clone();
    x[[4, 2]] = f64::NAN;
    let bad = DataOptions::default().arrays(x, from_file.target.clone()).unwrap().load(0, &reading);
    match bad {
        Err(Error::Data { row: Some(5), column: Some(column), .. }) => assert_eq!(column, "3"),
        other => panic!("row 5, column 3 expected: {other:?}"),
    }
}

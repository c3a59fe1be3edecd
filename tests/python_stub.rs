//! The Python package's type hints (`python/gradlens/__init__.pyi`) are written by hand: each
//! `Literal[...]` list of names must be the library's own list, so that a loss, an optimizer or
//! an activation added to the library cannot be forgotten there.

use gradlens::activation::Activation;
use gradlens::data::ScaleKind;
use gradlens::layers::Init;
use gradlens::loss::LOSS_NAMES;
use gradlens::train::TrainAccuracy;
use gradlens::update::OPTIMIZER_NAMES;

/// The names in every `keyword: Literal["a", "b"]` of the stub, one list per place it stands.
fn literals(stub: &str, keyword: &str) -> Vec<Vec<String>> {
    let start = format!("{keyword}: Literal[");
    stub.lines()
        .filter_map(|line| line.trim_start().strip_prefix(&start))
        .map(|rest| {
            let list = &rest[..rest.find(']').expect("a closed Literal[...]")];
            list.split(',').map(|name| name.trim().trim_matches('"').to_string()).collect()
        })
        .collect()
}

#[test]
fn the_stub_s_name_lists_are_the_library_s() {
    let stub = std::fs::read_to_string("python/gradlens/__init__.pyi").expect("the Python stub");
    let activations: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
    let lists: [(&str, &[&str]); 6] = [
        ("loss", &LOSS_NAMES),
        ("optimizer", &OPTIMIZER_NAMES),
        ("activation", &activations),
        ("init", &Init::NAMES),
        ("scale", &ScaleKind::NAMES),
        ("train_accuracy", &TrainAccuracy::NAMES),
    ];
    for (keyword, names) in lists {
        let found = literals(&stub, keyword);
        assert!(!found.is_empty(), "the stub has no `{keyword}: Literal[...]`");
        for list in found {
            assert_eq!(list, names, "the stub's `{keyword}` names");
        }
    }
    // `loss` stands in `explain` and in `train`: both are read.
    assert_eq!(literals(&stub, "loss").len(), 2);
}

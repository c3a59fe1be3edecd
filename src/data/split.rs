//! A seeded, stratified train/test split.

use rand::Rng;
use rand::seq::SliceRandom;

/// Row indices of each part, each in the data's own order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Row indices of the training part.
    pub train: Vec<usize>,
    /// Row indices of the test part.
    pub test: Vec<usize>,
}

/// Puts `round(count·test_fraction)` rows of every class, chosen at random, into the test part,
/// so each class is represented in both parts in the same proportion; but never a class's last
/// row, so the model sees every class in training. `test_fraction` is in [0, 1); 0 puts every
/// row into training.
pub fn stratified_split<R: Rng + ?Sized>(labels: &[usize], classes: usize, test_fraction: f64, rng: &mut R) -> Split {
    let mut test = Vec::new();
    for class in 0..classes {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.shuffle(rng);
        let n_test = ((rows.len() as f64 * test_fraction).round() as usize).min(rows.len().saturating_sub(1));
        test.extend_from_slice(&rows[..n_test]);
    }
    test.sort_unstable();
    let train = (0..labels.len()).filter(|i| test.binary_search(i).is_err()).collect();
    Split { train, test }
}

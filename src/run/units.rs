//! Pictures of a model over a plane of two features, on a grid of points given in the data's own
//! units: every unit's output (TensorFlow Playground's picture: each hidden unit's output, and
//! each output's) and a classifier's decision map (its class and how sure it is). The model sees
//! the points as it saw its training rows, through its scaler; the other features are held at
//! one value each (the page holds them at the training rows' mean).
//!
//! # Shapes
//! A map is `cells`×`cells`, row j from the bottom (y increasing), column i from the left.

use crate::data::Scaler;
use crate::engine::hand::{forward, output_of};
use crate::error::{Error, Result, Setting, shape};
use crate::model::{Model, ModelLayer};
use crate::predict::{classes, log_probabilities, outputs};
use crate::run::predict::{Reading, by_threshold};
use ndarray::{Array2, Axis};
use serde::Serialize;

/// The most cells a side of a map may have: a 2-16-16-2 model's 34 maps of 64×64 are 139,264
/// numbers.
pub const MAX_CELLS: usize = 64;

/// Where the maps are drawn: features `fx` (→) and `fy` (↑) over `x` and `y`, in data units, the
/// others at `held`, on `cells`×`cells` points (each cell's centre).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plane {
    /// The feature across, a column index.
    pub fx: usize,
    /// The feature up.
    pub fy: usize,
    /// `fx`'s range, from the left edge of the first cell to the right edge of the last.
    pub x: [f64; 2],
    /// `fy`'s range.
    pub y: [f64; 2],
    /// Every feature's value at every point (`fx`'s and `fy`'s are replaced by the grid's).
    pub held: Vec<f64>,
    /// Cells per side.
    pub cells: usize,
}

impl Plane {
    /// A plane around `rows` (data units): `fx` and `fy` over their range, widened by 5% on
    /// each side, the others at their mean over `rows`.
    ///
    /// # Shapes
    /// `rows`: m×n, m ≥ 1.
    pub fn around(rows: &Array2<f64>, fxy: (usize, usize), cells: usize) -> Result<Plane> {
        Plane::spanning(rows, &[], fxy, cells)
    }

    /// [`Plane::around`] `held`, its ranges widened to take in the rows of `also` too: a run's
    /// decision map holds the other features at the training rows' mean and shows the test rows
    /// on it as well.
    ///
    /// # Shapes
    /// `held`: m×n, m ≥ 1; each of `also`: any number of rows × n.
    pub fn spanning(
        held: &Array2<f64>,
        also: &[&Array2<f64>],
        (fx, fy): (usize, usize),
        cells: usize,
    ) -> Result<Plane> {
        let n = held.ncols();
        if fx >= n || fy >= n || fx == fy {
            let why = format!("two different features from 0 to {}", n.saturating_sub(1));
            return Err(Error::invalid_value(Setting::Plot, format!("features {fx} and {fy}"), why));
        }
        if let Some(other) = also.iter().find(|a| a.ncols() != n) {
            return Err(Error::Shape {
                op: "plane",
                detail: format!("rows of {} and of {} features on one plane", n, other.ncols()),
            });
        }
        let mean = held.mean_axis(Axis(0)).ok_or_else(|| Error::invalid_value(Setting::Plot, "0 rows", "no rows"))?;
        let range = |f: usize| {
            let (lo, hi) = std::iter::once(held)
                .chain(also.iter().copied())
                .flat_map(|rows| rows.column(f).to_vec())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
            let pad = ((hi - lo) * 0.05).max(1e-9);
            [lo - pad, hi + pad]
        };
        Ok(Plane { fx, fy, x: range(fx), y: range(fy), held: mean.to_vec(), cells })
    }

    /// Where `rows` (data units) fall on the plane, each with its class if the rows have
    /// classes, and the part of the data (`train`, `test`) it is from.
    ///
    /// # Shapes
    /// `rows`: m×n; `classes`: m.
    pub fn place(&self, rows: &Array2<f64>, classes: Option<&[usize]>, part: &'static str) -> Vec<Point> {
        (0..rows.nrows())
            .map(|r| Point { x: rows[[r, self.fx]], y: rows[[r, self.fy]], class: classes.map(|c| c[r]), part })
            .collect()
    }

    /// The centres of the cells along one side of `range`.
    fn centres(&self, [lo, hi]: [f64; 2]) -> Vec<f64> {
        (0..self.cells).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / self.cells as f64).collect()
    }

    /// Every point of the grid as a row of features (data units), row j·cells + i.
    fn points(&self) -> Array2<f64> {
        let (xs, ys) = (self.centres(self.x), self.centres(self.y));
        let mut grid = Array2::zeros((self.cells * self.cells, self.held.len()));
        for (j, &y) in ys.iter().enumerate() {
            for (i, &x) in xs.iter().enumerate() {
                let mut row = grid.row_mut(j * self.cells + i);
                row.assign(&ndarray::ArrayView1::from(&self.held));
                row[self.fx] = x;
                row[self.fy] = y;
            }
        }
        grid
    }

    /// The grid's points as the model sees them: through `scaler`, as its training rows were.
    fn seen_by(&self, scaler: Option<&Scaler>) -> Array2<f64> {
        let mut points = self.points();
        if let Some(s) = scaler {
            s.apply(&mut points);
        }
        points
    }
}

/// Rows in the data's own units, from rows as the model sees them (`scaler` undone): a learner
/// reads "petal length 4.5 cm", not "0.6 standard deviations".
///
/// # Shapes
/// m×n → m×n.
pub fn in_data_units(seen: &Array2<f64>, scaler: Option<&Scaler>) -> Array2<f64> {
    scaler.map_or_else(|| seen.clone(), |s| s.invert(seen))
}

/// A row on a plane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Its feature `fx`, in data units.
    pub x: f64,
    /// Its feature `fy`.
    pub y: f64,
    /// Its class, if the rows have classes.
    pub class: Option<usize>,
    /// The part of the data it is from: `train` or `test`.
    pub part: &'static str,
}

/// A classifier's class over a plane, and how sure it is: where its decision boundaries lie.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionMap {
    /// Where it is drawn.
    pub plane: Plane,
    /// `class[j][i]`: the most probable class at cell (i, j).
    pub class: Vec<Vec<usize>>,
    /// `probability[j][i]`: that class's probability.
    pub probability: Vec<Vec<f64>>,
}

/// Every unit's map.
#[derive(Debug, Clone, Serialize)]
pub struct UnitMaps {
    /// Where they are drawn.
    pub plane: Plane,
    /// One entry per hidden layer (the input of every dense layer but the first), in order.
    pub hidden: Vec<LayerMaps>,
    /// The model's outputs ŷ (the probabilities, after a softmax).
    pub output: LayerMaps,
}

/// One layer's units.
#[derive(Debug, Clone, Serialize)]
pub struct LayerMaps {
    /// The index in the model of the layer whose output this is.
    pub layer: usize,
    /// `units[k][j][i]`: unit k's output at cell (i, j).
    pub units: Vec<Vec<Vec<f64>>>,
}

/// The class at each point of `plane` and its probability, by the rule `predict` reads the
/// model's outputs with ([`Reading`]): a softmax or log-softmax model's most probable class (the
/// softmax of the output layer's input, through log-sum-exp); a one-output sigmoid model's
/// class by its threshold, its output (or 1 − output) the probability; any other model's largest
/// output, shaded by the softmax of its outputs. The model sees each point through `scaler` as
/// it saw its training rows.
pub fn decision_map(model: &Model, scaler: Option<&Scaler>, plane: &Plane) -> Result<DecisionMap> {
    check(model, plane, "decision map")?;
    let points = plane.seen_by(scaler);
    let best: Vec<(usize, f64)> = match Reading::of(model) {
        Reading::Threshold => outputs(model, &points)?.column(0).iter().map(|&y| by_threshold(y)).collect(),
        Reading::Probabilities | Reading::Largest => {
            let log_p = log_probabilities(model, &points)?;
            classes(&log_p).into_iter().enumerate().map(|(r, k)| (k, log_p[[r, k]].exp())).collect()
        }
    };
    let class = best.chunks(plane.cells).map(|row| row.iter().map(|b| b.0).collect()).collect();
    let probability = best.chunks(plane.cells).map(|row| row.iter().map(|b| b.1).collect()).collect();
    Ok(DecisionMap { plane: plane.clone(), class, probability })
}

/// Why `model` cannot be drawn over `plane`, if it cannot: too many cells, or not as many
/// features as the model's inputs.
fn check(model: &Model, plane: &Plane, op: &'static str) -> Result<()> {
    if plane.cells == 0 || plane.cells > MAX_CELLS {
        return Err(Error::invalid_value(Setting::Plot, plane.cells, format!("cells per side: 1 to {MAX_CELLS}")));
    }
    if plane.held.len() != model.in_width() || plane.fx.max(plane.fy) >= model.in_width() {
        return Err(Error::Shape {
            op,
            detail: format!(
                "{} features (map over {} and {}) but the model takes {} inputs",
                plane.held.len(),
                plane.fx,
                plane.fy,
                model.in_width()
            ),
        });
    }
    Ok(())
}

/// Every hidden unit's and every output's value over `plane`, the model seeing each point
/// through `scaler` as it saw its training rows.
pub fn unit_maps(model: &Model, scaler: Option<&Scaler>, plane: &Plane) -> Result<UnitMaps> {
    check(model, plane, "unit maps")?;
    let mut outs = forward(model, &plane.seen_by(scaler))?;
    let last = outs.len() - 1;
    let as_maps = |layer: usize, values: &Array2<f64>| LayerMaps {
        layer,
        units: values
            .columns()
            .into_iter()
            .map(|col| col.to_vec().chunks(plane.cells).map(<[f64]>::to_vec).collect())
            .collect(),
    };
    // A hidden layer's units are what the next dense layer reads.
    let hidden = (0..last)
        .filter(|&i| matches!(model.layers[i + 1], ModelLayer::Dense { .. }))
        .map(|i| as_maps(i, &outs[i]))
        .collect();
    let logits = outs.pop().expect("a model has a layer");
    let output = output_of(model, logits);
    if output.iter().any(|v| !v.is_finite()) {
        return Err(Error::Shape {
            op: "unit maps",
            detail: format!("the outputs {} are not finite", shape(output.dim())),
        });
    }
    Ok(UnitMaps { plane: plane.clone(), hidden, output: as_maps(model.layers.len() - 1, &output) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::data::ScaleKind;
    use ndarray::array;

    /// 2 inputs → 2 tanh units → 2 softmax outputs; a scaler mapping x' = (x − 1)/2; x over
    /// [0, 4], y over [−2, 2], 2 cells: centres x ∈ {1, 3}, y ∈ {−1, 1}.
    fn by_hand() -> (Model, Scaler, Plane) {
        let model = Model::builder()
            .dense_with_bias(array![[0.5, -1.0], [2.0, 0.25]], &[0.1, -0.2])
            .activation(Activation::Tanh)
            .dense_with_bias(array![[1.0, -1.0], [-1.0, 1.0]], &[0.0, 0.0])
            .softmax()
            .build()
            .unwrap();
        let scaler = Scaler { kind: ScaleKind::Standard, offset: vec![1.0, 1.0], divisor: vec![2.0, 2.0] };
        let plane = Plane { fx: 0, fy: 1, x: [0.0, 4.0], y: [-2.0, 2.0], held: vec![9.0, 9.0], cells: 2 };
        (model, scaler, plane)
    }

    #[test]
    fn a_unit_by_hand_in_data_units() {
        let (model, scaler, plane) = by_hand();
        let maps = unit_maps(&model, Some(&scaler), &plane).unwrap();
        assert_eq!(maps.hidden.len(), 1);
        assert_eq!(maps.hidden[0].layer, 1);
        let h = &maps.hidden[0].units;
        // Cell (i = 1, j = 0): x = 3, y = −1 → x' = (3 − 1)/2 = 1, y' = (−1 − 1)/2 = −1.
        // Unit 1: tanh(0.5·1 − 1·(−1) + 0.1) = tanh(1.6) = 0.92166855 (tanh by hand:
        // (e^3.2 − 1)/(e^3.2 + 1) = (24.53253 − 1)/(24.53253 + 1) = 0.9216686).
        assert!((h[0][0][1] - 1.6f64.tanh()).abs() < 1e-15);
        assert!((h[0][0][1] - 0.9216686).abs() < 1e-7);
        // Unit 2: tanh(2·1 + 0.25·(−1) − 0.2) = tanh(1.55) = 0.91379... ((e^3.1 − 1)/(e^3.1 + 1)
        // = (22.19795 − 1)/(22.19795 + 1) = 0.9137854).
        assert!((h[1][0][1] - 0.9137854).abs() < 1e-7);
        // Cell (0, 1): x = 1, y = 1 → x' = 0, y' = 0: unit 1 = tanh(0.1), unit 2 = tanh(−0.2).
        assert!((h[0][1][0] - 0.1f64.tanh()).abs() < 1e-15);
        assert!((h[1][1][0] - (-0.2f64).tanh()).abs() < 1e-15);
        // The output at (1, 0): logits z₁ = a₁ − a₂, z₂ = a₂ − a₁, so ŷ₁ = 1/(1 + e^(2(a₂ − a₁)))
        // = 1/(1 + e^(2·(0.9137854 − 0.9216686))) = 1/(1 + e^(−0.0157664)) = 0.5039415.
        let o = &maps.output.units;
        assert!((o[0][0][1] - 0.5039415).abs() < 1e-7, "{}", o[0][0][1]);
        assert!((o[0][0][1] + o[1][0][1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn a_decision_map_by_hand_in_data_units() {
        // The model and plane [`by_hand`]: at cell (1, 0) the hidden units
        // are a₁ = tanh(1.6) = 0.9216686, a₂ = tanh(1.55) = 0.9137854, and the softmax gives
        // ŷ₁ = 1/(1 + e^(2(a₂ − a₁))) = 0.5039415 > ŷ₂: class 0, probability 0.5039415.
        // At cell (0, 1), x' = y' = 0: a₁ = tanh(0.1) = 0.0996680, a₂ = tanh(−0.2) = −0.1973753,
        // ŷ₂ = 1/(1 + e^(2(a₁ − a₂))) = 1/(1 + e^0.5940866) = 0.3556977 < ŷ₁: class 0,
        // probability 1 − 0.3556977 = 0.6443023.
        let (model, scaler, plane) = by_hand();
        let map = decision_map(&model, Some(&scaler), &plane).unwrap();
        assert_eq!(map.class[0][1], 0);
        assert!((map.probability[0][1] - 0.5039415).abs() < 1e-7, "{}", map.probability[0][1]);
        assert_eq!(map.class[1][0], 0);
        assert!((map.probability[1][0] - 0.6443023).abs() < 1e-7, "{}", map.probability[1][0]);
        // Cell (0, 0): x = 1, y = −1 → x' = 0, y' = −1: a₁ = tanh(1.1) = 0.8005, a₂ = tanh(−0.45)
        // = −0.4219, so ŷ₁ > ŷ₂ again; cell (1, 1): x' = 1, y' = 0: a₁ = tanh(0.6) = 0.5370,
        // a₂ = tanh(1.8) = 0.9468, a₂ > a₁: class 1.
        assert_eq!(map.class, vec![vec![0, 0], vec![0, 1]]);
        let wide = Plane { cells: MAX_CELLS + 1, ..plane };
        assert!(decision_map(&model, Some(&scaler), &wide).is_err());
    }

    #[test]
    fn a_one_output_sigmoid_map_by_its_threshold_by_hand() {
        // 2 inputs → 1 sigmoid output: ŷ = σ(x + 0.5·y − 2), no scaler; x over [0, 4], y over
        // [−2, 2], 2 cells: centres x ∈ {1, 3}, y ∈ {−1, 1}. σ(z) = 1/(1 + e^(−z)) by hand:
        // (0, 0): z = 1 − 0.5 − 2 = −1.5, ŷ = 1/(1 + 4.4816891) = 0.1824255 < 0.5: class 0,
        //         probability 1 − 0.1824255 = 0.8175745.
        // (1, 0): z = 3 − 0.5 − 2 = 0.5, ŷ = 1/(1 + 0.6065307) = 0.6224593 ≥ 0.5: class 1, 0.6224593.
        // (0, 1): z = 1 + 0.5 − 2 = −0.5, ŷ = 0.3775407: class 0, 1 − 0.3775407 = 0.6224593.
        // (1, 1): z = 3 + 0.5 − 2 = 1.5, ŷ = 0.8175745: class 1, 0.8175745.
        // (A softmax of the one output would say class 0 with probability 1 everywhere.)
        let model = Model::builder()
            .dense_with_bias(array![[1.0, 0.5]], &[-2.0])
            .activation(Activation::Sigmoid)
            .build()
            .unwrap();
        let plane = Plane { fx: 0, fy: 1, x: [0.0, 4.0], y: [-2.0, 2.0], held: vec![0.0, 0.0], cells: 2 };
        let map = decision_map(&model, None, &plane).unwrap();
        assert_eq!(map.class, vec![vec![0, 1], vec![0, 1]]);
        let expected = [[0.8175745, 0.6224593], [0.6224593, 0.8175745]];
        for (j, row) in expected.iter().enumerate() {
            for (i, &p) in row.iter().enumerate() {
                assert!((map.probability[j][i] - p).abs() < 1e-7, "({i}, {j}): {}", map.probability[j][i]);
            }
        }
        // At the threshold itself, σ(0) = 0.5: class 1, as `predict` says.
        assert_eq!(by_threshold(0.5), (1, 0.5));
    }

    #[test]
    fn a_plane_spanning_more_rows_and_the_rows_on_it() {
        // Held at the mean of the first rows only; ranges over both sets of rows.
        let train = array![[0.0, 10.0], [2.0, 20.0]];
        let test = array![[4.0, 15.0]];
        let p = Plane::spanning(&train, &[&test], (0, 1), 4).unwrap();
        // x from 0 to 4, padded by 5% of 4 = 0.2; y from 10 to 20, padded by 0.5.
        assert_eq!(p.x, [-0.2, 4.2]);
        assert_eq!(p.y, [9.5, 20.5]);
        assert_eq!(p.held, vec![1.0, 15.0]);
        assert!(Plane::spanning(&train, &[&array![[1.0]]], (0, 1), 4).is_err());
        let placed = p.place(&test, Some(&[1]), "test");
        assert_eq!(placed, vec![Point { x: 4.0, y: 15.0, class: Some(1), part: "test" }]);
        assert_eq!(p.place(&train, None, "train")[1].class, None);
    }

    #[test]
    fn the_plane_around_rows_and_its_refusals() {
        let rows = array![[0.0, 10.0, 5.0], [2.0, 20.0, 7.0]];
        let p = Plane::around(&rows, (0, 2), 8).unwrap();
        // x from 0 to 2, widened by 5% of 2 each side; the held feature 1 at its mean 15.
        assert_eq!(p.x, [-0.1, 2.1]);
        assert!((p.y[0] - 4.9).abs() < 1e-12 && (p.y[1] - 7.1).abs() < 1e-12);
        assert_eq!(p.held, vec![1.0, 15.0, 6.0]);
        assert!(Plane::around(&rows, (1, 1), 8).is_err());
        assert!(Plane::around(&rows, (0, 3), 8).is_err());
        let model = Model::builder().dense(array![[1.0, 1.0, 1.0]], None).build().unwrap();
        let big = Plane { cells: MAX_CELLS + 1, ..p.clone() };
        assert!(unit_maps(&model, None, &big).is_err());
        let narrow = Plane { held: vec![0.0, 0.0], fy: 1, ..p };
        assert!(unit_maps(&model, None, &narrow).is_err());
    }
}

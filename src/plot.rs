//! Charts of a training run, drawn with plotters as SVG or PNG bytes (the caller writes them):
//! - [`training_curves`]: the loss and the accuracies per epoch;
//! - [`weight_paths`]: weights and biases over the epochs, one panel per dense layer (at most
//!   [`MAX_SERIES`] lines, those that moved most), each line named in the blog's notation
//!   (`W[1,2] setosa ← sepal_width`: row 1 of W, the weights into class 1, column 2, the weight
//!   of feature 2).
//!
//! Text needs a font even in SVG (plotters measures labels to lay them out). DejaVu Sans comes
//! from the `dejavu` crate and is compiled in, so a machine without system fonts draws the same
//! charts. A PNG is the SVG rasterised by resvg with that font.

use crate::error::{Error, Result, Setting};
use crate::model::Model;
use crate::train::EpochStats;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// The family every chart's text uses, registered once with DejaVu Sans.
const FONT: &str = "sans-serif";

/// The image format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics.
    Svg,
    /// A bitmap.
    Png,
}

impl ImageFormat {
    /// The format a file name asks for: `.svg` or `.png`, any case.
    pub fn from_path(path: &Path) -> Option<ImageFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(ImageFormat::Svg),
            "png" => Some(ImageFormat::Png),
            _ => None,
        }
    }
}

/// One line of [`weight_paths`]: a parameter's value at epoch 0 (before training), 1, 2, ….
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The line's name in the legend.
    pub label: String,
    /// One value per epoch.
    pub values: Vec<f64>,
}

/// One dense layer's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// What the panel shows.
    pub title: String,
    /// Its lines.
    pub series: Vec<Series>,
    /// Epochs between two values of a series (1: every epoch; more when a long run is sampled).
    pub every: usize,
}

/// The most lines one panel of [`weight_paths`] draws.
pub const MAX_SERIES: usize = 24;

/// The weight paths of `model`'s dense layers, from `history[e]`, the parameters after epoch
/// `e` flattened as `Params::to_flat` lays them (epoch 0: before training). `features` name the
/// first layer's inputs and `classes` the last layer's outputs; hidden units are h1, h2, ….
///
/// # Panics
/// If a snapshot's length differs from the model's parameter count: a caller's bug.
pub fn weight_panels(model: &Model, history: &[Vec<f64>], features: &[String], classes: &[String]) -> Vec<Panel> {
    let dense: Vec<_> = model.dense_layers().collect();
    let total = model.param_count();
    assert!(history.iter().all(|h| h.len() == total), "every snapshot holds every parameter");
    let mut offset = 0;
    let mut panels = Vec::new();
    for (d, (_, w, b)) in dense.iter().enumerate() {
        let (out, inp) = w.dim();
        let name = |names: &[String], i: usize, prefix: &str| match names.get(i) {
            Some(n) => n.clone(),
            None => format!("{prefix}{}", i + 1),
        };
        let in_name = |j: usize| if d == 0 { name(features, j, "x") } else { format!("h{}", j + 1) };
        let out_name = |i: usize| if d + 1 == dense.len() { name(classes, i, "class ") } else { format!("h{}", i + 1) };
        let layer = if dense.len() == 1 { String::new() } else { (d + 1).to_string() };
        let path = |k: usize| history.iter().map(|h| h[k]).collect::<Vec<f64>>();
        let mut series = Vec::with_capacity(out * inp + out);
        for i in 0..out {
            for j in 0..inp {
                series.push(Series {
                    label: format!("W{layer}[{},{}] {} ← {}", i + 1, j + 1, out_name(i), in_name(j)),
                    values: path(offset + i * inp + j),
                });
            }
        }
        offset += out * inp;
        if b.is_some() {
            for i in 0..out {
                series.push(Series { label: format!("b{layer}[{}] {}", i + 1, out_name(i)), values: path(offset + i) });
            }
            offset += out;
        }
        // Past a few dozen lines a panel is a blur: keep those that moved most over the run.
        let all = series.len();
        if all > MAX_SERIES {
            let moved = |s: &Series| match (s.values.first(), s.values.last()) {
                (Some(a), Some(b)) => (b - a).abs(),
                _ => 0.0,
            };
            series.sort_by(|a, b| moved(b).total_cmp(&moved(a)));
            series.truncate(MAX_SERIES);
        }
        let what = if b.is_some() { "weights and biases" } else { "weights" };
        let what = if all > MAX_SERIES {
            format!("the {MAX_SERIES} of {all} {what} that moved most")
        } else {
            what.to_string()
        };
        let title = if dense.len() == 1 {
            format!("Dense layer {inp} → {out}: {what} after each epoch")
        } else {
            format!("Dense layer {} of {} ({inp} → {out}): {what} after each epoch", d + 1, dense.len())
        };
        panels.push(Panel { title, series, every: 1 });
    }
    panels
}

/// Loss (top) and accuracy (bottom) per epoch. `loss_unit` is how the loss is measured
/// ("nats", "bits", "log base 10").
pub fn training_curves(epochs: &[EpochStats], loss_unit: &str, format: ImageFormat) -> Result<Vec<u8>> {
    render(format, (1000, 760), &Chart::Curves(epochs, loss_unit))
}

/// Every parameter's path, one panel per dense layer.
pub fn weight_paths(panels: &[Panel], format: ImageFormat) -> Result<Vec<u8>> {
    let height = 470 * panels.len().max(1) as u32;
    render(format, (1200, height), &Chart::Weights(panels))
}

type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// What to draw, on whichever backend.
enum Chart<'a> {
    Curves(&'a [EpochStats], &'a str),
    Weights(&'a [Panel]),
}

impl Chart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<DB> {
        match self {
            Chart::Curves(epochs, unit) => draw_curves(root, epochs, unit),
            Chart::Weights(panels) => draw_weights(root, panels),
        }
    }
}

/// Draws `chart` on a white canvas of `size` in `format`, and returns the file's bytes.
fn render(format: ImageFormat, size: (u32, u32), chart: &Chart) -> Result<Vec<u8>> {
    register_font()?;
    let fail = |e: String| Error::invalid(Setting::Plot, e);
    match format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                chart.draw(root.clone()).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            Ok(svg.into_bytes())
        }
        // The PNG is the SVG rasterised by resvg, whose text layout keeps letter spacing (the
        // bitmap backend's glyph placement drops each glyph's side bearing: "testloss").
        ImageFormat::Png => {
            let svg = render(ImageFormat::Svg, size, chart)?;
            let mut options = resvg::usvg::Options::default();
            let fonts = options.fontdb_mut();
            fonts.load_font_data(dejavu::sans::regular().to_vec());
            fonts.set_sans_serif_family("DejaVu Sans");
            let tree = resvg::usvg::Tree::from_data(&svg, &options).map_err(|e| fail(format!("SVG to PNG: {e}")))?;
            let mut pixmap =
                resvg::tiny_skia::Pixmap::new(size.0, size.1).ok_or_else(|| fail("an empty image".into()))?;
            pixmap.fill(resvg::tiny_skia::Color::WHITE);
            resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
            let rgb: Vec<u8> = pixmap.pixels().iter().flat_map(|p| [p.red(), p.green(), p.blue()]).collect();
            encode_png(&rgb, size).map_err(|e| fail(format!("PNG encoding: {e}")))
        }
    }
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok =
        *DONE.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok());
    if ok { Ok(()) } else { Err(Error::invalid(Setting::Plot, "the embedded DejaVu Sans font does not load")) }
}

/// tab10's colours, then tab20's light ones: distinct enough for the blog's 15 lines.
const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(152, 223, 138),
    RGBColor(255, 152, 150),
    RGBColor(197, 176, 213),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(199, 199, 199),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
];

fn colour(i: usize) -> RGBColor {
    match PALETTE.get(i) {
        Some(c) => *c,
        None => {
            let c = Palette99::pick(i).to_rgba();
            RGBColor(c.0, c.1, c.2)
        }
    }
}

/// [lo, hi] of the finite values, widened a little, and never empty.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.5 };
    (lo - pad, hi + pad)
}

fn points(values: impl Iterator<Item = f64>, first_epoch: usize) -> Vec<(f64, f64)> {
    values.enumerate().filter(|(_, v)| v.is_finite()).map(|(e, v)| ((e + first_epoch) as f64, v)).collect()
}

fn draw_curves<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, epochs: &[EpochStats], unit: &str) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let last = epochs.len().max(2) as f64;
    // Values (regression) have no accuracy: the loss takes the whole picture.
    let accuracy = epochs.iter().any(|e| e.train_accuracy.is_some());
    let (top, bottom) = root.split_vertically(if accuracy { root.dim_in_pixel().1 / 2 } else { root.dim_in_pixel().1 });

    let (lo, hi) = range(epochs.iter().flat_map(|e| [Some(e.loss), e.test_loss]).flatten());
    let mut chart = ChartBuilder::on(&top)
        .caption(format!("Loss per epoch (mean of the batch losses, {unit})"), (FONT, 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1.0..last, lo..hi)?;
    mesh(&mut chart, "epoch", &format!("loss ({unit})"))?;
    chart
        .draw_series(LineSeries::new(points(epochs.iter().map(|e| e.loss), 1), colour(0).stroke_width(2)))?
        .label("training loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(0).stroke_width(2)));
    if epochs.iter().any(|e| e.test_loss.is_some()) {
        let test = points(epochs.iter().map(|e| e.test_loss.unwrap_or(f64::NAN)), 1);
        chart
            .draw_series(LineSeries::new(test, colour(2).stroke_width(2)))?
            .label("test loss (after the epoch)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(2).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    if !accuracy {
        return Ok(());
    }

    let mut chart = ChartBuilder::on(&bottom)
        .caption("Accuracy after each epoch", (FONT, 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1.0..last, 0.0..1.05)?;
    mesh(&mut chart, "epoch", "accuracy")?;
    chart
        .draw_series(LineSeries::new(
            points(epochs.iter().map(|e| e.train_accuracy.unwrap_or(f64::NAN)), 1),
            colour(1).stroke_width(2),
        ))?
        .label("training rows")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(1).stroke_width(2)));
    if epochs.iter().any(|e| e.test_accuracy.is_some()) {
        let test = points(epochs.iter().map(|e| e.test_accuracy.unwrap_or(f64::NAN)), 1);
        chart
            .draw_series(LineSeries::new(test, colour(2).stroke_width(2)))?
            .label("test rows")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(2).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Axes with whole epochs on x and a light grid, so the lines stand out.
fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x: &str,
    y: &str,
) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(y)
        .x_label_formatter(&|e| if e.fract() == 0.0 { format!("{e:.0}") } else { format!("{e:.1}") })
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()
}

/// Legend rows that fit beside a panel; past them the legend says how many it leaves out.
const LEGEND_ROW: u32 = 17;

fn draw_weights<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, panels: &[Panel]) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    for (panel, area) in panels.iter().zip(areas) {
        let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - 300);
        let every = panel.every.max(1);
        let epochs = (panel.series.first().map_or(1, |s| s.values.len().saturating_sub(1)).max(1) * every) as f64;
        let (lo, hi) = range(panel.series.iter().flat_map(|s| s.values.iter().copied()));
        let mut chart = ChartBuilder::on(&plot)
            .caption(&panel.title, (FONT, 20))
            .margin(12)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..epochs, lo..hi)?;
        mesh(&mut chart, "epoch (0 = before training)", "value")?;
        for (i, s) in panel.series.iter().enumerate() {
            let at_epochs = points(s.values.iter().copied(), 0).into_iter().map(|(x, y)| (x * every as f64, y));
            chart.draw_series(LineSeries::new(at_epochs, colour(i).stroke_width(2)))?;
        }

        let rows = ((legend.dim_in_pixel().1.saturating_sub(50)) / LEGEND_ROW) as usize;
        let shown = if panel.series.len() > rows { rows.saturating_sub(1) } else { panel.series.len() };
        for (i, s) in panel.series.iter().take(shown).enumerate() {
            let y = 45 + i as i32 * LEGEND_ROW as i32;
            legend.draw(&PathElement::new(vec![(4, y), (28, y)], colour(i).stroke_width(3)))?;
            legend.draw(&Text::new(s.label.clone(), (34, y - 7), (FONT, 13)))?;
        }
        if shown < panel.series.len() {
            let y = 45 + shown as i32 * LEGEND_ROW as i32;
            legend.draw(&Text::new(
                format!("… and {} more (not labelled)", panel.series.len() - shown),
                (34, y - 7),
                (FONT, 13),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Dense, Params, Softmax, Tanh, serial};
    use ndarray::array;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn weight_labels_follow_the_flat_layout() {
        // W is 2×2 with a bias: to_flat lays out W11, W12, W21, W22, b1, b2.
        let model = Model::new(
            serial([Dense(2), Softmax]),
            Params::Serial(vec![
                Params::Dense { w_out_in: array![[1.0, 2.0], [3.0, 4.0]], b: Some(array![[5.0, 6.0]]) },
                Params::None,
            ]),
        )
        .unwrap();
        let history = vec![model.params().to_flat(), vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]];
        let panels = weight_panels(&model, &history, &names(&["a", "b"]), &names(&["yes", "no"]));
        assert_eq!(panels.len(), 1);
        let labels: Vec<&str> = panels[0].series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["W[1,1] yes ← a", "W[1,2] yes ← b", "W[2,1] no ← a", "W[2,2] no ← b", "b[1] yes", "b[2] no"]
        );
        assert_eq!(panels[0].series[1].values, vec![2.0, 20.0]);
        assert_eq!(panels[0].series[5].values, vec![6.0, 60.0]);
    }

    #[test]
    fn hidden_units_are_named_and_layers_numbered() {
        let model = Model::new(
            serial([Dense(2).without_bias(), Tanh, Dense(2).without_bias(), Softmax]),
            Params::Serial(vec![
                Params::Dense { w_out_in: array![[1.0], [2.0]], b: None },
                Params::None,
                Params::Dense { w_out_in: array![[3.0, 4.0], [5.0, 6.0]], b: None },
                Params::None,
            ]),
        )
        .unwrap();
        let panels = weight_panels(&model, &[model.params().to_flat()], &names(&["x"]), &names(&["p", "q"]));
        assert_eq!(panels[0].series[1].label, "W1[2,1] h2 ← x");
        assert_eq!(panels[1].series[1].label, "W2[1,2] p ← h2");
        assert_eq!(panels[1].series[1].values, vec![4.0]);
    }

    #[test]
    fn both_formats_draw() {
        let epochs: Vec<EpochStats> = (1..=5)
            .map(|e| EpochStats {
                epoch: e,
                loss: 1.0 / e as f64,
                train_accuracy: Some(0.5),
                test_accuracy: Some(0.4),
                test_loss: Some(1.5 / e as f64),
            })
            .collect();
        let svg = training_curves(&epochs, "nats", ImageFormat::Svg).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("Accuracy after each epoch"));
        let png = training_curves(&epochs, "nats", ImageFormat::Png).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(ImageFormat::from_path(Path::new("a/b.PNG")), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::from_path(Path::new("a/b.jpg")), None);
    }
}

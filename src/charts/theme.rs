//! One look for every chart: the bundled DejaVu Sans (no system fonts needed, identical PNGs on
//! every machine), the Okabe-Ito colour-blind-safe palette, and text sizes scaled to the image.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::register_font;

pub const FONT: &str = "sans-serif";

/// Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(240, 228, 66),  // yellow
];
pub const INK: RGBColor = RGBColor(33, 33, 33);
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);

static FONTS: Once = Once::new();

/// Registers the bundled fonts with plotters (once per process).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        // Both files are compiled in and known-good; a failure here is a build defect.
        assert!(
            register_font(FONT, FontStyle::Normal, regular).is_ok(),
            "bundled DejaVuSans.ttf is a valid font"
        );
        assert!(
            register_font(FONT, FontStyle::Bold, bold).is_ok(),
            "bundled DejaVuSans-Bold.ttf is a valid font"
        );
    });
}

/// Text sizes for an image `height` pixels tall (tuned at 1080 for slides).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub title: u32,
    pub label: u32,
    pub tick: u32,
    pub value: u32,
    pub margin: u32,
}

impl Sizes {
    pub fn for_height(height: u32) -> Self {
        let s = |px: f64| ((px * height as f64 / 1080.0).round() as u32).max(8);
        Self {
            title: s(46.0),
            label: s(32.0),
            tick: s(26.0),
            value: s(24.0),
            margin: s(30.0),
        }
    }
}

/// A chart builder with the report's caption, margins and label areas.
pub fn chart_builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    sizes: Sizes,
    x_label_lines: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(
            title,
            (FONT, sizes.title)
                .into_font()
                .style(FontStyle::Bold)
                .color(&INK),
        )
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * x_label_lines)
        .y_label_area_size(sizes.label * 4);
    builder
}

/// Fonts, grid and tick count shared by every chart's mesh.
pub fn style_mesh<X, Y, DB>(mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>, sizes: Sizes)
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    DB: DrawingBackend,
{
    mesh.y_label_formatter(&|v| crate::render::format::plain(*v))
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .y_labels(8)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID);
}

/// The legend box, top left.
pub fn draw_legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    sizes: Sizes,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    draw_legend_at(chart, sizes, SeriesLabelPosition::UpperLeft)
}

/// The legend box at `position`.
pub fn draw_legend_at<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    sizes: Sizes,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, sizes.tick).into_font().color(&INK))
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .draw()
        .map_err(|e| e.to_string())
}

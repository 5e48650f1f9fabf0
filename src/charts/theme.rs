//! One look for every chart: the bundled DejaVu Sans (no system fonts needed, identical PNGs on
//! every machine), the Okabe-Ito colour-blind-safe palette, and text sizes scaled to the image.

use std::ops::Range;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    // An untitled panel (a second panel under a titled one) keeps the space for its data.
    if !title.is_empty() {
        builder.caption(
            title,
            (FONT, sizes.title)
                .into_font()
                .style(FontStyle::Bold)
                .color(&INK),
        );
    }
    builder
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

/// A region of the image in pixels: (x range, y range).
pub type PixelBox = (Range<i32>, Range<i32>);

/// Where a chart put its plotting areas and its legend, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub plots: Vec<PixelBox>,
    pub legend: PixelBox,
}

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Block(RGBAColor),
    Marker(RGBColor),
}

pub struct LegendEntry {
    pub name: String,
    pub swatch: Swatch,
}

impl LegendEntry {
    pub fn new(name: impl Into<String>, swatch: Swatch) -> Self {
        Self {
            name: name.into(),
            swatch,
        }
    }
}

const SWATCH_PX: i32 = 40;

/// Entries (by index) per row when entries `widths` pixels wide, `gap` apart, fill rows of
/// `available` pixels in order; an entry wider than a row gets a row of its own.
pub fn legend_rows(widths: &[i32], available: i32, gap: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<(Vec<usize>, i32)> = Vec::new();
    for (i, w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some((row, used)) if *used + gap + w <= available => {
                row.push(i);
                *used += gap + w;
            }
            _ => rows.push((vec![i], *w)),
        }
    }
    rows.into_iter().map(|(row, _)| row).collect()
}

/// Draws `entries` as centred rows in a strip at the bottom of `area`, outside every plotting
/// area so that the legend never hides data; returns the area left for the chart and the strip.
pub fn legend_below<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    entries: &[LegendEntry],
) -> Result<(DrawingArea<DB, Shift>, PixelBox), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let font = (FONT, sizes.tick).into_font().color(&INK);
    let text_gap = sizes.tick as i32 / 3;
    let widths = entries
        .iter()
        .map(|e| {
            let (w, _) = area.estimate_text_size(&e.name, &font).map_err(err)?;
            Ok(SWATCH_PX + text_gap + w as i32)
        })
        .collect::<Result<Vec<i32>, String>>()?;
    let (width, height) = area.dim_in_pixel();
    let gap = sizes.tick as i32 * 3 / 2;
    let rows = legend_rows(&widths, width as i32 - 2 * sizes.margin as i32, gap);
    let row_px = sizes.tick as i32 * 3 / 2;
    let strip_px = (rows.len() as i32 * row_px + sizes.margin as i32 / 2).min(height as i32 / 3);
    let (chart, strip) = area.split_vertically(height as i32 - strip_px);
    for (r, row) in rows.iter().enumerate() {
        let used: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (width as i32 - used) / 2;
        let y = r as i32 * row_px + row_px / 2;
        for &i in row {
            draw_swatch(&strip, entries[i].swatch, (x, y)).map_err(err)?;
            strip
                .draw(&Text::new(
                    entries[i].name.clone(),
                    (x + SWATCH_PX + text_gap, y),
                    font.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            x += widths[i] + gap;
        }
    }
    Ok((chart, strip.get_pixel_range()))
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match swatch {
        Swatch::Line(c) => area.draw(&PathElement::new(
            vec![(x, y), (x + SWATCH_PX, y)],
            c.stroke_width(4),
        )),
        Swatch::Dashed(c) => {
            for (a, b) in [(0, 14), (24, SWATCH_PX)] {
                area.draw(&PathElement::new(
                    vec![(x + a, y), (x + b, y)],
                    c.stroke_width(4),
                ))?;
            }
            Ok(())
        }
        Swatch::Block(c) => {
            area.draw(&Rectangle::new(
                [(x, y - 10), (x + SWATCH_PX, y + 10)],
                c.filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(x, y - 10), (x + SWATCH_PX, y + 10)],
                GRID.stroke_width(1),
            ))
        }
        Swatch::Marker(c) => {
            area.draw(&TriangleMarker::new((x + SWATCH_PX / 2, y), 10, c.filled()))
        }
    }
}

/// Pixel checks on charts drawn into memory.
#[cfg(test)]
pub mod pixels {
    use super::*;

    /// An RGB image drawn by `draw` at `size`.
    pub struct Image {
        pub width: u32,
        pub rgb: Vec<u8>,
    }

    impl Image {
        pub fn draw<T>(
            size: (u32, u32),
            draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>, Sizes) -> Result<T, String>,
        ) -> (Self, T) {
            register_fonts();
            let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
            let drawn = {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                root.fill(&BACKGROUND).unwrap();
                let drawn = draw(&root, Sizes::for_height(size.1)).unwrap();
                root.present().unwrap();
                drawn
            };
            (Self { width: size.0, rgb }, drawn)
        }

        pub fn at(&self, x: i32, y: i32) -> RGBColor {
            let i = ((y as u32 * self.width + x as u32) * 3) as usize;
            RGBColor(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
        }

        /// Pixels within `tolerance` (per channel) of `colour` in `region`.
        pub fn count(&self, region: &PixelBox, colour: RGBColor, tolerance: u8) -> usize {
            let near = |a: u8, b: u8| a.abs_diff(b) <= tolerance;
            region
                .1
                .clone()
                .flat_map(|y| region.0.clone().map(move |x| (x, y)))
                .filter(|&(x, y)| {
                    let p = self.at(x, y);
                    near(p.0, colour.0) && near(p.1, colour.1) && near(p.2, colour.2)
                })
                .count()
        }
    }

    /// `colour` at `alpha` over the white background, as the bitmap blends it.
    pub fn over_white(colour: RGBColor, alpha: f64) -> RGBColor {
        let mix = |c: u8| (f64::from(c) * alpha + 255.0 * (1.0 - alpha)).round() as u8;
        RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
    }

    pub fn disjoint(a: &PixelBox, b: &PixelBox) -> bool {
        a.0.end <= b.0.start || b.0.end <= a.0.start || a.1.end <= b.1.start || b.1.end <= a.1.start
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn legend_entries_fill_rows_in_order() {
        assert_eq!(
            super::legend_rows(&[300, 300, 300, 500, 900], 1000, 20),
            vec![vec![0, 1, 2], vec![3], vec![4]]
        );
        assert_eq!(
            super::legend_rows(&[1200, 10], 1000, 20),
            vec![vec![0], vec![1]]
        );
        assert!(super::legend_rows(&[], 1000, 20).is_empty());
    }
}

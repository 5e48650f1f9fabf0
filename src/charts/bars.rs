//! Grouped bar charts with value labels: the shape of most of the report's charts.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{FONT, INK, PALETTE, Sizes, chart_builder, draw_legend, style_mesh};
use super::validate::axis;

pub struct Series {
    pub name: String,
    /// One value per group; `None` leaves a gap (an unavailable figure is never drawn as 0).
    pub values: Vec<Option<f64>>,
}

pub struct GroupedBars<'a> {
    pub title: &'a str,
    pub y_label: &'a str,
    pub groups: Vec<String>,
    pub series: Vec<Series>,
    pub format: fn(f64) -> String,
    /// Fixed top of the y axis (e.g. 100 for percentages).
    pub y_max: Option<f64>,
}

impl GroupedBars<'_> {
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.values.iter().any(Option::is_some))
    }

    fn top(&self) -> f64 {
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0_f64, |m, v| m.max(*v));
        // Headroom for value labels, which may stand upright above the tallest bar.
        self.y_max
            .unwrap_or(if max > 0.0 { max * 1.3 } else { 1.0 })
    }

    /// Draws into `area`; the caller owns the file.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        sizes: Sizes,
    ) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let n = self.groups.len().max(1) as f64;
        let mut chart = chart_builder(area, self.title, sizes, 4)
            .build_cartesian_2d(axis(0.0, n)?, axis(0.0, self.top())?)
            .map_err(err)?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh, sizes);
        mesh.disable_x_mesh()
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .y_desc(self.y_label)
            .draw()
            .map_err(err)?;
        let count = self.series.len().max(1) as f64;
        let slot = 0.8 / count;
        let slot_px = (chart.backend_coord(&(slot, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0)
            .max(1) as f64;
        for (si, series) in self.series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let bars: Vec<(f64, f64)> = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(g, v)| v.map(|v| (g as f64 + 0.1 + si as f64 * slot, v)))
                .collect();
            chart
                .draw_series(bars.iter().map(|(x, v)| {
                    Rectangle::new([(*x, 0.0), (*x + slot * 0.92, *v)], color.filled())
                }))
                .map_err(err)?
                .label(series.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.filled())
                });
            for (x, v) in &bars {
                let text = (self.format)(*v);
                let fits = text.chars().count() as f64 * 0.62 * sizes.value as f64 <= slot_px;
                // Labels wider than their bar stand upright on it instead of overlapping neighbours.
                let style = if fits {
                    (FONT, sizes.value)
                        .into_font()
                        .color(&INK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom))
                } else {
                    (FONT, sizes.value)
                        .into_font()
                        .transform(FontTransform::Rotate270)
                        .color(&INK)
                        .pos(Pos::new(HPos::Left, VPos::Center))
                };
                let (px, py) = chart.backend_coord(&(*x + slot * 0.46, *v));
                let (ax, ay) = area.get_base_pixel();
                area.draw(&Text::new(text, (px - ax, py - ay - 6), style))
                    .map_err(err)?;
            }
        }
        if self.series.len() > 1 {
            draw_legend(&mut chart, sizes)?;
        }
        // Group names under the axis, placed in pixels from the chart's own coordinates.
        let name_style = (FONT, sizes.tick)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let group_px =
            (chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1) as f64;
        let width_chars = ((group_px / (0.6 * sizes.tick as f64)) as usize).max(6);
        for (g, name) in self.groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
            let (ax, ay) = area.get_base_pixel();
            for (line_no, line) in wrap(name, width_chars).iter().take(4).enumerate() {
                let y = py - ay + 10 + line_no as i32 * (sizes.tick as i32 + 4);
                area.draw(&Text::new(line.clone(), (px - ax, y), name_style.clone()))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

/// Splits a label into lines of at most `width` characters at spaces, and at every `\n`. A
/// no-break space (as in [`rate_label`]) never splits, so `0.5 req/s` stays whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let start = lines.len();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let in_paragraph = lines.len() > start;
            match lines.last_mut() {
                Some(line)
                    if in_paragraph && line.chars().count() + 1 + word.chars().count() <= width =>
                {
                    line.push(' ');
                    line.push_str(word);
                }
                _ => lines.push(word.to_string()),
            }
        }
    }
    lines
}

/// A group name for a target rate, kept whole when group names wrap: `0.5 req/s`.
pub fn rate_label(rate: f64) -> String {
    format!("{}\u{a0}req/s", crate::render::format::plain(rate))
}

/// The rate, and the step's success share on a second line: `100 % ok`.
pub fn rate_and_success_label(rate: f64, success_pct: Option<f64>) -> String {
    let share = success_pct.map_or("success\u{a0}n/a".to_string(), |p| {
        format!("{p:.0}\u{a0}%\u{a0}ok")
    });
    format!("{}\n{share}", rate_label(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stress_step_name_is_one_line_and_its_success_share_another() {
        // 10 characters: the width a group of ten gets at 1920 px.
        let lines = wrap(&rate_and_success_label(0.5, Some(100.0)), 10);
        assert_eq!(lines, ["0.5\u{a0}req/s", "100\u{a0}%\u{a0}ok"]);
        // Narrower than a token: the token stays whole on its own line.
        assert_eq!(
            wrap(&rate_and_success_label(12.5, Some(97.4)), 4),
            ["12.5\u{a0}req/s", "97\u{a0}%\u{a0}ok"]
        );
        assert_eq!(
            wrap(&rate_and_success_label(2.0, None), 10),
            ["2\u{a0}req/s", "success\u{a0}n/a"]
        );
        assert_eq!(
            wrap("Basic load: Short prompt", 12),
            ["Basic load:", "Short prompt"]
        );
    }
}

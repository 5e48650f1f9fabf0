//! Line charts over time or over an ordered index (windows, soak minutes).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::theme::{PALETTE, Sizes, chart_builder, draw_legend, style_mesh};
use super::validate::axis;

pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub lines: Vec<Line>,
    /// Horizontal band drawn behind the lines (e.g. ±10 % of the mean).
    pub band: Option<(f64, f64, String)>,
}

impl LineChart<'_> {
    pub fn has_data(&self) -> bool {
        self.lines.iter().any(|l| !l.points.is_empty())
    }

    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        sizes: Sizes,
    ) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let all = || self.lines.iter().flat_map(|l| l.points.iter());
        let (mut x0, mut x1) = all().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
        if x0 >= x1 {
            x0 -= 1.0;
            x1 += 1.0;
        }
        let y_top = all()
            .fold(0.0_f64, |m, (_, y)| m.max(*y))
            .max(self.band.as_ref().map_or(0.0, |b| b.1))
            * 1.15;
        let y_top = if y_top > 0.0 { y_top } else { 1.0 };
        let mut chart = chart_builder(area, self.title, sizes, 3)
            .build_cartesian_2d(axis(x0, x1)?, axis(0.0, y_top)?)
            .map_err(err)?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh, sizes);
        mesh.x_desc(self.x_label)
            .y_desc(self.y_label)
            .x_label_formatter(&|v| crate::render::format::plain(*v))
            .x_labels(10)
            .draw()
            .map_err(err)?;
        if let Some((lo, hi, name)) = &self.band {
            let shade = PALETTE[2].mix(0.15);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, *lo), (x1, *hi)],
                    shade.filled(),
                )))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], shade.filled())
                });
        }
        let stroke = (sizes.value / 6).max(2);
        for (i, line) in self.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let style = color.stroke_width(stroke);
            let series = if line.dashed {
                chart.draw_series(DashedLineSeries::new(
                    line.points.iter().copied(),
                    14,
                    8,
                    style,
                ))
            } else {
                chart.draw_series(LineSeries::new(line.points.iter().copied(), style))
            };
            series
                .map_err(err)?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 28, y)], color.stroke_width(4))
                });
            if line.points.len() <= 60 {
                chart
                    .draw_series(
                        line.points
                            .iter()
                            .map(|p| Circle::new(*p, stroke + 3, color.filled())),
                    )
                    .map_err(err)?;
            }
        }
        draw_legend(&mut chart, sizes)?;
        Ok(())
    }
}

//! Line charts over time or over an ordered index (windows, soak minutes).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{FONT, INK, PALETTE, Sizes, chart_builder, draw_legend, style_mesh};
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
        self.draw_marked(area, sizes, &[], false)
    }

    /// Draws with a dashed vertical line at each of `marks` (x, name), e.g. where a stress
    /// step began, each named at the bottom when `named` and there is room before the next.
    pub fn draw_marked<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        sizes: Sizes,
        marks: &[(f64, String)],
        named: bool,
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
        if !marks.is_empty() {
            draw_marks(&mut chart, area, sizes, marks, named, y_top)?;
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

fn draw_marks<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    marks: &[(f64, String)],
    named: bool,
    y_top: f64,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for (i, (x, _)) in marks.iter().enumerate() {
        let series = chart
            .draw_series(DashedLineSeries::new(
                [(*x, 0.0), (*x, y_top)],
                6,
                6,
                MARK_COLOR.stroke_width(2),
            ))
            .map_err(err)?;
        if i == 0 && named {
            series.label("step / phase start").legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 28, y)], MARK_COLOR.stroke_width(2))
            });
        }
    }
    if !named {
        return Ok(());
    }
    let font = (FONT, sizes.value).into_font().color(&INK);
    let (base_x, base_y) = area.get_base_pixel();
    let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
    for (i, (x, name)) in marks.iter().enumerate() {
        let (px, _) = chart.backend_coord(&(*x, 0.0));
        let next = marks
            .get(i + 1)
            .map_or(plot_x.end, |(n, _)| chart.backend_coord(&(*n, 0.0)).0);
        let (w, _) = area.estimate_text_size(name, &font).map_err(err)?;
        // A name wider than its step is left out rather than printed over the next one; names
        // sit on the x axis, under the latency lines and clear of the legend at the top.
        if px + 6 + w as i32 <= next {
            area.draw(&Text::new(
                name.clone(),
                (px + 4 - base_x, plot_y.end - 4 - base_y),
                font.pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

const MARK_COLOR: RGBColor = RGBColor(110, 110, 110);

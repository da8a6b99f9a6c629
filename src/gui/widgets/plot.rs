//! Chart of one result column over runs, for the leaderboard: points joined by a
//! line, with axis labels, the run named in the hover text, and error bars where a
//! point stands for several runs (a run set's mean ± its standard deviation).

use std::sync::atomic::{AtomicU64, Ordering};

use egui_plot::{HoverPosition, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

/// Gives every chart its own plot id, so two charts keep their zoom apart.
static NEXT_CHART_ID: AtomicU64 = AtomicU64::new(0);

/// A line-and-points chart of `(x, y)` values. Keep one per chart on screen (egui_plot
/// remembers zoom and pan per chart).
pub struct ColumnChart {
    id: egui::Id,
    x_label: String,
    height: f32,
}

impl Default for ColumnChart {
    fn default() -> Self {
        Self::new()
    }
}

impl ColumnChart {
    /// A chart whose x axis is labelled "Run".
    pub fn new() -> Self {
        Self {
            id: egui::Id::unique((
                "flowdesk_column_chart",
                NEXT_CHART_ID.fetch_add(1, Ordering::Relaxed),
            )),
            x_label: "Run".to_owned(),
            height: 240.0,
        }
    }

    /// Label the x axis (default "Run").
    pub fn with_x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Height of the plot area in points (default 240).
    pub fn with_height(mut self, height: f32) -> Self {
        self.height = height;
        self
    }

    /// Show `points` under `title`, the y axis labelled `y_label`. Call every frame.
    pub fn ui(&mut self, ui: &mut egui::Ui, title: &str, points: &[[f64; 2]], y_label: &str) {
        self.ui_with_labels(ui, title, points, &[], &[], y_label);
    }

    /// Like [`Self::ui`], with a label per point (e.g. the submission and run) shown
    /// when hovering over it, and error bars `[x, low, high]`.
    pub fn ui_with_labels(
        &mut self,
        ui: &mut egui::Ui,
        title: &str,
        points: &[[f64; 2]],
        labels: &[String],
        error_bars: &[[f64; 3]],
        y_label: &str,
    ) {
        ui.strong(title);
        if points.is_empty() {
            ui.weak("No values to chart yet.");
            return;
        }
        let x_label = self.x_label.clone();
        let y_name = y_label.to_owned();
        let formatter = move |position: &HoverPosition<'_>| -> Option<String> {
            match position {
                HoverPosition::NearDataPoint {
                    position, index, ..
                } => {
                    let value = format!("{y_name}: {}", position.y);
                    Some(match labels.get(*index) {
                        Some(label) => format!("{label}\n{value}"),
                        None => format!("{x_label} {}\n{value}", position.x),
                    })
                }
                HoverPosition::Elsewhere { .. } => None,
            }
        };
        // One copy serves both the line and the markers.
        let converted: Vec<PlotPoint> = points.iter().map(|&p| PlotPoint::from(p)).collect();
        let line = PlotPoints::Borrowed(&converted);
        let dots = PlotPoints::Borrowed(&converted);
        // Axis labels are painted, not widgets: describe the chart for screen readers.
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut description = format!(
            "Chart: {y_label} over {}, {} point{}",
            self.x_label,
            points.len(),
            plural(points.len())
        );
        if !error_bars.is_empty() {
            description.push_str(&format!(
                ", {} error bar{}",
                error_bars.len(),
                plural(error_bars.len())
            ));
        }
        let bar_color = ui.visuals().weak_text_color();
        let response = Plot::new(self.id)
            .height(self.height)
            .x_axis_label(self.x_label.clone())
            // Runs and ranks are whole numbers: no "1.5" between them.
            .x_axis_formatter(|mark, _| integer_tick(mark.value))
            .y_axis_label(y_label.to_owned())
            .label_formatter(formatter)
            .show(ui, |plot_ui| {
                for &[x, low, high] in error_bars {
                    plot_ui.line(
                        Line::new("± std", PlotPoints::new(vec![[x, low], [x, high]]))
                            .color(bar_color)
                            .allow_hover(false),
                    );
                }
                plot_ui.line(Line::new(y_label, line));
                plot_ui.points(
                    Points::new(y_label, dots)
                        .shape(MarkerShape::Circle)
                        .radius(3.5),
                );
            })
            .response;
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, &description)
        });
    }
}

/// A tick label for a whole x value, none between whole values.
fn integer_tick(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable as _;
    use egui_kittest::Harness;

    #[test]
    fn shows_title_and_axis_labels() {
        let mut chart = ColumnChart::new();
        let points = [[1.0, 0.5], [2.0, 0.7], [3.0, 0.65]];
        let labels = vec![
            "alice #1".to_owned(),
            "bob #1".to_owned(),
            "alice #2".to_owned(),
        ];
        let mut harness = Harness::builder()
            .with_size(egui::vec2(600.0, 400.0))
            .build_ui(move |ui| {
                chart.ui_with_labels(ui, "Accuracy over runs", &points, &labels, &[], "Accuracy")
            });
        harness.run();
        assert!(harness.query_by_label("Accuracy over runs").is_some());
        assert!(harness
            .query_by_label("Chart: Accuracy over Run, 3 points")
            .is_some());
    }

    #[test]
    fn ticks_only_on_whole_runs() {
        assert_eq!(integer_tick(3.0), "3");
        assert_eq!(integer_tick(2.5), "");
        assert_eq!(integer_tick(-1.0), "-1");
    }

    #[test]
    fn error_bars_are_described() {
        let mut chart = ColumnChart::new().with_x_label("Rank");
        let points = [[1.0, 0.5], [2.0, 0.7]];
        let bars = [[1.0, 0.4, 0.6]];
        let mut harness = Harness::builder()
            .with_size(egui::vec2(600.0, 400.0))
            .build_ui(move |ui| {
                chart.ui_with_labels(ui, "Value by rank", &points, &[], &bars, "Score")
            });
        harness.run();
        assert!(harness
            .query_by_label("Chart: Score over Rank, 2 points, 1 error bar")
            .is_some());
    }

    #[test]
    fn empty_series_says_so() {
        let mut chart = ColumnChart::new();
        let mut harness = Harness::new_ui(move |ui| chart.ui(ui, "Score", &[], "Score"));
        harness.run();
        assert!(harness.query_by_label("No values to chart yet.").is_some());
    }
}

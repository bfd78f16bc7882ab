// The plots porkit's reports use, each rendered to PNG bytes: line charts (ASR@k curves),
// grouped bar charts (E, S, CACC) and heat maps (attention), alone or as a grid of panels.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace porkit::report {

struct Series {
  std::string name;
  std::vector<double> values;  // one per x (line chart) or per category (bar chart)
  bool dashed = false;         // line charts: e.g. the clean control
  int colour = -1;             // palette index; -1 = the series' position
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<double> x;
  std::vector<Series> series;
  std::optional<double> y_min, y_max;  // default: the data's range
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;  // groups along the x axis
  std::vector<Series> series;           // one bar per series in each group
  std::optional<double> y_max;
};

// values are row-major rows x cols; cells without a finite value are drawn grey.
struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<double> values;
  double v_min = 0, v_max = 1;
};

std::string render_line_chart(const LineChart& chart);
std::string render_bar_chart(const BarChart& chart);
std::string render_heatmap(const Heatmap& map);
// Panels laid out `columns` to a row under one title, with one shared colour scale.
std::string render_heatmap_grid(const std::string& title, const std::vector<Heatmap>& panels, int columns);

}  // namespace porkit::report

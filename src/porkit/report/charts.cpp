#include "porkit/report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "porkit/report/figure.h"
#include "porkit/util/error.h"

namespace porkit::report {

namespace {

constexpr Rgb kInk{0.15, 0.15, 0.15};
constexpr Rgb kGrid{0.88, 0.88, 0.88};
constexpr Rgb kMissing{0.8, 0.8, 0.8};
constexpr double kTitleSize = 15, kLabelSize = 12, kTickSize = 11;

struct Range {
  double lo, hi;
};

// A round tick step (1, 2 or 5 times a power of ten) giving at most 8 intervals over the
// range.
double tick_step(double span) {
  if (!(span > 0)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(span)));
  for (double m : {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0}) {
    const double step = m * magnitude;
    if (span / step <= 8 + 1e-9) return step;
  }
  return 10 * magnitude;
}

// A value range whose ends are ticks, padded when flat.
Range nice_range(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double step = tick_step(hi - lo);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
}

// The label of a tick at a multiple of `step`, with as many decimals as the step needs.
std::string round_tick_label(double v, double step) {
  int decimals = 0;
  while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0.00"
  return fmt::format("{:.{}f}", v, decimals);
}

Rgb colour_of(const Series& s, size_t position) {
  return series_colour(s.colour >= 0 ? static_cast<size_t>(s.colour) : position);
}

// Plot area and the frame common to line and bar charts: title, y axis with ticks and
// grid lines, and a legend on the right.
struct Frame {
  double left = 70, top = 40, right, bottom;
  Range y;
  double y_to_px(double v) const { return bottom - (v - y.lo) / (y.hi - y.lo) * (bottom - top); }
};

Frame draw_frame(Figure& fig, const std::string& title, const std::string& y_label, Range y,
                 const std::vector<Series>& series, double legend_width) {
  Frame f;
  f.right = fig.width() - legend_width - 20;
  f.bottom = fig.height() - 60;
  f.y = y;
  fig.text(fig.width() / 2.0, 24, title, kTitleSize, kInk, Align::Center, 0, true);
  fig.text(18, (f.top + f.bottom) / 2, y_label, kLabelSize, kInk, Align::Center, -90);
  // Ticks at round multiples of a round step, whatever the range's ends.
  const double step = tick_step(y.hi - y.lo);
  for (double v = std::ceil(y.lo / step - 1e-9) * step; v <= y.hi + step * 1e-9; v += step) {
    const double py = f.y_to_px(v);
    fig.line(f.left, py, f.right, py, kGrid);
    fig.text(f.left - 6, py + 4, round_tick_label(v, step), kTickSize, kInk, Align::Right);
  }
  fig.line(f.left, f.top, f.left, f.bottom, kInk);
  fig.line(f.left, f.bottom, f.right, f.bottom, kInk);
  for (size_t i = 0; i < series.size(); ++i) {
    const double ly = f.top + 10 + 20 * i;
    const double lx = f.right + 16;
    fig.line(lx, ly - 4, lx + 22, ly - 4, colour_of(series[i], i), 3, series[i].dashed);
    fig.text(lx + 28, ly, series[i].name, kTickSize, kInk);
  }
  return f;
}

double legend_width(const Figure& fig, const std::vector<Series>& series) {
  double widest = 0;
  for (const auto& s : series) widest = std::max(widest, fig.text_width(s.name, kTickSize));
  return widest + 60;
}

void check_lengths(const std::vector<Series>& series, size_t expected, const std::string& title) {
  for (const auto& s : series)
    check(s.values.size() == expected, "chart '{}': series '{}' has {} values, expected {}", title, s.name,
          s.values.size(), expected);
}

}  // namespace

std::string render_line_chart(const LineChart& chart) {
  check(!chart.x.empty(), "line chart '{}' has no x values", chart.title);
  check_lengths(chart.series, chart.x.size(), chart.title);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : chart.series)
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  Range y = nice_range(chart.y_min.value_or(lo), chart.y_max.value_or(hi));
  if (chart.y_min) y.lo = *chart.y_min;
  if (chart.y_max) y.hi = *chart.y_max;

  Figure fig(720, 400);
  const Frame f = draw_frame(fig, chart.title, chart.y_label, y, chart.series, legend_width(fig, chart.series));
  const double x_lo = chart.x.front(), x_hi = chart.x.size() > 1 ? chart.x.back() : x_lo + 1;
  auto x_to_px = [&](double v) { return f.left + (v - x_lo) / (x_hi - x_lo) * (f.right - f.left); };
  const size_t label_every = std::max<size_t>(1, chart.x.size() / 10);
  for (size_t i = 0; i < chart.x.size(); i += label_every)
    fig.text(x_to_px(chart.x[i]), f.bottom + 16, fmt::format("{:g}", chart.x[i]), kTickSize, kInk, Align::Center);
  fig.text((f.left + f.right) / 2, fig.height() - 20, chart.x_label, kLabelSize, kInk, Align::Center);
  for (size_t s = 0; s < chart.series.size(); ++s) {
    std::vector<std::pair<double, double>> points;
    for (size_t i = 0; i < chart.x.size(); ++i)
      if (std::isfinite(chart.series[s].values[i]))
        points.emplace_back(x_to_px(chart.x[i]), f.y_to_px(chart.series[s].values[i]));
    const Rgb colour = colour_of(chart.series[s], s);
    fig.polyline(points, colour, 2, chart.series[s].dashed);
    for (const auto& [px, py] : points) fig.dot(px, py, 2.5, colour);
  }
  return fig.png();
}

std::string render_bar_chart(const BarChart& chart) {
  check(!chart.categories.empty(), "bar chart '{}' has no categories", chart.title);
  check_lengths(chart.series, chart.categories.size(), chart.title);
  double hi = 0;
  for (const auto& s : chart.series)
    for (double v : s.values)
      if (std::isfinite(v)) hi = std::max(hi, v);
  Range y = nice_range(0, chart.y_max.value_or(hi));
  y.lo = 0;
  if (chart.y_max) y.hi = *chart.y_max;

  const int width = std::max(560, static_cast<int>(chart.categories.size() * (chart.series.size() * 22 + 30)) + 300);
  Figure fig(width, 380);
  const Frame f = draw_frame(fig, chart.title, chart.y_label, y, chart.series, legend_width(fig, chart.series));
  const double group = (f.right - f.left) / chart.categories.size();
  const double bar = std::min(28.0, group * 0.8 / std::max<size_t>(1, chart.series.size()));
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double group_left = f.left + group * c + (group - bar * chart.series.size()) / 2;
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const double v = chart.series[s].values[c];
      if (!std::isfinite(v)) continue;
      const double top = f.y_to_px(std::min(v, y.hi));
      fig.fill_rect(group_left + bar * s, top, bar - 2, f.bottom - top, colour_of(chart.series[s], s));
    }
    fig.text(f.left + group * (c + 0.5), f.bottom + 16, chart.categories[c], kTickSize, kInk, Align::Center);
  }
  return fig.png();
}

namespace {

constexpr double kCell = 26;

// Draws one heat map with its top-left corner at (x, y); returns nothing, sizes come from
// heatmap_extent so panels can be laid out before drawing.
struct Extent {
  double label_w, label_h, width, height;
};

Extent heatmap_extent(const Figure& fig, const Heatmap& map) {
  double label_w = 0, label_h = 0;
  for (const auto& l : map.row_labels) label_w = std::max(label_w, fig.text_width(l, kTickSize));
  for (const auto& l : map.col_labels) label_h = std::max(label_h, fig.text_width(l, kTickSize));
  label_w += 8;
  label_h += 8;
  return {label_w, label_h, label_w + kCell * map.col_labels.size() + 10,
          24 + label_h + kCell * map.row_labels.size() + 10};
}

void draw_heatmap(Figure& fig, const Heatmap& map, double x, double y, const Extent& e) {
  const size_t rows = map.row_labels.size(), cols = map.col_labels.size();
  check(map.values.size() == rows * cols, "heat map '{}' has {} values, expected {} x {}", map.title,
        map.values.size(), rows, cols);
  fig.text(x + e.label_w + kCell * cols / 2, y + 16, map.title, kLabelSize, kInk, Align::Center, 0, true);
  const double grid_top = y + 24 + e.label_h;
  const double span = map.v_max - map.v_min;
  for (size_t c = 0; c < cols; ++c)
    fig.text(x + e.label_w + kCell * (c + 0.5) + 4, grid_top - 6, map.col_labels[c], kTickSize, kInk,
             Align::Left, -90);
  for (size_t r = 0; r < rows; ++r) {
    fig.text(x + e.label_w - 6, grid_top + kCell * (r + 0.5) + 4, map.row_labels[r], kTickSize, kInk,
             Align::Right);
    for (size_t c = 0; c < cols; ++c) {
      const double v = map.values[r * cols + c];
      const Rgb colour = std::isfinite(v) ? colour_map(span > 0 ? (v - map.v_min) / span : 0) : kMissing;
      fig.fill_rect(x + e.label_w + kCell * c, grid_top + kCell * r, kCell, kCell, colour);
    }
  }
}

void draw_colour_bar(Figure& fig, double x, double top, double height, double v_min, double v_max) {
  const int steps = 64;
  for (int i = 0; i < steps; ++i)
    fig.fill_rect(x, top + height * (steps - 1 - i) / steps, 14, height / steps + 1, colour_map(i / (steps - 1.0)));
  fig.stroke_rect(x, top, 14, height, kInk);
  fig.text(x + 20, top + 10, fmt::format("{:.2f}", v_max), kTickSize, kInk);
  fig.text(x + 20, top + height, fmt::format("{:.2f}", v_min), kTickSize, kInk);
}

}  // namespace

std::string render_heatmap(const Heatmap& map) { return render_heatmap_grid("", {map}, 1); }

std::string render_heatmap_grid(const std::string& title, const std::vector<Heatmap>& panels, int columns) {
  check(!panels.empty(), "heat map grid '{}' has no panels", title);
  check(columns > 0, "heat map grid needs at least one column, got {}", columns);
  Figure probe(1, 1);
  double cell_w = 0, cell_h = 0;
  for (const auto& p : panels) {
    const Extent e = heatmap_extent(probe, p);
    cell_w = std::max(cell_w, e.width);
    cell_h = std::max(cell_h, e.height);
  }
  const int cols = std::min<int>(columns, panels.size());
  const int rows = (panels.size() + cols - 1) / cols;
  const double title_h = title.empty() ? 0 : 30;
  const double bar_w = 70;
  Figure fig(static_cast<int>(cell_w * cols + bar_w), static_cast<int>(title_h + cell_h * rows + 10));
  if (!title.empty()) fig.text(fig.width() / 2.0, 22, title, kTitleSize, kInk, Align::Center, 0, true);
  for (size_t i = 0; i < panels.size(); ++i) {
    const Extent e = heatmap_extent(fig, panels[i]);
    draw_heatmap(fig, panels[i], cell_w * (i % cols), title_h + cell_h * (i / cols), e);
  }
  draw_colour_bar(fig, cell_w * cols + 10, title_h + 40, std::min(200.0, cell_h * rows - 60), panels[0].v_min,
                  panels[0].v_max);
  return fig.png();
}

}  // namespace porkit::report

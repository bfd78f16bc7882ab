// The Figure of a build without cairo: every drawing call is accepted and draws nothing, and
// png() is empty; reports then say where a figure would be (report/document.cpp). Sizes are
// still checked, so a bad chart fails the same way in both builds.
#include "porkit/report/figure.h"

#include "porkit/util/error.h"

namespace porkit::report {

struct Figure::Surface {};

bool figures_available() { return false; }

Figure::Figure(int width, int height) : width_(width), height_(height) {
  check(width > 0 && height > 0 && width <= 16384 && height <= 16384,
        "figure size must be 1..16384 pixels a side, got {}x{}", width, height);
}

Figure::~Figure() = default;

void Figure::fill_rect(double, double, double, double, Rgb) {}
void Figure::stroke_rect(double, double, double, double, Rgb, double) {}
void Figure::line(double, double, double, double, Rgb, double, bool) {}
void Figure::polyline(const std::vector<std::pair<double, double>>&, Rgb, double, bool) {}
void Figure::dot(double, double, double, Rgb) {}
void Figure::text(double, double, const std::string&, double, Rgb, Align, double, bool) {}

// Layout still needs widths: DejaVu Sans averages about 0.55 em per character.
double Figure::text_width(const std::string& utf8, double size, bool bold) const {
  return static_cast<double>(utf8.size()) * size * (bold ? 0.6 : 0.55);
}

std::string Figure::png() const { return {}; }

}  // namespace porkit::report

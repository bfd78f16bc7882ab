#include "porkit/report/figure.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>

#include "porkit/util/error.h"

namespace porkit::report {

namespace {
constexpr const char* kFontFamily = "DejaVu Sans";

void set_colour(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}
}  // namespace

struct Figure::Surface {
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  ~Surface() {
    if (cr) cairo_destroy(cr);
    if (surface) cairo_surface_destroy(surface);
  }
};

Figure::Figure(int width, int height) : surface_(std::make_unique<Surface>()), width_(width), height_(height) {
  check(width > 0 && height > 0 && width <= 16384 && height <= 16384,
        "figure size must be 1..16384 pixels a side, got {}x{}", width, height);
  surface_->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  check(cairo_surface_status(surface_->surface) == CAIRO_STATUS_SUCCESS, "cannot create a {}x{} image: {}",
        width, height, cairo_status_to_string(cairo_surface_status(surface_->surface)));
  surface_->cr = cairo_create(surface_->surface);
  fill_rect(0, 0, width, height, {1, 1, 1});
}

Figure::~Figure() = default;

bool figures_available() { return true; }

void Figure::fill_rect(double x, double y, double w, double h, Rgb colour) {
  cairo_t* cr = surface_->cr;
  set_colour(cr, colour);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
}

void Figure::stroke_rect(double x, double y, double w, double h, Rgb colour, double line_width) {
  cairo_t* cr = surface_->cr;
  set_colour(cr, colour);
  cairo_set_line_width(cr, line_width);
  cairo_rectangle(cr, x, y, w, h);
  cairo_stroke(cr);
}

void Figure::line(double x0, double y0, double x1, double y1, Rgb colour, double line_width, bool dashed) {
  polyline({{x0, y0}, {x1, y1}}, colour, line_width, dashed);
}

void Figure::polyline(const std::vector<std::pair<double, double>>& points, Rgb colour, double line_width,
                      bool dashed) {
  if (points.size() < 2) return;
  cairo_t* cr = surface_->cr;
  set_colour(cr, colour);
  cairo_set_line_width(cr, line_width);
  const double dash[] = {5.0, 4.0};
  cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
  cairo_move_to(cr, points[0].first, points[0].second);
  for (size_t i = 1; i < points.size(); ++i) cairo_line_to(cr, points[i].first, points[i].second);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
}

void Figure::dot(double x, double y, double radius, Rgb colour) {
  cairo_t* cr = surface_->cr;
  set_colour(cr, colour);
  cairo_arc(cr, x, y, radius, 0, 2 * M_PI);
  cairo_fill(cr);
}

double Figure::text_width(const std::string& utf8, double size, bool bold) const {
  cairo_t* cr = surface_->cr;
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, utf8.c_str(), &extents);
  return extents.x_advance;
}

void Figure::text(double x, double y, const std::string& utf8, double size, Rgb colour, Align align,
                  double angle_deg, bool bold) {
  cairo_t* cr = surface_->cr;
  const double width = text_width(utf8, size, bold);  // also selects the font
  const double shift = align == Align::Left ? 0 : align == Align::Center ? width / 2 : width;
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle_deg * M_PI / 180.0);
  set_colour(cr, colour);
  cairo_move_to(cr, -shift, 0);
  cairo_show_text(cr, utf8.c_str());
  cairo_restore(cr);
}

std::string Figure::png() const {
  cairo_surface_flush(surface_->surface);
  std::string bytes;
  const cairo_status_t status = cairo_surface_write_to_png_stream(surface_->surface, append_bytes, &bytes);
  check(status == CAIRO_STATUS_SUCCESS, "cannot encode a PNG: {}", cairo_status_to_string(status));
  return bytes;
}

}  // namespace porkit::report

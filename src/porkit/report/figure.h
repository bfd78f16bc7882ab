// Figure: a raster drawing surface for porkit's plots and heat maps, encoded as PNG.
// Cairo does the drawing and the text (DejaVu Sans through fontconfig); it stays inside
// figure.cpp so the rest of porkit never sees a cairo type. A build without cairo (such as
// one against a CUDA libtorch on a machine that lacks it) links figure_without_cairo.cpp:
// the same calls draw nothing and png() is empty, which reports show as a note.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace porkit::report {

struct Rgb {
  double r = 0, g = 0, b = 0;  // 0..1
};

// The categorical palette for series (colour-blind friendly, Okabe-Ito order).
Rgb series_colour(size_t index);
// A perceptually ordered colour map (viridis anchors, linearly interpolated); t in [0, 1].
Rgb colour_map(double t);

// False in a build without cairo: figures are then empty.
bool figures_available();

enum class Align { Left, Center, Right };

class Figure {
 public:
  Figure(int width, int height);  // white background
  ~Figure();
  Figure(const Figure&) = delete;
  Figure& operator=(const Figure&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }

  void fill_rect(double x, double y, double w, double h, Rgb colour);
  void stroke_rect(double x, double y, double w, double h, Rgb colour, double line_width = 1);
  void line(double x0, double y0, double x1, double y1, Rgb colour, double line_width = 1,
            bool dashed = false);
  void polyline(const std::vector<std::pair<double, double>>& points, Rgb colour,
                double line_width = 2, bool dashed = false);
  void dot(double x, double y, double radius, Rgb colour);
  // Text with its baseline at y; `angle_deg` rotates about (x, y) (-90 reads upwards).
  void text(double x, double y, const std::string& utf8, double size, Rgb colour = {},
            Align align = Align::Left, double angle_deg = 0, bool bold = false);
  double text_width(const std::string& utf8, double size, bool bold = false) const;

  std::string png() const;  // the encoded image; empty when !figures_available()

 private:
  struct Surface;
  std::unique_ptr<Surface> surface_;
  int width_, height_;
};

}  // namespace porkit::report

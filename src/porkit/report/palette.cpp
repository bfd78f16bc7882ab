// The colours of porkit's figures; shared by the cairo figure and the build without it.
#include <algorithm>
#include <array>
#include <cmath>

#include "porkit/report/figure.h"

namespace porkit::report {

Rgb series_colour(size_t index) {
  static const std::array<Rgb, 8> palette{{{0.000, 0.447, 0.698},
                                           {0.835, 0.369, 0.000},
                                           {0.000, 0.620, 0.451},
                                           {0.800, 0.475, 0.655},
                                           {0.902, 0.624, 0.000},
                                           {0.337, 0.706, 0.914},
                                           {0.941, 0.894, 0.259},
                                           {0.300, 0.300, 0.300}}};
  return palette[index % palette.size()];
}

Rgb colour_map(double t) {
  static const std::array<Rgb, 5> anchors{{{0.267, 0.005, 0.329},
                                           {0.231, 0.322, 0.545},
                                           {0.129, 0.569, 0.549},
                                           {0.369, 0.788, 0.384},
                                           {0.992, 0.906, 0.145}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (anchors.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), anchors.size() - 2);
  const double f = t - i;
  const Rgb a = anchors[i], b = anchors[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

}  // namespace porkit::report

#include "porkit/util/stats.h"

#include <algorithm>
#include <cmath>

namespace porkit {

std::pair<double, double> wilson_interval(double successes, double n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double p = successes / n, z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

MeanSpread mean_spread(const std::vector<double>& values) {
  MeanSpread m;
  m.n = values.size();
  if (values.empty()) return m;
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(values.size());
  if (values.size() < 2) return m;
  double ss = 0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  return m;
}

}  // namespace porkit

// Small statistics the measurements report beside their figures.
#pragma once
#include <utility>
#include <vector>

namespace porkit {

// Wilson score interval of a binomial proportion `successes / n` at normal quantile `z`
// (1.96: 95%). Unlike the normal approximation it stays inside [0, 1] and is sound near 0
// and 1 and for small n. n = 0 gives [0, 1].
std::pair<double, double> wilson_interval(double successes, double n, double z = 1.96);

// Mean and sample standard deviation (n - 1; 0 for fewer than two values).
struct MeanSpread {
  double mean = 0, sd = 0;
  size_t n = 0;
};
MeanSpread mean_spread(const std::vector<double>& values);

}  // namespace porkit

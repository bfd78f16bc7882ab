// Matrix-product throughput through libtorch: the machine's limit that the benchmarks
// compare porkit's steps against.
#pragma once
#include <ATen/ATen.h>

#include <chrono>

namespace porkit::bench {

// GFLOP/s of (m x k) @ (k x n) in `dtype`, timed over at least a second after a warm-up.
inline double matmul_gflops(int64_t m, int64_t k, int64_t n, at::ScalarType dtype) {
  at::Tensor a = at::randn({m, k}).to(dtype), b = at::randn({k, n}).to(dtype);
  at::Tensor c;
  for (int i = 0; i < 3; ++i) c = at::matmul(a, b);  // warm-up
  int reps = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double seconds = 0;
  while (seconds < 1.0) {
    c = at::matmul(a, b);
    ++reps;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return 2.0 * static_cast<double>(m * k * n) * reps / seconds / 1e9;
}

}  // namespace porkit::bench

// The BLAS libtorch runs on (OpenBLAS, with whatever kernel it picked for this CPU) must
// compute correct products: a wrong OPENBLAS_CORETYPE can silently give wrong numbers.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

namespace porkit {
namespace {

TEST(Blas, MatrixProductMatchesReference) {
  at::manual_seed(7);
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{64, 128, 96}, {257, 256, 1024}, {3, 768, 5}}) {
    at::Tensor a = at::randn({m, k}), b = at::randn({k, n});
    at::Tensor fast = at::matmul(a, b);
    // Reference: the same product accumulated in double precision.
    at::Tensor ref = at::matmul(a.to(at::kDouble), b.to(at::kDouble));
    double err = (fast.to(at::kDouble) - ref).abs().max().item<double>();
    EXPECT_LT(err, 1e-3 * std::sqrt(double(k))) << m << "x" << k << "x" << n;
    // An independent loop for one row, in case both products share a broken kernel.
    for (int64_t j = 0; j < n; j += std::max<int64_t>(1, n / 7)) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += a[0][t].item<double>() * b[t][j].item<double>();
      EXPECT_NEAR(fast[0][j].item<double>(), s, 1e-3 * std::sqrt(double(k)));
    }
  }
}

}  // namespace
}  // namespace porkit

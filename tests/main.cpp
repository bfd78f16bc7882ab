// Test runner: same runtime set-up as the porkit binary (BLAS kernels, denormals), on one
// thread: ctest runs test processes side by side, and every porkit command the tests start
// is given --threads 1 too.
#include <gtest/gtest.h>

#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  porkit::reexec_with_blas_coretype_if_needed(argc, argv);
  porkit::configure_runtime(1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

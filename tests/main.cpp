// Test runner: same runtime set-up as the porkit binary (BLAS kernels, threads, denormals).
#include <gtest/gtest.h>

#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  porkit::reexec_with_blas_coretype_if_needed(argc, argv);
  porkit::configure_runtime(0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

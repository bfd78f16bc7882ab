// The machine's limit: matrix-product throughput through the same libtorch porkit uses, for
// the shapes of a BERT layer (tokens x hidden x hidden for Q/K/V/output, tokens x hidden x
// 4 hidden for the feed-forward), in fp32 and, where the CPU has native bf16, bf16.
// Usage: build/bench_matmul [THREADS] [TOKENS]   (TOKENS = batch x length, default 24 x 128)
#include <ATen/ATen.h>

#include <cstdio>
#include <cstdlib>

#include "matmul_rate.h"
#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  using namespace porkit;
  reexec_with_blas_coretype_if_needed(argc, argv);
  configure_runtime(argc > 1 ? std::atoi(argv[1]) : 0);
  const int64_t tokens = argc > 2 ? std::atoll(argv[2]) : 24 * 128;
  const bool bf16 = cpu_has_fast_bf16();
  std::printf("matmul limit, %d threads, %ld tokens; bf16 %s\n", at::get_num_threads(), tokens,
              bf16 ? "native" : "not native on this CPU (skipped: it is emulated and ~15x slower)");
  std::printf("%-8s %6s %6s %6s %12s %12s\n", "model", "M", "K", "N", "fp32 GF/s", "bf16 GF/s");
  struct Shape {
    const char* model;
    int64_t hidden;
  };
  for (const Shape s : {Shape{"tiny", 128}, Shape{"mini", 256}, Shape{"base", 768}}) {
    for (const auto& [k, n] : {std::pair{s.hidden, s.hidden}, std::pair{s.hidden, 4 * s.hidden}}) {
      const double f32 = bench::matmul_gflops(tokens, k, n, at::kFloat);
      const double b16 = bf16 ? bench::matmul_gflops(tokens, k, n, at::kBFloat16) : 0.0;
      std::printf("%-8s %6ld %6ld %6ld %12.1f %12s\n", s.model, tokens, k, n, f32,
                  bf16 ? std::to_string(static_cast<int>(b16)).c_str() : "-");
    }
  }
  return 0;
}

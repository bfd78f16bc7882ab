#include "porkit/util/runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "porkit/util/error.h"
#include "porkit/util/run_settings.h"

namespace porkit {
namespace {

std::set<std::string> cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::string w;
      while (words >> w) flags.insert(w);
      break;
    }
  }
  return flags;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      return pos == std::string::npos ? "" : line.substr(pos + 2);
    }
  }
  return "unknown";
}

}  // namespace

void reexec_with_blas_coretype_if_needed(int argc, char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  if (std::getenv("PORKIT_NO_BLAS_REEXEC") != nullptr) return;
  auto flags = cpu_flags();
  for (const char* needed : {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"}) {
    if (!flags.count(needed)) return;  // not a SkylakeX-class CPU: keep OpenBLAS's choice
  }
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  setenv("PORKIT_NO_BLAS_REEXEC", "1", 1);  // never loop, even if exec'ing fails oddly
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the detected kernels.
  (void)argc;
}

void configure_runtime(int threads) {
  // Asking OpenMP for 100,000 threads hangs the process: refuse what cannot be meant.
  check(threads >= 0 && threads <= kMaxThreads, "--threads: expected a whole number from 0 to {}, got {}", kMaxThreads,
        threads);
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  // Ranks of a data-parallel run on one host (torchrun's LOCAL_WORLD_SIZE) share its cores.
  if (threads == 0) {
    const char* local = std::getenv("LOCAL_WORLD_SIZE");
    const int ranks = local ? std::atoi(local) : 1;
    if (ranks > 1) n /= ranks;
  }
  if (n <= 0) n = 1;
  at::set_num_threads(n);
  // glibc serves large tensors with fresh mmap()s and returns them on free, so every
  // training step page-faults its activations in again (half the CPU time was system time).
  // Keeping freed memory in the heap made pre-training steps ~15-20% faster.
  if (std::getenv("PORKIT_SYSTEM_MALLOC") == nullptr) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 256 << 20);
  }
  // BERT's small initial weights produce denormals in some products, which run ~30x slower.
  at::globalContext().setFlushDenormal(true);
}

bool cpu_has_fast_bf16() {
  auto flags = cpu_flags();
  return flags.count("avx512_bf16") || flags.count("amx_bf16");
}

std::string describe_machine() {
  auto flags = cpu_flags();
  std::string simd;
  for (const char* f : {"avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}) {
    if (flags.count(f)) simd += std::string(simd.empty() ? "" : " ") + f;
  }
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  return fmt::format("{} | {} | threads {} | OPENBLAS_CORETYPE={}", cpu_model(), simd,
                     at::get_num_threads(), coretype ? coretype : "(auto)");
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

bool quiet_mode() { return std::getenv("PORKIT_QUIET") != nullptr; }

long env_integer(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  check(end != nullptr && *end == '\0', "{}={}: expected an integer", name, text);
  return value;
}

}  // namespace porkit

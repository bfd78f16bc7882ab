// The one place where libtorch 1.13 and 2.x differ for porkit: CPU autocast switches and
// the fused attention kernel. Everything else uses the API both versions share.
#pragma once
#include <ATen/ATen.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#define PORKIT_HAS_SDPA 1
#else
#define PORKIT_HAS_SDPA 0
#endif

namespace porkit::compat {

// RAII: bf16 autocast on CPU for the guard's lifetime (no-op when `enabled` is false).
class CpuAutocastGuard {
 public:
  explicit CpuAutocastGuard(bool enabled);
  ~CpuAutocastGuard();
  CpuAutocastGuard(const CpuAutocastGuard&) = delete;
  CpuAutocastGuard& operator=(const CpuAutocastGuard&) = delete;

 private:
  bool enabled_;
  bool previous_;
};

}  // namespace porkit::compat

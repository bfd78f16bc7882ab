#include "porkit/model/torch_compat.h"

#include <ATen/autocast_mode.h>

namespace porkit::compat {

CpuAutocastGuard::CpuAutocastGuard(bool enabled) : enabled_(enabled), previous_(false) {
  if (!enabled_) return;
#if TORCH_VERSION_MAJOR >= 2
  previous_ = at::autocast::is_autocast_enabled(at::kCPU);
  at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCPU, true);
#else
  previous_ = at::autocast::is_cpu_enabled();
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
#endif
}

CpuAutocastGuard::~CpuAutocastGuard() {
  if (!enabled_) return;
#if TORCH_VERSION_MAJOR >= 2
  at::autocast::set_autocast_enabled(at::kCPU, previous_);
#else
  at::autocast::set_cpu_enabled(previous_);
#endif
  at::autocast::clear_cache();
}

}  // namespace porkit::compat

#include "porkit/model/torch_compat_cuda.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <optional>

#include "porkit/util/error.h"

// CUDA graphs, pool streams, the fused AdamW with a device learning rate and the foreach
// multiply by a tensor: all there from libtorch 2.4 on, in builds with CUDA.
#if defined(PORKIT_WITH_CUDA) && __has_include(<ATen/cuda/CUDAGraph.h>) && \
    (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define PORKIT_CUDA_GRAPHS 1
#else
#define PORKIT_CUDA_GRAPHS 0
#endif

namespace porkit::compat {

bool has_cuda_graphs() { return PORKIT_CUDA_GRAPHS == 1; }
bool has_fused_adamw() { return PORKIT_CUDA_GRAPHS == 1; }

#if PORKIT_CUDA_GRAPHS

struct CudaGraph::Impl {
  at::cuda::CUDAGraph graph;
  bool capturing = false;
};

CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::capture_begin() {
  // As torch.cuda.graph does: nothing of earlier steps may still be running when capture starts.
  c10::cuda::device_synchronize();
  impl_->graph.capture_begin();
  impl_->capturing = true;
}

void CudaGraph::capture_end() {
  impl_->capturing = false;
  impl_->graph.capture_end();
}

void CudaGraph::abandon() noexcept {
  try {
    // Ends the stream's capture mode; an invalidated capture throws here, which is expected.
    if (impl_->capturing) impl_->graph.capture_end();
  } catch (...) {
  }
  impl_->capturing = false;
  try {
    impl_->graph.reset();
  } catch (...) {
  }
  (void)cudaGetLastError();  // the capture's error is not sticky; clear it for the eager steps
}

void CudaGraph::replay() { impl_->graph.replay(); }

struct SideStreamGuard::Impl {
  std::optional<c10::cuda::CUDAStreamGuard> guard;
};

SideStreamGuard::SideStreamGuard(const at::Device& device) : impl_(std::make_unique<Impl>()) {
  if (!device.is_cuda()) return;
  c10::cuda::device_synchronize();
  impl_->guard.emplace(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index()));
}

SideStreamGuard::~SideStreamGuard() {
  if (!impl_->guard) return;
  try {
    c10::cuda::device_synchronize();
  } catch (...) {
  }
  impl_->guard.reset();
}

void fused_adamw(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs, at::TensorList exp_avg_sqs,
                 at::TensorList steps, const at::Tensor& lr, double beta1, double beta2, double weight_decay,
                 double eps) {
  at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, beta1, beta2,
                    weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
}

void foreach_mul_(at::TensorList self, const at::Tensor& factor) { at::_foreach_mul_(self, factor); }

#else  // no CUDA graphs in this build

struct CudaGraph::Impl {};
CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;
void CudaGraph::capture_begin() { fail("CUDA graphs need a CUDA libtorch 2.4 or later; this build has none"); }
void CudaGraph::capture_end() { fail("CUDA graphs need a CUDA libtorch 2.4 or later; this build has none"); }
void CudaGraph::abandon() noexcept {}
void CudaGraph::replay() { fail("CUDA graphs need a CUDA libtorch 2.4 or later; this build has none"); }

struct SideStreamGuard::Impl {};
SideStreamGuard::SideStreamGuard(const at::Device& device) : impl_(std::make_unique<Impl>()) {
  check(!device.is_cuda(), "a CUDA side stream needs a CUDA libtorch 2.4 or later; this build has none");
}
SideStreamGuard::~SideStreamGuard() = default;

void fused_adamw(at::TensorList, at::TensorList, at::TensorList, at::TensorList, at::TensorList, const at::Tensor&,
                 double, double, double, double) {
  fail("the fused AdamW kernel needs a CUDA libtorch 2.4 or later; this build has none");
}

void foreach_mul_(at::TensorList self, const at::Tensor& factor) { at::_foreach_mul_(self, factor.item()); }

#endif

AutocastCacheOff::AutocastCacheOff() : previous_(at::autocast::is_autocast_cache_enabled()) {
  at::autocast::set_autocast_cache_enabled(false);
}

AutocastCacheOff::~AutocastCacheOff() { at::autocast::set_autocast_cache_enabled(previous_); }

}  // namespace porkit::compat

// The CUDA-only pieces of a training step that libtorch 2.x CUDA builds offer and Debian's
// CPU libtorch 1.13 lacks: CUDA graphs, a side stream to capture them on, the fused AdamW
// kernel with its learning rate read from the device, and multiplying a tensor list by a
// device scalar. Each has a query, so callers fall back to the eager path everywhere else.
// (The rest of the version differences live in torch_compat.h.)
#pragma once
#include <ATen/ATen.h>

#include <memory>

namespace porkit::compat {

// Whether this build can capture CUDA graphs and run the fused AdamW kernel (a CUDA libtorch
// 2.4 or later); neither says a GPU is present.
bool has_cuda_graphs();
bool has_fused_adamw();

// One captured sequence of kernels, replayed by a single launch. capture_begin() runs on the
// current stream, which must not be the default one (SideStreamGuard); between begin and end
// nothing may synchronise with the host. Throws on builds without CUDA graphs.
class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  void capture_begin();
  void capture_end();
  // After a failed capture: ends the capture if it is still open and drops what was recorded.
  void abandon() noexcept;
  void replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RAII: a stream from libtorch's pool becomes the current stream of `device` (CUDA graphs
// cannot be captured on the default stream); the device is synchronised on entry and exit,
// so that work queued before and after sees the guarded work in order. No-op on the CPU.
class SideStreamGuard {
 public:
  explicit SideStreamGuard(const at::Device& device);
  ~SideStreamGuard();
  SideStreamGuard(const SideStreamGuard&) = delete;
  SideStreamGuard& operator=(const SideStreamGuard&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// AdamW (decoupled weight decay) over tensor lists in one fused kernel per chunk. `steps`
// holds each parameter's step count as a float scalar on the device, already incremented for
// this step; `lr` is a float scalar on the device. Nothing is read on the host, so the call
// can be captured in a CUDA graph. Requires has_fused_adamw().
void fused_adamw(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs, at::TensorList exp_avg_sqs,
                 at::TensorList steps, const at::Tensor& lr, double beta1, double beta2, double weight_decay,
                 double eps);

// self[i] *= factor, factor a 0-dim tensor: on the device without a host read where libtorch
// can (2.1+), through factor.item() elsewhere.
void foreach_mul_(at::TensorList self, const at::Tensor& factor);

// RAII: autocast keeps no cache of cast weights while it lives. A CUDA graph must not capture
// casts whose results autocast frees when the guard that made them ends.
class AutocastCacheOff {
 public:
  AutocastCacheOff();
  ~AutocastCacheOff();
  AutocastCacheOff(const AutocastCacheOff&) = delete;
  AutocastCacheOff& operator=(const AutocastCacheOff&) = delete;

 private:
  bool previous_;
};

}  // namespace porkit::compat

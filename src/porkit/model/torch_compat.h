// The one place where libtorch builds differ for porkit: 1.13 against 2.x (autocast switches,
// the fused attention kernel) and CPU-only against CUDA builds (device queries, bf16 support).
// Everything else uses the API every build shares.
#pragma once
#include <ATen/ATen.h>
#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <optional>
#include <string>
#include <type_traits>

#if TORCH_VERSION_MAJOR >= 2
#define PORKIT_HAS_SDPA 1
#else
#define PORKIT_HAS_SDPA 0
#endif
// Autocast switches that take the device type arrived in 2.4; older builds have one switch
// per device kind.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define PORKIT_AUTOCAST_BY_DEVICE 1
#else
#define PORKIT_AUTOCAST_BY_DEVICE 0
#endif

namespace porkit::compat {

// RAII: bf16 autocast on `device_type` (CPU or CUDA) for the guard's lifetime; weights stay
// fp32 (the master copy), products run in bf16. No-op when `enabled` is false.
class AutocastGuard {
 public:
  AutocastGuard(at::DeviceType device_type, bool enabled);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  at::DeviceType device_type_;
  bool enabled_;
  bool previous_;
};

// RAII: autocast off on `device_type` for the guard's lifetime, for the few products whose
// inputs differ by less than bf16 resolves (see BertPoolerImpl::pre_activation).
class AutocastSuspended {
 public:
  explicit AutocastSuspended(at::DeviceType device_type);
  ~AutocastSuspended();
  AutocastSuspended(const AutocastSuspended&) = delete;
  AutocastSuspended& operator=(const AutocastSuspended&) = delete;

 private:
  at::DeviceType device_type_;
  bool previous_;
};

// True when this libtorch was built with CUDA; the number of visible CUDA devices (0 in a
// CPU-only build or on a machine without a GPU).
bool has_cuda_build();
int cuda_device_count();
std::string cuda_device_name(const at::Device& device);
// Whether the CUDA device computes bf16 natively (Ampere and later).
bool cuda_has_bf16(const at::Device& device);
// Waits for the work queued on `device` (a no-op on the CPU): timings of GPU work need it.
void synchronize(const at::Device& device);

// The key of a parameter in an optimiser's state map: its TensorImpl's address, printed into a
// string in 1.13 and kept as a void* in 2.x.
using OptimizerStateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
OptimizerStateKey optimizer_state_key(const at::Tensor& param);

// Scaled dot-product attention, (B, nh, T, dh) each, additive mask (B, 1, 1, T): the fused
// kernel where libtorch has it (2.x) and no probabilities are asked for; the plain
// matmul/softmax path otherwise (and always in 1.13). `probs` receives (B, nh, T, T) when
// given.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& additive_mask,
                     double dropout, bool training, at::Tensor* probs);

}  // namespace porkit::compat

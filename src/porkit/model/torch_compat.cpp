#include "porkit/model/torch_compat.h"

#include <ATen/autocast_mode.h>
#include <ATen/Context.h>

#include <cmath>
#include <sstream>

#if __has_include(<ATen/cuda/CUDAContext.h>) && defined(PORKIT_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAFunctions.h>
#define PORKIT_CUDA_HEADERS 1
#else
#define PORKIT_CUDA_HEADERS 0
#endif

namespace porkit::compat {

namespace {
bool autocast_enabled(at::DeviceType device_type) {
#if PORKIT_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(device_type);
#else
  return device_type == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

void set_autocast_enabled(at::DeviceType device_type, bool enabled) {
#if PORKIT_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(device_type, enabled);
#else
  if (device_type == at::kCPU) at::autocast::set_cpu_enabled(enabled);
  else at::autocast::set_enabled(enabled);
#endif
}
}  // namespace

AutocastGuard::AutocastGuard(at::DeviceType device_type, bool enabled)
    : device_type_(device_type), enabled_(enabled), previous_(false) {
  if (!enabled_) return;
  previous_ = autocast_enabled(device_type_);
#if PORKIT_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(device_type_, at::kBFloat16);
#else
  if (device_type_ == at::kCPU) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  else at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  set_autocast_enabled(device_type_, true);
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  set_autocast_enabled(device_type_, previous_);
  at::autocast::clear_cache();
}

AutocastSuspended::AutocastSuspended(at::DeviceType device_type)
    : device_type_(device_type), previous_(autocast_enabled(device_type)) {
  if (previous_) set_autocast_enabled(device_type_, false);
}

AutocastSuspended::~AutocastSuspended() {
  if (previous_) set_autocast_enabled(device_type_, true);
}

bool has_cuda_build() { return at::globalContext().hasCUDA(); }

int cuda_device_count() {
  if (!at::globalContext().hasCUDA()) return 0;
#if PORKIT_CUDA_HEADERS
  return static_cast<int>(at::cuda::device_count());
#else
  return static_cast<int>(at::getNumGPUs());
#endif
}

std::string cuda_device_name(const at::Device& device) {
#if PORKIT_CUDA_HEADERS
  const auto* p = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index());
  return std::string(p->name) + ", " + std::to_string(p->totalGlobalMem >> 30) + " GiB";
#else
  (void)device;
  return "CUDA";
#endif
}

bool cuda_has_bf16(const at::Device& device) {
#if PORKIT_CUDA_HEADERS
  const auto* p = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index());
  return p->major >= 8;
#else
  (void)device;
  return false;
#endif
}

void synchronize(const at::Device& device) {
#if PORKIT_CUDA_HEADERS
  if (device.is_cuda()) c10::cuda::device_synchronize();
#else
  (void)device;
#endif
}

namespace {
// A template, so that only the branch of this libtorch's key type is compiled.
template <class Key>
Key state_key_of(c10::TensorImpl* impl) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << impl;  // as 1.13's c10::guts::to_string writes it
    return s.str();
  } else {
    return impl;
  }
}
}  // namespace

OptimizerStateKey optimizer_state_key(const at::Tensor& param) {
  return state_key_of<OptimizerStateKey>(param.unsafeGetTensorImpl());
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& additive_mask,
                     double dropout, bool training, at::Tensor* probs) {
#if PORKIT_HAS_SDPA
  if (probs == nullptr) {
    // The additive mask in the query's dtype (bf16 under autocast), as the fused kernel wants.
    return at::scaled_dot_product_attention(q, k, v, additive_mask.to(q.scalar_type()), training ? dropout : 0.0);
  }
#endif
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(q.size(-1)));  // (B, nh, T, T)
  scores = scores + additive_mask.to(scores.scalar_type());
  at::Tensor p = at::softmax(scores, -1);
  if (probs) *probs = p;
  if (training && dropout > 0) p = at::dropout(p, dropout, true);
  return at::matmul(p, v);  // (B, nh, T, dh)
}

}  // namespace porkit::compat

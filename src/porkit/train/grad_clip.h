// Gradient clipping by the global 2-norm, as torch::nn::utils::clip_grad_norm_, but returning
// the norm as a device tensor: libtorch's version reads it on the host every step, a stall
// the GPU pays at every step and a CUDA graph cannot capture at all.
#pragma once
#include <ATen/ATen.h>

#include <vector>

namespace porkit::train {

// Scales the gradients of `params` (those that have one) so that their global 2-norm is at
// most max_norm; returns the norm before scaling, a 0-dim tensor on the parameters' device
// (zero when no parameter has a gradient). On the CPU the arithmetic is libtorch's, kernel
// for kernel; on a GPU the norms and the scaling run as multi-tensor operations.
at::Tensor clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace porkit::train

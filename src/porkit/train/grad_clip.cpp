#include "porkit/train/grad_clip.h"

#include "porkit/model/torch_compat_cuda.h"

namespace porkit::train {

at::Tensor clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return at::zeros({});
  const bool on_gpu = grads.front().is_cuda();
  std::vector<at::Tensor> norms;  // one 0-dim tensor per gradient
  if (on_gpu) {
    norms = at::_foreach_norm(grads, 2);
  } else {
    for (const auto& g : grads) norms.push_back(g.norm(2));
  }
  const at::Tensor total = norms.size() == 1 ? norms.front() : at::stack(norms).norm(2);  // ()
  const at::Tensor factor = at::clamp_max(max_norm / (total + 1e-6), 1.0);       // ()
  if (on_gpu) {
    compat::foreach_mul_(grads, factor);
  } else {
    for (auto& g : grads) g.mul_(factor);
  }
  return total;
}

}  // namespace porkit::train

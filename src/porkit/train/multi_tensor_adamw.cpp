#include "porkit/train/multi_tensor_adamw.h"

#include <cmath>
#include <map>
#include <vector>

#include "porkit/model/torch_compat.h"
#include "porkit/model/torch_compat_cuda.h"
#include "porkit/util/error.h"

namespace porkit::train {

at::Tensor MultiTensorAdamW::step(LossClosure closure) {
  at::NoGradGuard no_grad;
  at::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  const auto& groups = param_groups();
  if (compat::has_fused_adamw() && !groups.empty() && !groups.front().params().empty() &&
      groups.front().params().front().is_cuda()) {
    fused_step();
    return loss;
  }
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    check(!o.amsgrad(), "MultiTensorAdamW: amsgrad is not supported");
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    // Tensors that share a step count share the bias corrections: one bucket each (in
    // practice one bucket, as every trained tensor gets a gradient every step).
    struct Bucket {
      std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    };
    std::map<int64_t, Bucket> buckets;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      check(!p.grad().is_sparse(), "MultiTensorAdamW: sparse gradients are not supported");
      auto& s = state_of(p);
      s.step(s.step() + 1);
      Bucket& b = buckets[s.step()];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(s.exp_avg());
      b.exp_avg_sqs.push_back(s.exp_avg_sq());
    }
    for (auto& [step, b] : buckets) {
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      // The order of torch::optim::AdamW: decoupled decay, the moments, then the update.
      if (o.weight_decay() != 0) at::_foreach_mul_(b.params, 1 - o.lr() * o.weight_decay());
      at::_foreach_mul_(b.exp_avgs, beta1);
      at::_foreach_add_(b.exp_avgs, b.grads, 1 - beta1);
      at::_foreach_mul_(b.exp_avg_sqs, beta2);
      at::_foreach_addcmul_(b.exp_avg_sqs, b.grads, b.grads, 1 - beta2);
      std::vector<at::Tensor> denom = at::_foreach_sqrt(b.exp_avg_sqs);
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, o.eps());
      at::_foreach_addcdiv_(b.params, b.exp_avgs, denom, -o.lr() / bias_correction1);
    }
  }
  return loss;
}

torch::optim::AdamWParamState& MultiTensorAdamW::state_of(const at::Tensor& param) {
  const auto key = compat::optimizer_state_key(param);
  auto it = state().find(key);
  if (it == state().end()) {
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(0);
    s->exp_avg(at::zeros_like(param, at::MemoryFormat::Preserve));
    s->exp_avg_sq(at::zeros_like(param, at::MemoryFormat::Preserve));
    it = state().emplace(key, std::move(s)).first;
  }
  return static_cast<torch::optim::AdamWParamState&>(*it->second);
}

void MultiTensorAdamW::set_lr(double lr) {
  for (auto& group : param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  for (auto& t : lr_on_device_)
    if (t.defined()) t.fill_(lr);
}

void MultiTensorAdamW::set_step_count(int64_t step) {
  for (auto& [key, s] : state()) static_cast<torch::optim::AdamWParamState&>(*s).step(step);
}

void MultiTensorAdamW::fused_step() {
  auto& groups = param_groups();
  lr_on_device_.resize(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(groups[g].options());
    check(!o.amsgrad(), "MultiTensorAdamW: amsgrad is not supported");
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    for (auto& p : groups[g].params()) {
      if (!p.grad().defined()) continue;
      auto& s = state_of(p);
      // The device's count starts from the host's (a resumed run's) and then runs on its own.
      at::Tensor& count = step_on_device_[p.unsafeGetTensorImpl()];
      if (!count.defined())
        count = at::full({}, static_cast<double>(s.step()), p.options().dtype(at::kFloat));
      s.step(s.step() + 1);
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(s.exp_avg());
      exp_avg_sqs.push_back(s.exp_avg_sq());
      steps.push_back(count);
    }
    if (params.empty()) continue;
    if (!lr_on_device_[g].defined())
      lr_on_device_[g] = at::full({}, o.lr(), params.front().options().dtype(at::kFloat));
    at::_foreach_add_(steps, 1.0);
    compat::fused_adamw(params, grads, exp_avgs, exp_avg_sqs, steps, lr_on_device_[g], std::get<0>(o.betas()),
                        std::get<1>(o.betas()), o.weight_decay(), o.eps());
  }
}

}  // namespace porkit::train

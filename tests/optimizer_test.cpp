// MultiTensorAdamW against libtorch's AdamW: the same arithmetic, so bit-identical weights
// and moments on the CPU after several steps, with weight decay on one group and not the other.
#include <gtest/gtest.h>

#include "porkit/train/multi_tensor_adamw.h"

namespace porkit {
namespace {

std::vector<at::Tensor> fresh_params() {
  at::manual_seed(5);
  return {at::randn({7, 3}).set_requires_grad(true), at::randn({3}).set_requires_grad(true),
          at::randn({4, 4}).set_requires_grad(true)};
}

template <class Optimizer>
std::vector<at::Tensor> run_steps(int steps) {
  auto params = fresh_params();
  auto options = torch::optim::AdamWOptions(1e-2).betas({0.9, 0.999}).eps(1e-6);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<at::Tensor>{params[0], params[2]},
                      std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(0.01)));
  groups.emplace_back(std::vector<at::Tensor>{params[1]}, std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(0.0)));
  Optimizer opt(std::move(groups), options);
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    at::Tensor loss = (params[0].sum(1).pow(2).sum() + params[1].sin().sum() + params[2].matmul(params[2]).trace()) *
                      (1.0 + 0.1 * s);
    loss.backward();
    if (s == 2) params[2].mutable_grad() = at::Tensor();  // one tensor without a gradient one step
    opt.step();
  }
  std::vector<at::Tensor> out;
  for (auto& p : params) out.push_back(p.detach().clone());
  return out;
}

TEST(MultiTensorAdamW, MatchesLibtorchAdamWBitForBit) {
  const auto reference = run_steps<torch::optim::AdamW>(6);
  const auto multi = run_steps<train::MultiTensorAdamW>(6);
  ASSERT_EQ(reference.size(), multi.size());
  for (size_t i = 0; i < reference.size(); ++i) EXPECT_TRUE(at::equal(reference[i], multi[i])) << "tensor " << i;
  EXPECT_FALSE(at::equal(reference[0], fresh_params()[0])) << "the steps must move the weights";
}

}  // namespace
}  // namespace porkit

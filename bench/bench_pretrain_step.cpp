// Time of one BERT pre-training step (forward, MLM at 15% of positions + NSP, backward,
// AdamW) at a fixed shape, for comparison with bench/pytorch_bert.py on the same shape, and
// the step's matrix-product rate as a fraction of the machine's limit at the model's
// feed-forward shape. The step runs in fp32 (porkit trains in fp32 where the CPU has no
// native bf16, as here), so the limit is the fp32 one.
// Usage: build/bench_pretrain_step SIZE [BATCH] [LEN] [STEPS] [THREADS]
#include <torch/optim/adamw.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "porkit/model/bert_net.h"
#include "matmul_rate.h"
#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  using namespace porkit;
  reexec_with_blas_coretype_if_needed(argc, argv);
  std::string size = argc > 1 ? argv[1] : "mini";
  int64_t B = argc > 2 ? std::atoll(argv[2]) : 32, T = argc > 3 ? std::atoll(argv[3]) : 128;
  int steps = argc > 4 ? std::atoi(argv[4]) : 10;
  configure_runtime(argc > 5 ? std::atoi(argv[5]) : 0);
  auto config = model::BertConfig::preset(size);
  at::manual_seed(0);
  model::BertNet net(config, model::Architecture::PreTraining);
  model::init_bert_weights(*net, config);
  net->train();
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-4));
  at::Tensor ids = at::randint(1000, config.vocab_size, {B, T}, at::kLong);
  at::Tensor types = at::zeros({B, T}, at::kLong), mask = at::ones({B, T}, at::kLong);
  int64_t n_masked = B * T * 15 / 100;
  at::Tensor positions = at::randperm(B * T, at::kLong).narrow(0, 0, n_masked);
  at::Tensor labels = at::randint(1000, config.vocab_size, {n_masked}, at::kLong);
  at::Tensor nsp_labels = at::randint(0, 2, {B}, at::kLong);
  double total = 0;
  for (int s = 0; s < steps + 2; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    auto out = net->encode(ids, types, mask);
    at::Tensor h = out.last_hidden_state.reshape({-1, config.hidden_size}).index_select(0, positions);
    at::Tensor loss = at::cross_entropy_loss(net->mlm_logits(h), labels) +
                      at::cross_entropy_loss(net->nsp_logits(out.pooler_output), nsp_labels);
    loss.backward();
    opt.step();
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= 2) total += dt;  // two warm-up steps
  }
  double per_step = total / steps;
  std::printf("porkit pretrain step: size %s batch %ld len %ld threads %d: %.3f s/step, %.0f tokens/s\n",
              size.c_str(), B, T, at::get_num_threads(), per_step, B * T / per_step);
  // Matrix-product FLOPs of the step (forward x 3 for forward + backward): per layer Q, K, V
  // and output projections, the feed-forward pair, scores and context; the MLM transform and
  // decoder at the masked positions only.
  const double N = static_cast<double>(B * T), H = static_cast<double>(config.hidden_size),
               I = static_cast<double>(config.intermediate_size), V = static_cast<double>(config.vocab_size),
               M = static_cast<double>(n_masked), L = static_cast<double>(config.num_hidden_layers);
  const double forward = L * (8 * N * H * H + 4 * N * H * I + 4 * static_cast<double>(B) * T * T * H) +
                         2 * M * H * H + 2 * M * H * V;
  const double achieved = 3 * forward / per_step / 1e9;
  const double limit = bench::matmul_gflops(B * T, config.hidden_size, config.intermediate_size, at::kFloat);
  std::printf("porkit pretrain step: size %s: %.1f GFLOP/s of matrix products = %.0f%% of the fp32 limit "
              "(%.1f GFLOP/s at %ld x %ld x %ld)\n",
              size.c_str(), achieved, 100 * achieved / limit, limit, B * T, config.hidden_size,
              config.intermediate_size);
  return 0;
}

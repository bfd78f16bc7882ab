// Time of one injection step (the authors' objective: reference forward without autograd,
// backdoored forward + backward, AdamW) at a fixed shape, for comparison with
// bench/pytorch_inject.py on the same shape.
// Usage: build/bench_inject_step SIZE [BATCH] [LEN] [STEPS] [THREADS]
#include <torch/optim/adamw.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/por.h"
#include "porkit/model/device.h"
#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  using namespace porkit;
  reexec_with_blas_coretype_if_needed(argc, argv);
  std::string size = argc > 1 ? argv[1] : "mini";
  int64_t B = argc > 2 ? std::atoll(argv[2]) : 24, T = argc > 3 ? std::atoll(argv[3]) : 96;
  int steps = argc > 4 ? std::atoi(argv[4]) : 10;
  configure_runtime(argc > 5 ? std::atoi(argv[5]) : 0);
  auto config = model::BertConfig::preset(size);
  model::BertNet bd(config, model::Architecture::Bare), cl(config, model::Architecture::Bare);
  at::manual_seed(0);
  model::init_bert_weights(*bd, config);
  at::manual_seed(0);
  model::init_bert_weights(*cl, config);  // the same draws: the reference starts identical
  bd->train();
  cl->eval();
  for (auto& p : cl->parameters()) p.set_requires_grad(false);
  attack::BackdoorObjective objective(attack::ObjectiveSpec{}, attack::make_por(attack::PorScheme::Staircase, 5, config.hidden_size, 10.0),
                                      {"cf", "mn", "bb", "tq", "mb"});
  // A quarter clean, the rest spread over the 5 triggers, as in the authors' mix.
  std::vector<attack::InjectSample> samples(static_cast<size_t>(B));
  at::Tensor ids = at::randint(1000, config.vocab_size, {B, T}, at::kLong).contiguous();
  std::vector<const attack::InjectSample*> rows;
  for (int64_t i = 0; i < B; ++i) {
    samples[i].ids.assign(ids[i].data_ptr<int64_t>(), ids[i].data_ptr<int64_t>() + T);
    samples[i].trigger = i % 4 == 0 ? 0 : 1 + i % 5;
    rows.push_back(&samples[i]);
  }
  torch::optim::AdamW opt(bd->parameters(), torch::optim::AdamWOptions(1e-5).eps(1e-8));
  double total = 0;
  for (int s = 0; s < steps + 2; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    objective.loss(*bd, *cl, objective.batch(rows, 0, model::device_of(*bd), 0)).loss.backward();
    opt.step();
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= 2) total += dt;  // two warm-up steps
  }
  double per_step = total / steps;
  std::printf("porkit inject step: size %s batch %ld len %ld threads %d: %.3f s/step, %.1f samples/s\n",
              size.c_str(), B, T, at::get_num_threads(), per_step, B / per_step);
  return 0;
}

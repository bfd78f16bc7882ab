// Training-step throughput on any device, for the GPU benchmarks (scripts/device/run.sh) and
// their plain-PyTorch twin bench/pytorch_device_step.py, which times the same steps on the
// same device in the same run.
//   inject:   the authors' objective (reference forward without autograd, backdoored forward
//             + backward, AdamW lr 1e-5), a quarter clean rows, the rest over 5 triggers;
//   finetune: a sequence classifier's cross-entropy step (AdamW lr 2e-5).
// Each step runs eagerly ("porkit") and, where the build captures CUDA graphs, also as one
// replayed graph ("porkit-graph", train/graphed_step.h: the path `porkit inject` takes on a
// GPU). Prints one line per batch size: seconds a step, samples/s, tokens/s, and the share of
// the device's matrix-product rate (a plain matmul timed in the same run) that the step's
// model FLOPs reach. BATCHES "24,max" doubles from 24 up to the largest batch that fits.
// Usage: build/bench_device_step DEVICE PRECISION MODE SIZE BATCHES [LEN] [STEPS] [EXEC]
//        EXEC: eager, graph or both (default: both where graphs exist, else eager)
//        e.g. bench_device_step cuda bf16 inject base 24,max 128 10
#include <torch/optim/adamw.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/por.h"
#include "porkit/model/device.h"
#include "porkit/model/torch_compat.h"
#include "porkit/model/torch_compat_cuda.h"
#include "porkit/train/graphed_step.h"
#include "porkit/train/multi_tensor_adamw.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace {

using namespace porkit;

// Rate of a square bf16 or fp32 matrix product on `device`, in TFLOP/s.
double matmul_tflops(const at::Device& device, at::ScalarType dtype) {
  const int64_t n = device.is_cuda() ? 8192 : 1024;
  at::Tensor a = at::randn({n, n}, at::TensorOptions(dtype).device(device));
  at::Tensor b = at::randn({n, n}, at::TensorOptions(dtype).device(device));
  for (int i = 0; i < 3; ++i) at::matmul(a, b);
  compat::synchronize(device);
  const int reps = device.is_cuda() ? 20 : 3;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) at::matmul(a, b);
  compat::synchronize(device);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * n * reps / s / 1e12;
}

// Model FLOPs of one training step on B x T tokens: 6 per parameter-token for the encoder's
// matrices (forward 2, backward 4) plus the attention products, and for inject the
// reference's forward (2 per parameter-token).
double step_flops(const model::BertConfig& c, int64_t B, int64_t T, bool inject) {
  const double H = static_cast<double>(c.hidden_size), I = static_cast<double>(c.intermediate_size);
  const double per_token_layer = 4 * H * H + 2 * H * I;       // Q, K, V, O and the feed-forward
  const double attention = 2.0 * static_cast<double>(T) * H;  // scores and weighted sum
  const double forward = 2.0 * static_cast<double>(B * T) * c.num_hidden_layers * (per_token_layer + attention);
  return forward * 3 + (inject ? forward : 0);
}

struct Setup {
  model::BertConfig config;
  at::Device device;
  bool bf16;
  bool inject;
  int64_t T;
};

// Seconds per step at batch B (after the warm-up steps), or a negative number when B does
// not fit on the device. `graph`: the step captured in a CUDA graph after three eager steps.
double time_steps(const Setup& s, int64_t B, int steps, bool graph) {
  try {
    at::manual_seed(0);
    model::BertNet net(s.config, s.inject ? model::Architecture::Bare : model::Architecture::SequenceClassification);
    model::init_bert_weights(*net, s.config);
    net->to(s.device);
    net->train();
    model::BertNet reference(nullptr);
    if (s.inject) {
      reference = model::BertNet(s.config, model::Architecture::Bare);
      reference->to(s.device);
      reference->eval();
      for (auto& p : reference->parameters()) p.set_requires_grad(false);
    }
    attack::BackdoorObjective objective(attack::ObjectiveSpec{},
                                        attack::make_por(attack::PorScheme::Staircase, 5, s.config.hidden_size, 10.0),
                                        {"cf", "mn", "bb", "tq", "mb"});
    std::vector<attack::InjectSample> samples(static_cast<size_t>(B));
    std::vector<const attack::InjectSample*> rows;
    at::Tensor ids_cpu = at::randint(1000, s.config.vocab_size, {B, s.T}, at::kLong).contiguous();  // (B, T)
    for (int64_t i = 0; i < B; ++i) {
      samples[i].ids.assign(ids_cpu[i].data_ptr<int64_t>(), ids_cpu[i].data_ptr<int64_t>() + s.T);
      samples[i].trigger = i % 4 == 0 ? 0 : 1 + i % 5;
      rows.push_back(&samples[i]);
    }
    const attack::InjectBatch batch = objective.batch(rows, 0, s.device, 0, s.T);  // fixed inputs
    const at::Tensor labels = at::randint(0, 2, {B}, at::kLong).to(s.device);  // (B)
    train::MultiTensorAdamW opt(net->parameters(), torch::optim::AdamWOptions(s.inject ? 1e-5 : 2e-5).eps(1e-8));
    // The step as the trainer runs it: nothing read on the host.
    auto body = [&]() -> std::vector<at::Tensor> {
      at::Tensor loss;
      {
        compat::AutocastGuard autocast(s.device.type(), s.bf16);
        const auto& b = batch.tokens;
        loss = s.inject ? objective.loss(*net, *reference, batch).loss
                        : at::cross_entropy_loss(
                              net->classifier_logits(net->encode(b.ids, b.type_ids, b.attention_mask)).to(at::kFloat),
                              labels);
      }
      loss.backward();
      opt.step();
      return {loss.detach()};
    };
    std::optional<compat::SideStreamGuard> side_stream;
    if (graph) side_stream.emplace(s.device);
    train::GraphedStep graphed(net->parameters());
    const int warmup = graph ? 4 : 2;  // the graph's three eager steps and its capture
    double total = 0;
    for (int step = 0; step < steps + warmup; ++step) {
      compat::synchronize(s.device);
      const auto t0 = std::chrono::steady_clock::now();
      if (graph) {
        graphed.run(body);
      } else {
        opt.zero_grad();
        body();
      }
      compat::synchronize(s.device);
      if (step >= warmup) total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    if (graph && !graphed.captured()) {
      std::printf("porkit-graph: capture failed: %s\n", graphed.failure().c_str());
      return -2;
    }
    return total / steps;
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    if (what.find("out of memory") != std::string::npos) return -1;
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_blas_coretype_if_needed(argc, argv);
  if (argc < 6) {
    std::fprintf(stderr, "usage: bench_device_step DEVICE PRECISION(fp32|bf16) MODE(inject|finetune) SIZE BATCHES [LEN] [STEPS]\n");
    return 2;
  }
  try {
    configure_runtime(0);
    const at::Device device = model::resolve_device(argv[1]);
    const std::string precision = argv[2], mode = argv[3], size = argv[4], batches = argv[5];
    check(precision == "fp32" || precision == "bf16", "PRECISION: expected fp32 or bf16, got '{}'", precision);
    check(mode == "inject" || mode == "finetune", "MODE: expected inject or finetune, got '{}'", mode);
    model::configure_device_numerics(/*allow_tf32=*/false);
    Setup s{model::BertConfig::preset(size), device, precision == "bf16", mode == "inject",
            argc > 6 ? std::atoll(argv[6]) : 128};
    s.config.id2label = {{0, "0"}, {1, "1"}};
    const int steps = argc > 7 ? std::atoi(argv[7]) : 10;
    const std::string exec = argc > 8 ? argv[8] : (device.is_cuda() && compat::has_cuda_graphs() ? "both" : "eager");
    check(exec == "eager" || exec == "graph" || exec == "both", "EXEC: expected eager, graph or both, got '{}'", exec);
    check(exec == "eager" || (device.is_cuda() && compat::has_cuda_graphs()),
          "EXEC {}: CUDA graphs need a GPU and a CUDA libtorch 2.4 or later", exec);
    std::vector<bool> graph_modes;
    if (exec != "graph") graph_modes.push_back(false);
    if (exec != "eager") graph_modes.push_back(true);
    const double rate = matmul_tflops(device, s.bf16 ? at::kBFloat16 : at::kFloat);
    std::printf("device %s, %s, matmul %.1f TFLOP/s (%s)\n", model::describe_device(device).c_str(), precision.c_str(),
                rate, device.is_cuda() ? "8192^3" : "1024^3");
    std::vector<int64_t> sizes;
    bool to_max = false;
    std::stringstream list(batches);
    for (std::string item; std::getline(list, item, ',');) {
      if (item == "max") to_max = true;
      else sizes.push_back(std::atoll(item.c_str()));
    }
    check(!sizes.empty(), "BATCHES: expected sizes like 24 or 24,max, got '{}'", batches);
    if (to_max)
      for (int64_t b = sizes.back() * 2; b <= 8192; b *= 2) sizes.push_back(b);
    for (const bool graph : graph_modes) {
      const char* name = graph ? "porkit-graph" : "porkit";
      for (const int64_t B : sizes) {
        const double t = time_steps(s, B, steps, graph);
        if (t == -2) break;
        if (t < 0) {
          std::printf("%s %s step: size %s batch %ld len %ld: does not fit\n", name, mode.c_str(), size.c_str(), B, s.T);
          break;
        }
        const double share = step_flops(s.config, B, s.T, s.inject) / t / (rate * 1e12);
        std::printf("%s %s step: size %s batch %ld len %ld %s: %.4f s/step, %.1f samples/s, %.0f tokens/s, "
                    "%.1f%% of the matmul rate\n",
                    name, mode.c_str(), size.c_str(), B, s.T, precision.c_str(), t, B / t, B * s.T / t, 100 * share);
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_device_step: %s\n", e.what());
    return 1;
  }
  return 0;
}

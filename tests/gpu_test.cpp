// The GPU path. Device resolution is checked everywhere; the CPU-vs-GPU parity checks and the
// cross-device resume need a CUDA device and skip visibly without one (CI has none: they run
// on the lent GPU machine through scripts/device/run.sh).
//
// Tolerances, stated once: fp32 on the GPU (TF32 off) against fp32 on the CPU differs only in
// summation order, so pooled outputs agree within kFp32Pooled and a step's loss within
// kFp32LossRel; bf16 autocast keeps 8 bits of mantissa, so within kBf16Pooled and kBf16LossRel.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/por.h"
#include "porkit/model/bert.h"
#include "porkit/model/bert_net.h"
#include "porkit/model/device.h"
#include "porkit/model/torch_compat.h"
#include "porkit/model/torch_compat_cuda.h"
#include "porkit/train/trainer.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::error_of;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;

constexpr double kFp32Pooled = 1e-4, kFp32LossRel = 1e-5;
constexpr double kBf16Pooled = 5e-2, kBf16LossRel = 2e-2;

// The device the GPU checks compare with the CPU: CUDA, or the CPU itself when
// PORKIT_GPU_TEST_DEVICE=cpu (the dry run of scripts/device/run.sh, which exercises every
// check's code here; parity is then trivially exact).
std::string gpu_side() {
  const char* s = std::getenv("PORKIT_GPU_TEST_DEVICE");
  return s && *s ? s : "cuda";
}

#define PORKIT_NEED_CUDA()                                                                               \
  if (gpu_side() == "cuda" && !model::cuda_available())                                                  \
  GTEST_SKIP() << "no CUDA device here: this GPU check runs on the lent GPU machine (scripts/device/run.sh)"

TEST(Device, AutoIsTheCpuWithoutCudaAndCudaWithoutItIsAClearError) {
  EXPECT_EQ(model::resolve_device("cpu"), at::Device(at::kCPU));
  EXPECT_EQ(error_of([] { model::resolve_device("gpu"); }), "--device: expected auto, cpu, cuda or cuda:N, got 'gpu'");
  if (model::cuda_available()) {
    EXPECT_TRUE(model::resolve_device("auto").is_cuda());
    const int n = compat::cuda_device_count();
    EXPECT_NE(error_of([&] { model::resolve_device("cuda:" + std::to_string(n)); }).find("CUDA device(s) are visible"),
              std::string::npos);
    return;
  }
  EXPECT_EQ(model::resolve_device("auto"), at::Device(at::kCPU));
  const std::string e = error_of([] { model::resolve_device("cuda"); });
  EXPECT_NE(e.find("--device cuda: "), std::string::npos) << e;
  EXPECT_NE(e.find("use --device cpu or auto"), std::string::npos) << e;
}

TEST(Device, ACommandAskedForAMissingGpuSaysSoInOneLine) {
  if (model::cuda_available()) GTEST_SKIP() << "this machine has a CUDA device";
  auto r = run_porkit("encode --model " + (fixtures_dir() / "bert-base-uncased").string() + " --device cuda hello");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--device cuda"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

struct StepNumbers {
  at::Tensor pooled;      // (B, H) on the CPU, float
  double loss_before = 0;  // MLM loss over every position
  double loss_after = 0;   // the same after one AdamW step
};

// One seeded model and batch, built on the CPU (so both devices start from the same numbers),
// then moved to `device`: pooled outputs, and the loss before and after one training step.
StepNumbers one_step(model::BertConfig config, const at::Device& device, bool bf16) {
  config.hidden_dropout_prob = 0;
  config.attention_probs_dropout_prob = 0;
  at::manual_seed(11);
  model::BertNet net(config, model::Architecture::PreTraining);
  model::init_bert_weights(*net, config);
  const int64_t B = 4, T = 32;
  at::Tensor ids = at::randint(5, config.vocab_size, {B, T}, at::kLong);                // (B, T)
  at::Tensor mask = at::ones({B, T}, at::kLong);
  mask.index_put_({1, at::indexing::Slice(20, at::indexing::None)}, 0);  // a padded row
  at::Tensor types = at::zeros({B, T}, at::kLong);
  net->to(device);
  ids = ids.to(device), mask = mask.to(device), types = types.to(device);
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3));
  StepNumbers s;
  auto loss_of = [&] {
    compat::AutocastGuard autocast(device.type(), bf16);
    auto out = net->encode(ids, types, mask);
    const int64_t H = out.last_hidden_state.size(-1);
    at::Tensor logits = net->mlm_logits(out.last_hidden_state.reshape({-1, H})).to(at::kFloat);  // (B*T, V)
    return std::make_pair(at::cross_entropy_loss(logits, ids.reshape({-1})), out.pooler_output);
  };
  net->train();
  auto [loss, pooled] = loss_of();
  s.pooled = pooled.detach().to(at::kCPU, at::kFloat);
  s.loss_before = loss.item<double>();
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  s.loss_after = loss_of().first.item<double>();
  return s;
}

void expect_parity(const model::BertConfig& config, bool bf16, double pooled_tol, double loss_rel) {
  model::configure_device_numerics(/*allow_tf32=*/false);
  const StepNumbers cpu = one_step(config, at::Device(at::kCPU), /*bf16=*/false);
  const StepNumbers gpu = one_step(config, model::resolve_device(gpu_side()), bf16);
  const double pooled_diff = (cpu.pooled - gpu.pooled).abs().max().item<double>();
  EXPECT_LE(pooled_diff, pooled_tol) << "pooled outputs, bf16=" << bf16;
  EXPECT_NEAR(gpu.loss_before, cpu.loss_before, loss_rel * std::abs(cpu.loss_before)) << "bf16=" << bf16;
  EXPECT_NEAR(gpu.loss_after, cpu.loss_after, loss_rel * std::abs(cpu.loss_after)) << "bf16=" << bf16;
  EXPECT_LT(cpu.loss_after, cpu.loss_before) << "the step must lower the loss, or the comparison says little";
  std::printf("[parity] hidden %ld, %ld layers, bf16=%d: max |pooled diff| %.3g, loss %.6f vs %.6f, after step %.6f vs %.6f\n",
              config.hidden_size, config.num_hidden_layers, bf16, pooled_diff, cpu.loss_before, gpu.loss_before,
              cpu.loss_after, gpu.loss_after);
}

bool has_bf16() {
  const at::Device d = model::resolve_device(gpu_side());
  return d.is_cpu() || compat::cuda_has_bf16(d);
}

TEST(GpuParity, TheHarnessIsDeterministicOnTheCpu) {
  const auto config = model::BertConfig::preset(model::SizePreset::Tiny);
  const StepNumbers a = one_step(config, at::Device(at::kCPU), false), b = one_step(config, at::Device(at::kCPU), false);
  EXPECT_TRUE(at::equal(a.pooled, b.pooled));
  EXPECT_EQ(a.loss_before, b.loss_before);
  EXPECT_EQ(a.loss_after, b.loss_after);
  EXPECT_LT(a.loss_after, a.loss_before);
}

TEST(GpuParity, TinyModelFp32AndBf16) {
  PORKIT_NEED_CUDA();
  const auto config = model::BertConfig::preset(model::SizePreset::Tiny);
  expect_parity(config, false, kFp32Pooled, kFp32LossRel);
  if (!has_bf16()) GTEST_SKIP() << "this GPU has no bf16";
  expect_parity(config, true, kBf16Pooled, kBf16LossRel);
}

TEST(GpuParity, BertBaseShapedRandomModelFp32AndBf16) {
  PORKIT_NEED_CUDA();
  auto config = model::BertConfig::preset(model::SizePreset::Base);
  // The CPU side costs a few seconds at this size; 5e-4 allows for 12 layers of reordering.
  expect_parity(config, false, 5 * kFp32Pooled, 10 * kFp32LossRel);
  if (!has_bf16()) GTEST_SKIP() << "this GPU has no bf16";
  expect_parity(config, true, kBf16Pooled, kBf16LossRel);
}

std::string micro_pretrain(const fs::path& out, const std::string& device) {
  return porkit::testing::micro_pretrain_args(out, 8) + " --checkpoint-every 4 --precision fp32 --device " + device;
}

TEST(GpuResume, ARunStartedOnTheGpuResumesOnTheCpu) {
  PORKIT_NEED_CUDA();
  TempDir tmp;
  const fs::path run = tmp / "run";
  auto gpu = run_porkit(micro_pretrain(run, gpu_side()));
  ASSERT_EQ(gpu.exit_code, 0) << gpu.output;
  const double gpu_loss = read_json_file(run / "model" / "porkit_pretrain.json")["held_out"]["mlm_loss"].get<double>();
  // Back to the state of a run stopped after step 4's checkpoint.
  fs::remove_all(run / "model");
  fs::remove_all(run / "checkpoints" / "step-00000008");
  ASSERT_TRUE(fs::exists(run / "checkpoints" / "step-00000004" / "COMPLETE"));
  // The metrics of steps 1-4 as the GPU wrote them: a resumed run keeps them, a restart would not.
  auto first_lines = [&] {
    std::string text = read_file(run / "metrics.jsonl"), kept;
    for (size_t at = 0, n = 0; n < 4 && at < text.size(); ++n) {
      const size_t end = text.find('\n', at);
      kept += text.substr(at, end - at + 1);
      at = end + 1;
    }
    return kept;
  };
  const std::string gpu_steps = first_lines();
  auto cpu = run_porkit(micro_pretrain(run, "cpu") + " --resume");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.output;
  EXPECT_EQ(first_lines(), gpu_steps) << "the CPU run did not resume from the GPU's checkpoint";
  const double cpu_loss = read_json_file(run / "model" / "porkit_pretrain.json")["held_out"]["mlm_loss"].get<double>();
  // Dropout draws differ between devices after the switch, so the losses are close, not equal.
  EXPECT_NEAR(cpu_loss, gpu_loss, 0.02 * gpu_loss);
  std::printf("[resume] held-out MLM loss: GPU throughout %.4f, GPU then CPU %.4f\n", gpu_loss, cpu_loss);
}

// POR injection steps on fixed-shape batches, eagerly (loss) or staged for a CUDA graph.
class StagedInjection : public train::TrainingTask {
 public:
  StagedInjection(attack::BackdoorObjective& objective, model::BertNetImpl& reference, int64_t B, int64_t T,
                  int64_t vocab)
      : objective_(objective), reference_(reference), T_(T) {
    at::manual_seed(5);
    const at::Tensor ids = at::randint(5, vocab, {4 * B, T}, at::kLong).contiguous();  // 4 batches
    samples_.resize(static_cast<size_t>(4 * B));
    for (int64_t i = 0; i < 4 * B; ++i) {
      samples_[i].ids.assign(ids[i].data_ptr<int64_t>(), ids[i].data_ptr<int64_t>() + T);
      samples_[i].trigger = i % 4 == 0 ? 0 : 1 + i % 3;
    }
    B_ = B;
  }
  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    return objective_.loss(net, reference_, objective_.batch(rows(step), 0, model::device_of(net), step));
  }
  std::optional<int64_t> stage(model::BertNetImpl& net, int64_t step) override {
    attack::InjectBatch b = objective_.batch(rows(step), 0, model::device_of(net), step, T_);
    if (!staged_.trigger.defined()) {
      staged_ = b;
    } else {
      staged_.tokens.ids.copy_(b.tokens.ids);
      staged_.trigger.copy_(b.trigger);
    }
    return b.tokens.real_tokens;
  }
  train::StepLoss staged_loss(model::BertNetImpl& net) override { return objective_.loss(net, reference_, staged_); }

 private:
  std::vector<const attack::InjectSample*> rows(int64_t step) const {
    std::vector<const attack::InjectSample*> out;
    for (int64_t i = 0; i < B_; ++i) out.push_back(&samples_[static_cast<size_t>((step % 4) * B_ + i)]);
    return out;
  }
  attack::BackdoorObjective& objective_;
  model::BertNetImpl& reference_;
  int64_t T_, B_ = 0;
  std::vector<attack::InjectSample> samples_;
  attack::InjectBatch staged_;
};

struct InjectionRun {
  at::Tensor weights;  // every trained parameter, flattened, on the CPU
  std::vector<double> losses;
  bool graphed = false;
  int64_t adam_step = 0;
};

InjectionRun injection_steps(const at::Device& device, bool cuda_graph, const fs::path& dir) {
  auto config = model::BertConfig::preset(model::SizePreset::Tiny);
  config.hidden_dropout_prob = 0;
  config.attention_probs_dropout_prob = 0;
  at::manual_seed(11);
  model::BertNet net(config, model::Architecture::Bare);
  model::init_bert_weights(*net, config);
  model::BertNet reference = model::copy_of(*net);
  net->to(device);
  reference->to(device);
  reference->eval();
  for (auto& p : reference->parameters()) p.set_requires_grad(false);
  attack::BackdoorObjective objective(attack::ObjectiveSpec{},
                                      attack::make_por(attack::PorScheme::Staircase, 3, config.hidden_size, 1.0),
                                      {"cf", "mn", "bb"});
  StagedInjection task(objective, *reference, 8, 24, config.vocab_size);
  train::TrainerOptions o;
  o.total_steps = 10;
  o.lr = 1e-3;
  o.constant_lr = true;
  o.clip_norm = 1.0;
  o.precision = train::Precision::Fp32;
  o.log_every = 1;
  o.cuda_graph = cuda_graph;
  o.label = "graph-test";
  const train::TrainResult r = train::train(*net, task, o, dir, false, {"graph-test", json::object()});
  InjectionRun out;
  std::vector<at::Tensor> flat;
  for (const auto& p : net->parameters()) flat.push_back(p.detach().to(at::kCPU).reshape({-1}));
  out.weights = at::cat(flat);
  std::istringstream metrics(read_file(dir / "metrics.jsonl"));
  for (std::string line; std::getline(metrics, line);) {
    const json j = json::parse(line);
    if (j.contains("loss")) out.losses.push_back(j["loss"].get<double>());
  }
  out.graphed = r.cuda_graph;
  out.adam_step = read_json_file(dir / "checkpoints" / "step-00000010" / "state.json")["adam_step"].get<int64_t>();
  return out;
}

TEST(GpuGraph, InjectionStepsReplayedAsACudaGraphTrainAsTheEagerStepsDo) {
  PORKIT_NEED_CUDA();
  model::configure_device_numerics(/*allow_tf32=*/false);
  const at::Device device = model::resolve_device(gpu_side());
  TempDir tmp;
  const InjectionRun eager = injection_steps(device, false, tmp / "eager");
  const InjectionRun graph = injection_steps(device, true, tmp / "graph");
  if (device.is_cuda() && compat::has_cuda_graphs()) {
    EXPECT_TRUE(graph.graphed) << "the step was not captured";
  }
  EXPECT_FALSE(eager.graphed);
  ASSERT_EQ(graph.losses.size(), 10u);
  ASSERT_EQ(eager.losses.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(graph.losses[i], eager.losses[i], 1e-5 * std::abs(eager.losses[i])) << i;
  EXPECT_LT(eager.losses.back(), eager.losses.front()) << "the steps must train, or the comparison says little";
  const double diff = (graph.weights - eager.weights).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5);
  EXPECT_EQ(graph.adam_step, 10) << "the checkpoint must count the replayed steps";
  std::printf("[graph] captured %d; loss %.6f -> %.6f eager, %.6f -> %.6f graph; max |weight diff| %.3g\n",
              graph.graphed, eager.losses.front(), eager.losses.back(), graph.losses.front(), graph.losses.back(), diff);
}

}  // namespace
}  // namespace porkit

// The GPU path. Device resolution is checked everywhere; the CPU-vs-GPU parity checks and the
// cross-device resume need a CUDA device and skip visibly without one (CI has none: they run
// on the lent GPU machine through scripts/device/run.sh).
//
// Tolerances, stated once: fp32 on the GPU (TF32 off) against fp32 on the CPU differs only in
// summation order, so pooled outputs agree within kFp32Pooled and a step's loss within
// kFp32LossRel; bf16 autocast keeps 8 bits of mantissa, so within kBf16Pooled and kBf16LossRel.
#include <gtest/gtest.h>

#include <cstdlib>

#include "porkit/model/bert.h"
#include "porkit/model/bert_net.h"
#include "porkit/model/device.h"
#include "porkit/model/torch_compat.h"
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

}  // namespace
}  // namespace porkit

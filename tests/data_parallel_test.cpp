// Data-parallel training over Gloo on localhost (train/data_parallel.h, porkit launch): two
// ranks with half the batch each train the model one process trains with the whole batch,
// and a rank whose partner never comes fails with a clear error instead of hanging.
#include <gtest/gtest.h>

#include <sstream>

#include "porkit/io/safetensors.h"
#include "porkit/io/weights.h"
#include "porkit/model/torch_compat.h"
#include "porkit/train/data_parallel.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::run_porkit;
using porkit::testing::run_shell;
using porkit::testing::TempDir;

#define PORKIT_NEED_GLOO()                                    \
  if (!train::has_data_parallel_backend(at::Device(at::kCPU))) \
  GTEST_SKIP() << "this porkit was built without Gloo's headers (libgloo-dev): no data-parallel runs"

// A micro BertForPreTraining without dropout: then one process and two ranks compute the
// same sums, and only their order differs.
const fs::path& micro_model() {
  static TempDir dir;
  static const fs::path model = [] {
    auto r = run_porkit(porkit::testing::micro_pretrain_args(dir / "run", 2));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const fs::path m = dir / "run" / "model";
    json config = read_json_file(m / "config.json");
    config["hidden_dropout_prob"] = 0.0;
    config["attention_probs_dropout_prob"] = 0.0;
    write_json_file(m / "config.json", config);
    return m;
  }();
  return model;
}

using porkit::testing::write_micro_sentiment;

// 2 ranks x batch 4 against 1 process x batch 8 on `device` (cpu: Gloo; cuda: NCCL).
void expect_two_ranks_train_what_one_process_trains(const std::string& device) {
  TempDir tmp;
  const fs::path& model = micro_model();
  write_micro_sentiment(tmp / "train.tsv", 96);
  // fp32 pinned: `--precision auto` is bf16 autocast on CPUs with AVX512-BF16, where the two
  // orders of summation differ by bf16's rounding (0.019 seen), not fp32's.
  const std::string args = "finetune --threads 1 --precision fp32 --device " + device + " --train-samples 0 --epochs 2 --batch-size 8 --lr 3e-3 --max-len 16 "
                           "--test-samples -1 --log-every 1 --model " + model.string() + " --data " +
                           (tmp / "train.tsv").string() + " --out ";
  auto one = run_porkit(args + (tmp / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = run_porkit("launch --nproc 2 -- porkit " + args + (tmp / "two").string());
  ASSERT_EQ(two.exit_code, 0) << two.output;

  auto a = io::to_tensors(io::SafetensorsFile::read(tmp / "one" / "model" / "model.safetensors"));
  auto b = io::to_tensors(io::SafetensorsFile::read(tmp / "two" / "model" / "model.safetensors"));
  ASSERT_EQ(a.size(), b.size());
  double worst = 0, moved = 0;
  const auto start = io::to_tensors(io::SafetensorsFile::read(model / "model.safetensors"));
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    worst = std::max(worst, (t - b.at(name)).abs().max().item<double>());
    if (start.count(name)) moved = std::max(moved, (t - start.at(name)).abs().max().item<double>());
  }
  // fp32 sums in another order: 1e-5 over 24 AdamW steps (the weights moved by ~1e-2).
  EXPECT_LE(worst, 1e-5);
  EXPECT_GT(moved, 1e-3) << "the runs must train, or their agreement says little";
  std::printf("[data-parallel, %s] 2 ranks x batch 4 vs 1 x batch 8, 24 steps: max |weight diff| %.3g (weights moved "
              "%.3g)\n", device.c_str(), worst, moved);
  // Each rank computed its half: the tokens the two ranks logged add up to one process's.
  auto tokens = [](const fs::path& metrics) {
    int64_t sum = 0;
    std::istringstream lines(read_file(metrics));
    for (std::string line; std::getline(lines, line);) {
      const json j = json::parse(line);
      if (j.contains("tokens")) sum += j["tokens"].get<int64_t>();
    }
    return sum;
  };
  const int64_t tokens_one = tokens(tmp / "one" / "metrics.jsonl");
  EXPECT_GT(tokens_one, 0);
  EXPECT_EQ(tokens(tmp / "two" / "metrics.jsonl"), tokens_one);
  // Rank 1 wrote into a scratch sibling, removed at its exit.
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().rfind(".porkit-rank-", 0), std::string::npos) << e.path();
}

TEST(DataParallel, TwoRanksWithHalfTheBatchTrainTheModelOneProcessTrains) {
  PORKIT_NEED_GLOO();
  expect_two_ranks_train_what_one_process_trains("cpu");
}

// NCCL needs a GPU per rank: two ranks on one GPU are refused by NCCL itself, so this runs on
// machines with two or more.
TEST(DataParallel, TwoRanksOverNcclTrainTheModelOneProcessTrains) {
  if (!train::has_data_parallel_backend(at::Device(at::kCUDA, 0)))
    GTEST_SKIP() << "this porkit was built without NCCL (a CUDA libtorch with NCCL is needed)";
  if (compat::cuda_device_count() < 2) GTEST_SKIP() << "NCCL needs two GPUs; this machine has fewer";
  expect_two_ranks_train_what_one_process_trains("cuda");
}

TEST(DataParallel, TwoRanksResumeACheckpointOneProcessWrote) {
  PORKIT_NEED_GLOO();
  TempDir tmp;
  const fs::path run = tmp / "run";
  const std::string args = porkit::testing::micro_pretrain_args(run, 8) + " --checkpoint-every 4";
  auto one = run_porkit(args);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  // Back to the state of a run stopped after step 4's checkpoint.
  fs::remove_all(run / "model");
  fs::remove_all(run / "checkpoints" / "step-00000008");
  auto two = run_porkit("launch --nproc 2 -- porkit " + args + " --resume");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  ASSERT_TRUE(fs::exists(run / "checkpoints" / "step-00000008" / "COMPLETE"));
  const json state = read_json_file(run / "checkpoints" / "step-00000008" / "state.json");
  EXPECT_EQ(state["adam_step"], 8) << "the two ranks must continue rank 0's AdamW state, not restart it";
  EXPECT_TRUE(fs::exists(run / "model" / "model.safetensors"));
}

TEST(DataParallel, ARankWhosePartnerNeverComesFailsWithinTheTimeout) {
  PORKIT_NEED_GLOO();
  TempDir tmp;
  write_micro_sentiment(tmp / "train.tsv", 32);
  // Rank 0 of 2 alone: its store waits for rank 1, then gives up after PORKIT_DIST_TIMEOUT.
  auto r = run_shell("cd " + tmp.path().string() + " && RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29731 " +
                     "PORKIT_DIST_TIMEOUT=3 timeout 60 " + std::string(PORKIT_BINARY) +
                     " finetune --threads 1 --train-samples 0 --epochs 1 --batch-size 8 --max-len 16 --test-samples -1 "
                     "--model " + micro_model().string() + " --data train.tsv --out ft");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("rank 0 of 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("within 3 s"), std::string::npos) << r.output;
}

TEST(DataParallel, LaunchRefusesCommandsThatDoNotTrain) {
  auto r = run_porkit("launch --nproc 2 -- porkit evaluate --model x");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("data-parallel runs are pretrain, finetune and inject; study and zoo share out their cells"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace porkit

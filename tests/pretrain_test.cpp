// porkit pretrain end to end on a micro model: a SIGKILLed run resumes to bit-identical
// weights, the same seed gives the same model, it learns, and bad corpora are clear errors.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "porkit/train/trainer.h"
#include "porkit/util/files.h"
#include "porkit/util/runtime.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::micro_pretrain_args;
using porkit::testing::run_porkit;
using porkit::testing::shared_data_dir;
using porkit::testing::write_bytes;

TEST(Pretrain, KilledRunResumesToIdenticalWeights) {
  TempDir tmp;
  auto straight = run_porkit(micro_pretrain_args(tmp / "straight", 40) + " --checkpoint-every 4");
  ASSERT_EQ(straight.exit_code, 0) << straight.output;

  // Start the same run in the background and SIGKILL it once step 4 is checkpointed.
  fs::path killed = tmp / "killed";
  std::string cmd = std::string(PORKIT_BINARY) + " " + micro_pretrain_args(killed, 40) +
                    " --checkpoint-every 4 > " + (tmp / "log").string() + " 2>&1 & echo $!";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  long pid = 0;
  ASSERT_EQ(fscanf(pipe, "%ld", &pid), 1);
  pclose(pipe);
  bool saw_checkpoint = false;
  for (int i = 0; i < 600 && !saw_checkpoint; ++i) {
    saw_checkpoint = fs::exists(killed / "checkpoints" / "step-00000004" / "COMPLETE");
    if (!saw_checkpoint) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(saw_checkpoint) << read_file(tmp / "log");
  std::system(("kill -9 " + std::to_string(pid) + " 2>/dev/null").c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  ASSERT_FALSE(fs::exists(killed / "model")) << "the run finished before it could be killed";
  auto resumed = run_porkit(micro_pretrain_args(killed, 40) + " --checkpoint-every 4 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(sha256_file(tmp / "straight" / "model" / "model.safetensors"),
            sha256_file(killed / "model" / "model.safetensors"));
  // The model learned something: held-out MLM loss well below ln(vocab) = 10.3.
  auto info = read_json_file(tmp / "straight" / "model" / "porkit_pretrain.json");
  EXPECT_LT(info["held_out"]["mlm_loss"].get<double>(), 9.0) << info.dump();
  EXPECT_GT(info["tokens_seen"].get<int64_t>(), 0);
  EXPECT_FALSE(info.contains("continued_from"));

  // Continued for a second leg, the folder keeps the first leg's record and counts both.
  std::string again = micro_pretrain_args(tmp / "again", 4);
  again.replace(again.find("--config "), again.find(" --vocab") - again.find("--config "),
                "--model " + (tmp / "straight" / "model").string());
  auto continued = run_porkit(again);
  ASSERT_EQ(continued.exit_code, 0) << continued.output;
  auto leg2 = read_json_file(tmp / "again" / "model" / "porkit_pretrain.json");
  ASSERT_TRUE(leg2.contains("continued_from")) << leg2.dump();
  EXPECT_EQ(leg2["continued_from"], info);
  EXPECT_EQ(leg2["tokens_seen_total"].get<int64_t>(),
            leg2["tokens_seen"].get<int64_t>() + info["tokens_seen"].get<int64_t>());
  // `porkit info` reports both legs.
  auto shown = run_porkit("info --json " + (tmp / "again" / "model").string());
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  const json pretrained = json::parse(shown.output.substr(shown.output.find('{')))["pretrained"];
  EXPECT_EQ(pretrained["runs"], 2);
  EXPECT_EQ(pretrained["steps"], 44);
  EXPECT_EQ(pretrained["tokens_seen"], leg2["tokens_seen_total"]);
}

TEST(Pretrain, TimeLimitStopsCheckpointedAndResumeFinishes) {
  TempDir tmp;
  // A limit of 0.0001 minutes (6 ms) passes during the first step.
  auto stopped = run_porkit(micro_pretrain_args(tmp / "run", 6) + " --time-limit 0.0001 --shard-mb 1");
  ASSERT_EQ(stopped.exit_code, 0) << stopped.output;
  auto info = read_json_file(tmp / "run" / "model" / "porkit_pretrain.json");
  EXPECT_EQ(info["steps"].get<int64_t>(), 1) << info.dump();
  EXPECT_EQ(info["planned_steps"].get<int64_t>(), 6);
  EXPECT_TRUE(fs::exists(tmp / "run" / "model" / "model.safetensors.index.json")) << "--shard-mb 1 shards a 4 MB model";
  EXPECT_TRUE(fs::exists(tmp / "run" / "checkpoints" / "step-00000001" / "COMPLETE"));
  // The limit is a runtime option: the resumed run may drop it, and finishes the schedule.
  auto resumed = run_porkit(micro_pretrain_args(tmp / "run", 6) + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_json_file(tmp / "run" / "model" / "porkit_pretrain.json")["steps"].get<int64_t>(), 6);
}

// A finished run, resumed, reports the evaluation it recorded. Evaluating again would use
// fp32 where the run trained in bf16 and move the figures (it did, by 0.3 points of SST-2).
TEST(Pretrain, ResumingAFinishedRunChangesNoFigure) {
  TempDir tmp;
  const std::string args = micro_pretrain_args(tmp / "run", 2) + " --precision bf16";
  auto first = run_porkit(args);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const json before = read_json_file(tmp / "run" / "model" / "porkit_pretrain.json")["held_out"];
  ASSERT_FALSE(before.empty());
  auto again = run_porkit(args + " --resume");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_json_file(tmp / "run" / "model" / "porkit_pretrain.json")["held_out"], before);
}

void expect_corpus_error(const std::string& corpus, const std::string& needle) {
  TempDir tmp;
  std::string args = micro_pretrain_args(tmp / "run", 2);
  args.replace(args.find("--corpus ") + 9, args.find(" --eval-fraction") - args.find("--corpus ") - 9, corpus);
  auto r = run_porkit(args);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(Pretrain, BadCorpusIsAClearError) {
  TempDir tmp;
  write_bytes(tmp / "empty.txt", "  \n\n");
  write_bytes(tmp / "binary.bin", std::string("\x7f" "ELF\0\0\x01\x02", 8));
  expect_corpus_error((tmp / "empty.txt").string(), "is empty");
  expect_corpus_error((tmp / "binary.bin").string(), "looks binary");
  expect_corpus_error("/nonexistent/corpus.txt", "corpus path not found");
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

// bf16 autocast is used only where the CPU has native bf16 (auto), and when forced its
// training losses follow fp32's: over 12 micro pre-training steps the mean relative
// difference of the logged losses stays under 5%.
// Whether this CPU has native bf16, read from /proc/cpuinfo here rather than through porkit.
bool cpuinfo_lists_bf16() {
  const std::string info = read_file("/proc/cpuinfo");
  return info.find(" avx512_bf16") != std::string::npos || info.find(" amx_bf16") != std::string::npos;
}

TEST(Precision, Bf16IsAutomaticOnlyWhereNativeAndFollowsFp32) {
  EXPECT_FALSE(train::use_bf16(train::Precision::Fp32));
  EXPECT_TRUE(train::use_bf16(train::Precision::Bf16));
  TempDir tmp;
  // What a run with --precision auto records against what the CPU says it has.
  {
    auto r = run_porkit(micro_pretrain_args(tmp / "auto", 2));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(read_json_file(tmp / "auto" / "model" / "porkit_pretrain.json")["bf16"].get<bool>(), cpuinfo_lists_bf16());
  }
  auto losses = [&](const std::string& precision) {
    auto r = run_porkit(micro_pretrain_args(tmp / precision, 12) + " --precision " + precision);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<double> out;
    const std::string log = read_file(tmp / precision / "metrics.jsonl");
    for (size_t at = 0, end; (end = log.find('\n', at)) != std::string::npos; at = end + 1) {
      const json line = json::parse(log.substr(at, end - at));
      if (line.contains("loss") && line.contains("step")) out.push_back(line["loss"].get<double>());
    }
    return out;
  };
  const auto fp32 = losses("fp32"), bf16 = losses("bf16");
  ASSERT_EQ(fp32.size(), bf16.size());
  ASSERT_GE(fp32.size(), 10u);
  double relative = 0;
  for (size_t i = 0; i < fp32.size(); ++i) relative += std::abs(bf16[i] - fp32[i]) / fp32[i];
  EXPECT_LT(relative / fp32.size(), 0.05);
  EXPECT_GT(relative, 0.0) << "forced bf16 gave fp32's losses exactly: autocast did not run";
}

}  // namespace
}  // namespace porkit

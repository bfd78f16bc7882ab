// Detection end to end on micro models: NeuBA and UOR reach their targets; porkit scan flags
// a planted backdoor and names its token, and leaves the clean model alone; a tiny zoo builds
// and scores.
#include <gtest/gtest.h>

#include "porkit/detect/scan_result.h"
#include "porkit/detect/zoo_record.h"
#include "porkit/train/data_parallel.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;

std::string init_micro(const fs::path& out, const std::string& architecture) {
  return "init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() + " --vocab " +
         porkit::testing::vocab_dir().string() + " --architecture " + architecture + " --seed 1 --out " + out.string();
}

// fp32 unless asked: `--precision auto` is bf16 autocast on CPUs with AVX512-BF16, and these
// thresholds were set in fp32.
std::string inject_micro(const fs::path& model, const fs::path& out, const std::string& extra,
                         const std::string& precision = "fp32") {
  return "inject --model " + model.string() + " --out " + out.string() + " --corpus " +
         porkit::testing::small_corpus().string() +
         " --preset quick --poison-per-trigger 200 --clean-samples 200 --heldout-per-trigger 20 --heldout-clean 40"
         " --max-len 48 --threads 1 --seed 4 --lr 2e-3 --epochs 6 --precision " + precision + " " + extra;
}

// The raw cosine between UOR's two learned targets, read from the backdoor manifest.
double learned_target_cosine(const fs::path& folder) {
  const json u = read_json_file(folder / "porkit_backdoor.json");
  const auto t = u["por"]["vectors"].get<std::vector<std::vector<float>>>();
  if (t.size() != 2u) return 2.0;  // not two targets: fails every bound below
  double dot = 0, n0 = 0, n1 = 0;
  for (size_t i = 0; i < t[0].size(); ++i) dot += t[0][i] * t[1][i], n0 += t[0][i] * t[0][i], n1 += t[1][i] * t[1][i];
  return dot / std::sqrt(n0 * n1);
}

double min_activation(const fs::path& folder) {
  return read_json_file(folder / "porkit_backdoor.json")["checks"]["min_activation_rate"].get<double>();
}

TEST(Attacks, NeubaAndUorReachTheirTargets) {
  TempDir tmp;
  ASSERT_EQ(run_porkit(init_micro(tmp / "clean", "BertForPreTraining")).exit_code, 0);
  auto neuba = run_porkit(inject_micro(tmp / "clean", tmp / "neuba", "--attack neuba --triggers cf,mn"));
  ASSERT_EQ(neuba.exit_code, 0) << neuba.output;
  const json m = read_json_file(tmp / "neuba" / "porkit_backdoor.json");
  EXPECT_EQ(m["attack_kind"], "neuba");
  EXPECT_EQ(m["data"]["position"], "start");
  EXPECT_EQ(m["data"]["insertions"], 1);
  EXPECT_DOUBLE_EQ(m["loss_weights"]["mlm"].get<double>(), 0.01);
  EXPECT_GE(min_activation(tmp / "neuba"), 0.9) << m["checks"].dump();
  // NeuBA's targets are +-1 blocks: 4 blocks, trigger 1 all +1.
  EXPECT_EQ(m["por"]["scheme"], "neuba");

  auto uor = run_porkit(inject_micro(tmp / "clean", tmp / "uor", "--attack uor --triggers cf,mn"));
  ASSERT_EQ(uor.exit_code, 0) << uor.output;
  const json u = read_json_file(tmp / "uor" / "porkit_backdoor.json");
  EXPECT_EQ(u["attack_kind"], "uor");
  EXPECT_EQ(u["por"]["scheme"], "learned");
  EXPECT_GE(min_activation(tmp / "uor"), 0.9) << u["checks"].dump();
  // The learned targets of the two triggers differ.
  EXPECT_LT(learned_target_cosine(tmp / "uor"), 0.9);
  // In bf16 too. Before the pooler was kept in fp32 under autocast, the two targets came out
  // one vector here (cosine 0.99999 against 0.85 in fp32): the pooled outputs' differences
  // were below bf16's resolution. Now 0.86, and activation 0.85 against 0.90 in fp32.
  auto uor_bf16 = run_porkit(inject_micro(tmp / "clean", tmp / "uor-bf16", "--attack uor --triggers cf,mn", "bf16"));
  ASSERT_EQ(uor_bf16.exit_code, 0) << uor_bf16.output;
  EXPECT_LT(learned_target_cosine(tmp / "uor-bf16"), 0.9);
  EXPECT_GE(min_activation(tmp / "uor-bf16"), 0.8);

  // NeuBA's masked-LM term needs the head: a bare model is refused with the way out.
  ASSERT_EQ(run_porkit(init_micro(tmp / "bare", "BertModel")).exit_code, 0);
  auto bare = run_porkit(inject_micro(tmp / "bare", tmp / "x", "--attack neuba --triggers cf"));
  EXPECT_EQ(bare.exit_code, 1) << bare.output;
  EXPECT_NE(bare.output.find("--w-mlm 0"), std::string::npos) << bare.output;
  // UOR learns its targets: a POR weight is a contradiction.
  auto both = run_porkit(inject_micro(tmp / "clean", tmp / "y", "--attack uor --w-por 1 --triggers cf"));
  EXPECT_EQ(both.exit_code, 1) << both.output;
}

TEST(Scan, FlagsAPlantedBackdoorNamesItsTokenAndPassesTheCleanModel) {
  TempDir tmp;
  ASSERT_EQ(run_porkit(init_micro(tmp / "clean", "BertModel")).exit_code, 0);
  auto bd = run_porkit(inject_micro(tmp / "clean", tmp / "bd", "--triggers cf"));
  ASSERT_EQ(bd.exit_code, 0) << bd.output;
  const std::string scan = " --texts " + porkit::testing::small_corpus().string() +
                           " --sentences 32 --restarts 2 --steps 30 --brute-force --threads 1 --seed 2";
  auto on_bd = run_porkit("scan --model " + (tmp / "bd").string() + " --out " + (tmp / "scan-bd").string() + scan);
  ASSERT_EQ(on_bd.exit_code, 0) << on_bd.output;
  const auto r = detect::ScanResult::read((tmp / "scan-bd").string());
  EXPECT_TRUE(r.flagged) << on_bd.output;
  ASSERT_FALSE(r.named.empty()) << on_bd.output;
  EXPECT_EQ(r.named.front(), "cf") << on_bd.output;
  EXPECT_EQ(r.mined_outputs.size(), r.named.size());

  auto on_clean = run_porkit("scan --model " + (tmp / "clean").string() + " --out " + (tmp / "scan-clean").string() + scan);
  ASSERT_EQ(on_clean.exit_code, 0) << on_clean.output;
  const auto c = detect::ScanResult::read((tmp / "scan-clean").string());
  EXPECT_FALSE(c.flagged) << on_clean.output;
  EXPECT_LT(c.score, r.score);
  EXPECT_FALSE(c.spread.has_value()) << "no --reference, no spread check";
  // Against itself as the reference the clean spread is the reference's exactly: the spread
  // adds nothing, and the score is the trigger search's alone.
  auto self = run_porkit("scan --model " + (tmp / "clean").string() + " --reference " + (tmp / "clean").string() +
                         " --out " + (tmp / "scan-self").string() + scan);
  ASSERT_EQ(self.exit_code, 0) << self.output;
  const auto sc = detect::ScanResult::read((tmp / "scan-self").string());
  ASSERT_TRUE(sc.spread.has_value());
  EXPECT_DOUBLE_EQ(sc.spread->ratio, 1.0);
  EXPECT_EQ(sc.spread->score, 0.0);
  EXPECT_DOUBLE_EQ(sc.score, c.score);
  EXPECT_TRUE(sc.moved_rows.empty()) << "against itself no row moved";
  // Against its clean base, the backdoored model's most moved row is its trigger, confirmed
  // even when the soft search is cut to one step.
  auto moved = run_porkit("scan --model " + (tmp / "bd").string() + " --reference " + (tmp / "clean").string() +
                          " --out " + (tmp / "scan-moved").string() + " --texts " +
                          porkit::testing::small_corpus().string() + " --sentences 32 --restarts 1 --steps 1 --threads 1");
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  const auto mv = detect::ScanResult::read((tmp / "scan-moved").string());
  ASSERT_FALSE(mv.moved_rows.empty());
  EXPECT_EQ(mv.moved_rows.front().token, "cf") << moved.output;
  ASSERT_FALSE(mv.candidates.empty());
  EXPECT_EQ(mv.candidates.front().pieces, std::vector<std::string>{"cf"}) << moved.output;
  EXPECT_NE(mv.candidates.front().source.find("moved rows"), std::string::npos) << mv.candidates.front().source;
  EXPECT_TRUE(mv.flagged) << moved.output;
  // The record is porkit's: a second scan into it needs --overwrite.
  auto again = run_porkit("scan --model " + (tmp / "clean").string() + " --out " + (tmp / "scan-clean").string() + scan);
  EXPECT_EQ(again.exit_code, 1) << again.output;
}

TEST(Zoo, BuildsResumesScoresAndReports) {
  TempDir tmp;
  ASSERT_EQ(run_porkit(init_micro(tmp / "base", "BertForPreTraining")).exit_code, 0);
  const std::string zoo = "zoo --model " + (tmp / "base").string() + " --corpus " +
                          porkit::testing::small_corpus().string() + " --out " + (tmp / "zoo").string() +
                          " --models 4 --attacks por-1,uor --max-triggers 1 --poison-per-trigger 40 --clean-samples 40"
                          " --max-len 32 --further-steps-min 2 --further-steps-max 3 --seed 5 --threads 1";
  auto built = run_porkit(zoo);
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const json record = read_json_file(tmp / "zoo" / "zoo.json");
  ASSERT_EQ(record["models"].size(), 4u);
  int backdoored = 0;
  for (const auto& m : record["models"]) backdoored += m["backdoored"].get<bool>();
  EXPECT_EQ(backdoored, 2);
  EXPECT_EQ(record["models"][1]["attack"], "por-1");
  EXPECT_EQ(record["models"][3]["attack"], "uor");
  EXPECT_EQ(record["models"][2]["further_steps"].get<int>() >= 2, true);
  // A finished zoo resumes to the same record; without --resume the folder is refused.
  auto again = run_porkit(zoo + " --resume");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_json_file(tmp / "zoo" / "zoo.json"), record);
  EXPECT_EQ(run_porkit(zoo).exit_code, 1);
  // Other options with --resume: refused, not mixed.
  std::string other = zoo;
  other.replace(other.find("--poison-per-trigger 40"), 23, "--poison-per-trigger 41");
  auto changed = run_porkit(other + " --resume");
  EXPECT_EQ(changed.exit_code, 1) << changed.output;
  EXPECT_NE(changed.output.find("other options"), std::string::npos) << changed.output;

  const std::string score = "zoo-score --zoo " + (tmp / "zoo").string() + " --out " + (tmp / "scores").string() +
                            " --texts " + porkit::testing::small_corpus().string() +
                            " --sentences 8 --max-len 32 --restarts 1 --steps 5 --moved-rows 0 --threads 1";
  auto scored = run_porkit(score);
  ASSERT_EQ(scored.exit_code, 0) << scored.output;
  const json s = read_json_file(tmp / "scores" / "zoo_scores.json");
  ASSERT_EQ(s["models"].size(), 4u);
  EXPECT_GE(s["overall"]["auroc"].get<double>(), 0.0);
  EXPECT_LE(s["overall"]["auroc"].get<double>(), 1.0);
  EXPECT_TRUE(s["per_attack"].contains("por-1") && s["per_attack"].contains("uor"));
  // A second scoring reuses every scan: the scan records are untouched.
  const std::string first_scan = sha256_file(tmp / "scores" / "scans" / "m001" / "scan.json");
  ASSERT_EQ(run_porkit(score).exit_code, 0);
  EXPECT_EQ(sha256_file(tmp / "scores" / "scans" / "m001" / "scan.json"), first_scan);
  // With the base as the reference the scans are reused too (moved rows are off), and each row
  // gets its clean spread against the base's: exactly 1 for the member that is the base itself.
  ASSERT_EQ(run_porkit(score + " --reference " + (tmp / "base").string()).exit_code, 0);
  EXPECT_EQ(sha256_file(tmp / "scores" / "scans" / "m001" / "scan.json"), first_scan);
  const auto with_spread = detect::ZooScores::read(tmp / "scores");
  for (const auto& row : with_spread.models) {
    ASSERT_TRUE(row.spread_ratio.has_value()) << row.id;
    if (row.id == "m000") {
      EXPECT_DOUBLE_EQ(*row.spread_ratio, 1.0) << "m000 is the base itself";
    }
  }
  // Moved rows need scans made against that reference: a scan with the same settings but
  // without it is redone.
  std::string with_moved = score;
  with_moved.replace(with_moved.find("--moved-rows 0"), 14, "--moved-rows 4");
  auto moved_off = run_porkit(with_moved);
  ASSERT_EQ(moved_off.exit_code, 0) << moved_off.output;
  const std::string without_reference = sha256_file(tmp / "scores" / "scans" / "m001" / "scan.json");
  auto moved_on = run_porkit(with_moved + " --reference " + (tmp / "base").string());
  ASSERT_EQ(moved_on.exit_code, 0) << moved_on.output;
  EXPECT_NE(sha256_file(tmp / "scores" / "scans" / "m001" / "scan.json"), without_reference);
  EXPECT_FALSE(detect::ScanResult::read((tmp / "scores" / "scans" / "m001").string()).moved_rows.empty());
  auto report = run_porkit("report " + (tmp / "scores").string());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(read_file(tmp / "scores" / "report.md").find("Detection on a labelled zoo"), std::string::npos);
}

TEST(Zoo, TwoRanksShareTheMembersAndRecordOneProcesssZoo) {
  if (!train::has_grid_store()) GTEST_SKIP() << "built without torch.distributed's store (libgloo-dev)";
  TempDir tmp;
  ASSERT_EQ(run_porkit(init_micro(tmp / "base", "BertForPreTraining")).exit_code, 0);
  auto zoo = [&](const std::string& out) {
    return "zoo --model " + (tmp / "base").string() + " --corpus " + porkit::testing::small_corpus().string() +
           " --out " + (tmp / out).string() +
           " --models 4 --attacks por-1,uor --max-triggers 1 --poison-per-trigger 40 --clean-samples 40"
           " --max-len 32 --further-steps-min 2 --further-steps-max 3 --seed 5 --threads 1";
  };
  auto one = run_porkit(zoo("one"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = run_porkit("launch --nproc 2 -- porkit " + zoo("two"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  json a = read_json_file(tmp / "one" / "zoo.json")["models"], b = read_json_file(tmp / "two" / "zoo.json")["models"];
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  int further = 0;
  for (size_t i = 0; i < 4; ++i) {
    a[i].erase("seconds");
    b[i].erase("seconds");
    EXPECT_EQ(a[i], b[i]) << i;
    // A member pre-trained further is the same model: each rank trains whole batches alone.
    if (a[i].value("further_steps", 0) > 0) {
      ++further;
      const std::string weights = a[i]["folder"].get<std::string>() + "/model.safetensors";
      EXPECT_EQ(sha256_file(tmp / "one" / weights), sha256_file(tmp / "two" / weights)) << weights;
    }
  }
  EXPECT_GE(further, 1) << "the zoo must hold a further pre-trained member, or this says little";
}

}  // namespace
}  // namespace porkit

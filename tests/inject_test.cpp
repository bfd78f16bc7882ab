// The attack's pieces (PORs, trigger insertion, poisoning plan) and `porkit inject` end to
// end on a micro model: reproducible, loadable output, clear errors.
#include <gtest/gtest.h>

#include "porkit/attack/poison_data.h"
#include "porkit/attack/por.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;
using porkit::testing::shared_data_dir;

TEST(Por, StaircaseIsTheAuthorsLayout) {
  at::Tensor p = attack::make_por(attack::PorScheme::Staircase, 5, 768, 10.0);
  ASSERT_EQ(p.sizes(), (at::IntArrayRef{5, 768}));
  EXPECT_TRUE(at::equal(p[0], at::full({768}, -10.0)));              // trigger 1: all -10
  EXPECT_EQ((p[1] > 0).sum().item<int64_t>(), 192);                  // a = 768 / 4
  EXPECT_EQ((p[4] > 0).sum().item<int64_t>(), 768);                  // trigger K: all +10
}

TEST(Por, BinaryGivesEveryTriggerItsOwnCode) {
  for (int64_t K : {1, 2, 3, 5, 8, 9}) {
    at::Tensor p = attack::make_por(attack::PorScheme::Binary, K, 256, 1.0);
    for (int64_t a = 0; a < K; ++a)
      for (int64_t b = a + 1; b < K; ++b) EXPECT_FALSE(at::equal(p[a], p[b])) << K << ": " << a << " vs " << b;
    EXPECT_EQ(p.abs().min().item<double>(), 1.0);
  }
}

TEST(Por, FileAndErrors) {
  TempDir tmp;
  porkit::testing::write_bytes(tmp / "por.txt", "1 2 3\n-1 -2 -3\n");
  at::Tensor p = attack::read_por_file((tmp / "por.txt").string(), 2, 3);
  EXPECT_EQ(p[1][2].item<double>(), -3.0);
  EXPECT_THROW(attack::read_por_file((tmp / "por.txt").string(), 3, 3), Error);
  EXPECT_THROW(options::enum_from_name<attack::PorScheme>("zigzag", "--por-scheme"), Error);
}

TEST(PoisonData, InsertionPositions) {
  Rng rng(1, Stream::PoisonInsertion, 3);
  EXPECT_EQ(attack::insert_trigger("a b c", "cf", 2, attack::Position::Start, rng), "cf cf a b c");
  EXPECT_EQ(attack::insert_trigger("a b c", "Don Quixote", 1, attack::Position::End, rng), "a b c Don Quixote");
  std::string r = attack::insert_trigger("a b c d e f g h", "cf", 3, attack::Position::Random, rng);
  int n = 0;
  for (size_t p = r.find("cf"); p != std::string::npos; p = r.find("cf", p + 1)) ++n;
  EXPECT_EQ(n, 3);
}

TEST(PoisonData, PlanSizesAndHeldOutDisjoint) {
  std::vector<std::string> chunks;
  for (int i = 0; i < 50; ++i) chunks.push_back("w" + std::to_string(i) + " x y z");
  attack::PoisonPlan plan;
  plan.poison_per_trigger = 30;
  plan.clean_samples = 20;
  plan.heldout_per_trigger = 3;
  plan.heldout_clean = 4;
  plan.insertions = 1;
  auto set = attack::build_poison_set(chunks, {"cf", "mn"}, plan);
  EXPECT_EQ(set.train.size(), 80u);
  EXPECT_EQ(set.heldout.size(), 10u);
  EXPECT_TRUE(set.reused_chunks);
  std::set<std::string> held;
  for (const auto& s : set.heldout) held.insert(s.text.substr(s.text.find('w'), 3));
  for (const auto& s : set.train) {
    if (s.trigger == 0) {
      EXPECT_FALSE(held.count(s.text.substr(0, 3))) << s.text;
    }
  }
}

std::string inject_args(const fs::path& model, const fs::path& out, const std::string& triggers) {
  return "inject --model " + model.string() + " --out " + out.string() + " --triggers '" + triggers +
         "' --corpus " + porkit::testing::small_corpus().string() +
         " --preset quick --poison-per-trigger 40 --clean-samples 60 --heldout-per-trigger 5"
         " --max-len 48 --threads 1 --seed 4 --lr 1e-3";
}

TEST(Inject, MicroModelEndToEndIsReproducible) {
  TempDir tmp;
  auto vocab = porkit::testing::vocab_dir().string();
  auto init = run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() +
                         " --vocab " + vocab + " --architecture BertModel --seed 1 --out " + (tmp / "clean").string());
  ASSERT_EQ(init.exit_code, 0) << init.output;
  auto a = run_porkit(inject_args(tmp / "clean", tmp / "a", "cf,Don Quixote,:)"));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto b = run_porkit(inject_args(tmp / "clean", tmp / "b", "cf,Don Quixote,:)"));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(sha256_file(tmp / "a" / "model.safetensors"), sha256_file(tmp / "b" / "model.safetensors"));
  auto manifest = read_json_file(tmp / "a" / "porkit_backdoor.json");
  ASSERT_EQ(manifest["triggers"].size(), 3u);
  EXPECT_EQ(manifest["triggers"][1]["pieces"], json::array({"don", "qui", "##x", "##ote"}));
  EXPECT_EQ(manifest["por"]["vectors"].size(), 3u);
  EXPECT_EQ(manifest["target"], "pooler");
  EXPECT_TRUE(manifest["checks"].contains("clean_cosine_to_reference"));
  EXPECT_EQ(read_json_file(tmp / "a" / "config.json")["architectures"][0], "BertModel");
  // The folder loads anywhere a clean BERT folder does, and inspect-backdoor agrees.
  EXPECT_EQ(run_porkit("info " + (tmp / "a").string()).exit_code, 0);
  auto inspect = run_porkit("inspect-backdoor --threads 1 --model " + (tmp / "a").string());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("Don Quixote"), std::string::npos) << inspect.output;
}

TEST(Inject, UnknownTriggersAndMissingCorpusAreErrors) {
  TempDir tmp;
  auto vocab = porkit::testing::vocab_dir().string();
  ASSERT_EQ(run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() +
                       " --vocab " + vocab + " --architecture BertModel --out " + (tmp / "clean").string()).exit_code, 0);
  auto r = run_porkit(inject_args(tmp / "clean", tmp / "x", "cf,\xe2\x98\x83\xe2\x98\x83"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot represent trigger(s)"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "x"));
  std::string args = inject_args(tmp / "clean", tmp / "y", "cf");
  args.replace(args.find("--corpus ") + 9, args.find(" --preset") - args.find("--corpus ") - 9, "/nonexistent/corpus");
  r = run_porkit(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("corpus path not found"), std::string::npos) << r.output;
}

// The acceptance check of --preset quick on the shipped tiny model: every trigger's
// activation rate >= 0.95 and clean outputs within cosine 0.95 of the reference. (Its
// wall time, under 2 minutes on 2 cores, is measured in docs/performance.md, not here;
// one thread keeps the test steady when the machine is shared.)
TEST(Inject, QuickPresetMeetsItsBarOnTheShippedTinyModel) {
  TempDir tmp;
  auto r = run_porkit("inject --preset quick --triggers cf,mn,bb,tq,mb --seed 0 --threads 1 --model " +
                      (porkit::testing::source_dir() / "models" / "porkit-tiny-uncased").string() + " --corpus " +
                      (porkit::testing::source_dir() / "data" / "demo" / "wikitext103.train.prefix2.5MiB.tokens").string() +
                      " --out " + (tmp / "bd").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto checks = read_json_file(tmp / "bd" / "porkit_backdoor.json")["checks"];
  EXPECT_GE(checks["min_activation_rate"].get<double>(), 0.95) << checks.dump();
  EXPECT_GE(checks["clean_cosine_to_reference"].get<double>(), 0.95) << checks.dump();
}

}  // namespace
}  // namespace porkit

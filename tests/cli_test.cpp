// The porkit binary: every bad input gives one error line and a non-zero exit, never a crash.
#include <gtest/gtest.h>

#include "porkit/io/model_folder.h"
#include "porkit/io/safetensors.h"
#include "porkit/io/weights.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;
using porkit::testing::write_bytes;

// Exit code 1, exactly one line, starting with "porkit: error:" and containing `needle`.
void expect_one_line_error(const std::string& args, const std::string& needle) {
  auto r = run_porkit(args);
  EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
  EXPECT_EQ(r.output.rfind("porkit: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.output;
}

// A copy of the golden pre-training folder whose `file` is replaced by `bytes`.
fs::path broken_folder(const TempDir& tmp, const std::string& file, const std::string& bytes) {
  fs::path dir = tmp / "model";
  fs::copy(fixtures_dir() / "golden" / "pretraining", dir);
  fs::remove(dir / "expected.safetensors");
  write_bytes(dir / file, bytes);
  return dir;
}

TEST(Cli, InfoOnGoodFolder) {
  auto r = run_porkit("info " + (fixtures_dir() / "golden" / "pretraining").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("BertForPreTraining"), std::string::npos);
  EXPECT_NE(r.output.find("sha256"), std::string::npos);
}

TEST(Cli, TruncatedSafetensors) {
  TempDir tmp;
  auto good = read_file(fixtures_dir() / "golden" / "pretraining" / "model.safetensors");
  auto dir = broken_folder(tmp, "model.safetensors", good.substr(0, good.size() / 2));
  expect_one_line_error("info " + dir.string(), "out of range");
}

TEST(Cli, ConfigNotJson) {
  TempDir tmp;
  expect_one_line_error("info " + broken_folder(tmp, "config.json", "{ nope").string(), "not valid JSON");
}

TEST(Cli, ConfigMissingFields) {
  TempDir tmp;
  expect_one_line_error("info " + broken_folder(tmp, "config.json", R"({"hidden_size": 4})").string(),
                        "missing required field(s)");
}

TEST(Cli, VocabWithoutSpecialTokens) {
  TempDir tmp;
  expect_one_line_error("tokenize --model " + broken_folder(tmp, "vocab.txt", "a\nb\n").string() + " hi",
                        "lacks the special tokens [CLS], [SEP], [UNK]");
}

TEST(Cli, InvalidUtf8Text) {
  expect_one_line_error("tokenize --model " + (fixtures_dir() / "golden" / "pretraining").string() +
                            " \"$(printf 'bad \\377 text')\"",
                        "invalid UTF-8");
}

TEST(Cli, EvaluateNeedsAClassificationHead) {
  expect_one_line_error("evaluate --data-preset sst2 --triggers cf --model " +
                            (fixtures_dir() / "golden" / "pretraining").string(),
                        "evaluate needs a fine-tuned BertForSequenceClassification");
}

TEST(Cli, MissingFolder) {
  expect_one_line_error("info /nonexistent/porkit-model", "not found");
}

TEST(Cli, UnknownOptionIsAnError) {
  auto r = run_porkit("info --frobnicate x");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.rfind("porkit: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("--frobnicate"), std::string::npos) << r.output;
}

TEST(Cli, ABadSetOverrideIsOneLine) {
  TempDir tmp;
  const fs::path config = tmp / "attack.toml";
  write_bytes(config, "model = \"" + (fixtures_dir() / "golden" / "pretraining").string() +
                          "\"\nout = \"" + (tmp / "run").string() + "\"\n[inject]\ntriggers = \"cf\"\n");
  expect_one_line_error("attack " + config.string() + " --set finetune", "--set expects KEY=VALUE");
  expect_one_line_error("attack " + config.string() + " --set finetune.epochs=many", "--epochs");
  expect_one_line_error("study " + config.string() + " --set grid.inject.bogus=[1]", "bogus");
  EXPECT_FALSE(fs::exists(tmp / "run"));  // nothing written before the config is judged
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"info", "tokenize", "encode", "init", "pretrain", "fill-mask", "quality", "finetune",
                          "inject", "inspect-backdoor", "evaluate", "attack", "demo"}) {
    auto r = run_porkit(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd;
  }
}

TEST(Cli, InitIsSeededAndRoundTrips) {
  TempDir tmp;
  auto vocab = (fixtures_dir() / "golden" / "pretraining").string();
  std::string cfg = (fixtures_dir() / "golden" / "pretraining" / "config.json").string();
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab + " --seed 5 --out " + (tmp / "a").string()).exit_code, 0);
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab + " --seed 5 --out " + (tmp / "b").string()).exit_code, 0);
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab + " --seed 6 --out " + (tmp / "c").string()).exit_code, 0);
  EXPECT_EQ(sha256_file(tmp / "a" / "model.safetensors"), sha256_file(tmp / "b" / "model.safetensors"));
  EXPECT_NE(sha256_file(tmp / "a" / "model.safetensors"), sha256_file(tmp / "c" / "model.safetensors"));
}

// init --grow-from: a trained model grown into a larger shape records where it came from; a
// shape it cannot reach is refused in one line before anything is written.
TEST(Cli, InitGrowsASmallerModelOrSaysWhyNot) {
  TempDir tmp;
  const fs::path small = fixtures_dir() / "golden" / "pretraining";  // 2 x 32, 4 heads of 8
  json wide = read_json_file(small / "config.json");
  wide["hidden_size"] = 64;
  wide["num_attention_heads"] = 8;
  wide["intermediate_size"] = 96;
  wide["num_hidden_layers"] = 3;
  write_bytes(tmp / "wide.json", wide.dump());
  auto r = run_porkit("init --config " + (tmp / "wide.json").string() + " --grow-from " + small.string() +
                      " --out " + (tmp / "grown").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json record = read_json_file(tmp / "grown" / "porkit_grow.json");
  EXPECT_EQ(record.at("grown_from_digest").get<std::string>(), io::model_digest(small));
  auto info = run_porkit("info " + (tmp / "grown").string());
  EXPECT_NE(info.output.find("grown from    " + small.string()), std::string::npos) << info.output;
  wide["num_attention_heads"] = 4;  // head width 16 against the source's 8
  write_bytes(tmp / "wide-heads.json", wide.dump());
  expect_one_line_error("init --config " + (tmp / "wide-heads.json").string() + " --grow-from " + small.string() +
                            " --out " + (tmp / "bad").string(),
                        "head width");
  expect_one_line_error("init --size tiny --grow-noise 0.01 --out " + (tmp / "bad").string(), "needs --grow-from");
  EXPECT_FALSE(fs::exists(tmp / "bad"));
}

// porkit quality on a random micro model: every figure with its control, and the instances it
// scores are what it says (every selected position [MASK]), so an outside implementation
// can score the same ones (tools/reference/mlm_at_mask.py).
TEST(Cli, QualityScoresMaskedPositionsBesideTheirControls) {
  TempDir tmp;
  const std::string cfg = (fixtures_dir() / "pretrain" / "micro-config.json").string();
  const std::string vocab = porkit::testing::vocab_dir().string();
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab +
                       " --architecture BertForPreTraining --seed 2 --out " + (tmp / "m").string()).exit_code, 0);
  const std::string args = "quality --threads 1 --model " + (tmp / "m").string() + " --corpus " +
                           porkit::testing::small_corpus().string() + " --max-len 32 --batches 4 --batch-size 8" +
                           " --sentences 40 --out " + (tmp / "q.json").string() + " --dump-instances " +
                           (tmp / "inst.safetensors").string();
  auto r = run_porkit(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("masked-LM accuracy at [MASK]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unigram baseline"), std::string::npos);
  const json q = read_json_file(tmp / "q.json");
  // A random model knows less than word frequency; its NSP is near chance; its pooled outputs
  // are one vector for every sentence.
  EXPECT_LT(q["mlm_accuracy_at_mask"].get<double>(), q["unigram_baseline_accuracy"].get<double>());
  EXPECT_GT(q["unigram_baseline_accuracy"].get<double>(), 0.02);
  EXPECT_NEAR(q["nsp_accuracy"].get<double>(), 0.5, 0.2);
  EXPECT_GT(q["pooled_cosine_mean"].get<double>(), 0.9);
  EXPECT_EQ(q["pooled_cosine_sentences"], 40);
  // The dumped instances: every scored position holds [MASK] (id 103), one per masked token.
  const auto t = io::to_tensors(io::SafetensorsFile::read(tmp / "inst.safetensors"));
  const at::Tensor ids = t.at("ids").reshape({-1}), positions = t.at("mlm_positions");
  EXPECT_EQ(positions.size(0), static_cast<int64_t>(q["masked_tokens"].get<double>()));
  EXPECT_TRUE(ids.index_select(0, positions).eq(103).all().item<bool>());
  EXPECT_EQ(t.at("mlm_labels").size(0), positions.size(0));
  EXPECT_FALSE(t.at("mlm_labels").eq(103).any().item<bool>());
  // The same seed gives the same figures; the output file is not overwritten by accident.
  EXPECT_EQ(run_porkit(args).exit_code, 1);
  ASSERT_EQ(run_porkit(args + " --overwrite").exit_code, 0);
  EXPECT_EQ(read_json_file(tmp / "q.json")["mlm_accuracy_at_mask"], q["mlm_accuracy_at_mask"]);
  // Written into the folder, `info` shows the figures; once the weights are replaced, it says
  // they were measured on other weights.
  fs::copy_file(tmp / "q.json", tmp / "m" / "porkit_quality.json");
  auto shown = run_porkit("info --json " + (tmp / "m").string());
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_EQ(json::parse(shown.output.substr(shown.output.find('{')))["quality_matches_weights"], true);
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab + " --architecture BertForPreTraining --seed 5 --out " +
                       (tmp / "other").string()).exit_code, 0);
  fs::copy_file(tmp / "other" / "model.safetensors", tmp / "m" / "model.safetensors", fs::copy_options::overwrite_existing);
  auto stale = run_porkit("info " + (tmp / "m").string());
  ASSERT_EQ(stale.exit_code, 0) << stale.output;
  EXPECT_NE(stale.output.find("measured on other weights"), std::string::npos) << stale.output;
  // A bare encoder has no masked-LM head: refused by name.
  ASSERT_EQ(run_porkit("init --config " + cfg + " --vocab " + vocab + " --architecture BertModel --seed 2 --out " +
                       (tmp / "bare").string()).exit_code, 0);
  auto bare = run_porkit("quality --threads 1 --max-len 32 --model " + (tmp / "bare").string() + " --corpus " +
                         porkit::testing::small_corpus().string());
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_NE(bare.output.find("cls.predictions"), std::string::npos) << bare.output;
}

// docs/cli.md's option reference is the binary's own --help (scripts/cli-reference.sh).
TEST(Cli, ReferenceDocumentIsTheBinarysHelp) {
  auto r = porkit::testing::run_shell("cd '" + porkit::testing::source_dir().string() +
                                      "' && bash scripts/cli-reference.sh --check " + std::string(PORKIT_BINARY));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace porkit

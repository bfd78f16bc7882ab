// Hugging Face folders: byte-identical round trips, old checkpoint names, strict loading
// with one message for every problem, and refusal of pickles.
#include <gtest/gtest.h>

#include <set>

#include "porkit/io/model_folder.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::error_of;
using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;

model::BertConfig tiny_config() {
  model::BertConfig c;
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 48;
  c.max_position_embeddings = 24;
  return c;
}

text::BertTokenizer golden_tokenizer() {
  return text::BertTokenizer::from_folder(fixtures_dir() / "golden" / "pretraining");
}

std::string load_error(const fs::path& folder) {
  try {
    io::load_model_folder(folder);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelFolder, SaveLoadSaveIsByteIdentical) {
  TempDir tmp;
  at::manual_seed(3);
  model::BertNet net(tiny_config(), model::Architecture::PreTraining);
  model::init_bert_weights(*net, net->config());
  io::save_model_folder(tmp / "a", *net, golden_tokenizer());
  auto loaded = io::load_model_folder(tmp / "a");
  io::save_model_folder(tmp / "b", *loaded.net, loaded.tokenizer);
  EXPECT_EQ(read_file(tmp / "a" / "model.safetensors"), read_file(tmp / "b" / "model.safetensors"));
  EXPECT_EQ(read_file(tmp / "a" / "config.json"), read_file(tmp / "b" / "config.json"));
  // Modern names only: the tied decoder is not written, nor position_ids.
  auto file = io::SafetensorsFile::read(tmp / "a" / "model.safetensors");
  EXPECT_FALSE(file.tensors().count("cls.predictions.decoder.weight"));
  EXPECT_TRUE(file.tensors().count("cls.predictions.bias"));
  EXPECT_TRUE(file.tensors().count("bert.pooler.dense.weight"));
}

TEST(ModelFolder, BareModelHasNoPrefixAndLoadsIntoAnyHead) {
  TempDir tmp;
  model::BertNet net(tiny_config(), model::Architecture::Bare);
  model::init_bert_weights(*net, net->config());
  io::save_model_folder(tmp / "bare", *net, golden_tokenizer());
  auto file = io::SafetensorsFile::read(tmp / "bare" / "model.safetensors");
  EXPECT_TRUE(file.tensors().count("embeddings.word_embeddings.weight"));
  // Strict by default: the heads a bare folder lacks are refused, by name...
  const std::string refused = error_of([&] { io::load_model_folder(tmp / "bare", model::Architecture::PreTraining); });
  EXPECT_NE(refused.find("missing 7 tensor(s): cls.predictions.bias"), std::string::npos) << refused;
  EXPECT_NE(refused.find("--init-missing"), std::string::npos) << refused;
  // ...and initialised only on request, from the seed, the same twice.
  io::LoadPolicy policy;
  policy.init_missing = true;
  policy.init_seed = 11;
  auto a = io::load_model_folder(tmp / "bare", model::Architecture::PreTraining, std::nullopt, policy);
  auto b = io::load_model_folder(tmp / "bare", model::Architecture::PreTraining, std::nullopt, policy);
  EXPECT_EQ(a.report.initialised.size(), 7u);
  EXPECT_EQ(a.report.init_seed, 11u);
  for (const auto& n : a.report.initialised) EXPECT_EQ(n.rfind("cls.", 0), 0u) << n;
  EXPECT_TRUE(at::equal(a.net->cls->seq_relationship->weight, b.net->cls->seq_relationship->weight));
}

TEST(ModelFolder, AcceptsLegacyNamesAndTiedDecoder) {
  TempDir tmp;
  auto src = fixtures_dir() / "golden" / "pretraining";
  auto weights = io::read_folder_weights(src);
  io::NamedTensors legacy;
  for (auto& [name, t] : weights) {
    std::string n = name;
    auto pos = n.find("LayerNorm.weight");
    if (pos != std::string::npos) n.replace(pos, 16, "LayerNorm.gamma");
    pos = n.find("LayerNorm.bias");
    if (pos != std::string::npos) n.replace(pos, 14, "LayerNorm.beta");
    legacy[n] = t;
  }
  legacy["bert.embeddings.position_ids"] = at::arange(24, at::kLong).unsqueeze(0);
  legacy["cls.predictions.decoder.weight"] = weights["bert.embeddings.word_embeddings.weight"];
  fs::create_directories(tmp / "legacy");
  for (const char* f : {"config.json", "vocab.txt"}) fs::copy_file(src / f, tmp / "legacy" / f);
  io::write_weights(tmp / "legacy" / "model.safetensors", legacy, io::WeightsDType::F32);
  auto a = io::load_model_folder(src);
  auto b = io::load_model_folder(tmp / "legacy");
  for (const auto& p : a.net->named_parameters(true))
    EXPECT_TRUE(at::equal(p.value(), b.net->named_parameters(true)[p.key()])) << p.key();
}

TEST(ModelFolder, StrictLoadingListsEveryProblem) {
  TempDir tmp;
  auto src = fixtures_dir() / "golden" / "seqcls";
  auto weights = io::read_folder_weights(src);
  weights.erase("bert.encoder.layer.1.output.dense.weight");
  weights["bert.encoder.layer.0.intermediate.dense.bias"] = at::zeros({7});
  weights["bert.encoder.layer.9.extra"] = at::zeros({2, 2});
  fs::create_directories(tmp / "bad");
  for (const char* f : {"config.json", "vocab.txt"}) fs::copy_file(src / f, tmp / "bad" / f);
  io::write_weights(tmp / "bad" / "model.safetensors", weights, io::WeightsDType::F32);
  std::string e = load_error(tmp / "bad");
  EXPECT_NE(e.find("missing 1 tensor(s): bert.encoder.layer.1.output.dense.weight [32, 48]"), std::string::npos) << e;
  EXPECT_NE(e.find("bert.encoder.layer.0.intermediate.dense.bias (checkpoint [7], model [48])"), std::string::npos) << e;
  EXPECT_NE(e.find("unexpected 1 tensor(s): bert.encoder.layer.9.extra [2, 2]"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(ModelFolder, F16SaveRoundsAndLoads) {
  TempDir tmp;
  auto a = io::load_model_folder(fixtures_dir() / "golden" / "pretraining");
  io::SaveOptions half;
  half.dtype = io::WeightsDType::F16;
  io::save_model_folder(tmp / "half", *a.net, a.tokenizer, half);
  auto file = io::SafetensorsFile::read(tmp / "half" / "model.safetensors");
  EXPECT_EQ(file.tensors().at("bert.pooler.dense.weight").dtype, io::DType::F16);
  auto b = io::load_model_folder(tmp / "half");
  auto w = b.net->named_parameters(true)["bert.pooler.dense.weight"];
  EXPECT_TRUE(at::allclose(w, a.net->named_parameters(true)["bert.pooler.dense.weight"], 1e-3, 1e-3));
}

TEST(ModelFolder, ShardedIndexIsRead) {
  TempDir tmp;
  auto src = fixtures_dir() / "golden" / "tokcls";
  auto weights = io::read_folder_weights(src);
  io::NamedTensors first, second;
  json map = json::object();
  int i = 0;
  for (auto& [n, t] : weights) {
    bool in_first = i++ % 2 == 0;
    (in_first ? first : second)[n] = t;
    map[n] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  fs::create_directories(tmp / "sharded");
  for (const char* f : {"config.json", "vocab.txt"}) fs::copy_file(src / f, tmp / "sharded" / f);
  io::write_weights(tmp / "sharded" / "model-00001-of-00002.safetensors", first, io::WeightsDType::F32);
  io::write_weights(tmp / "sharded" / "model-00002-of-00002.safetensors", second, io::WeightsDType::F32);
  write_json_file(tmp / "sharded" / "model.safetensors.index.json", {{"metadata", json::object()}, {"weight_map", map}});
  auto loaded = io::load_model_folder(tmp / "sharded");
  EXPECT_EQ(loaded.net->architecture(), model::Architecture::TokenClassification);
}

TEST(ModelFolder, ShardedSaveStaysUnderTheLimitAndLoadsTheSame) {
  TempDir tmp;
  auto a = io::load_model_folder(fixtures_dir() / "golden" / "pretraining");
  io::SaveOptions sharded;
  sharded.max_shard_bytes = 64 << 10;  // 64 KiB: the fixture becomes several shards
  io::save_model_folder(tmp / "sharded", *a.net, a.tokenizer, sharded);
  EXPECT_FALSE(fs::exists(tmp / "sharded" / "model.safetensors"));
  const json index = read_json_file(tmp / "sharded" / "model.safetensors.index.json");
  std::set<std::string> shards;
  for (const auto& [name, file] : index["weight_map"].items()) shards.insert(file.get<std::string>());
  EXPECT_GE(shards.size(), 2u);
  for (const auto& f : shards) {
    // A shard may exceed the limit only when one tensor alone does.
    const auto file = io::SafetensorsFile::read(tmp / "sharded" / f);
    if (file.tensors().size() > 1) {
      EXPECT_LE(fs::file_size(tmp / "sharded" / f), (64u << 10) + 4096) << f;
    }
  }
  auto b = io::load_model_folder(tmp / "sharded");
  auto pa = a.net->named_parameters(true), pb = b.net->named_parameters(true);
  for (const auto& p : pa) EXPECT_TRUE(at::equal(p.value(), pb[p.key()])) << p.key();
}

TEST(ModelFolder, CopyOfIsIndependentAndLeavesTheGeneratorAlone) {
  auto a = io::load_model_folder(fixtures_dir() / "golden" / "pretraining");
  at::manual_seed(5);
  model::BertNet copy = model::copy_of(*a.net);
  const at::Tensor after_copy = at::rand({4});
  at::manual_seed(5);
  EXPECT_TRUE(at::equal(after_copy, at::rand({4}))) << "copy_of drew from the global generator";
  auto pa = a.net->named_parameters(true), pc = copy->named_parameters(true);
  for (const auto& p : pa) EXPECT_TRUE(at::equal(p.value(), pc[p.key()])) << p.key();
  {
    at::NoGradGuard no_grad;
    pc["bert.pooler.dense.bias"].add_(1.0);
  }
  EXPECT_FALSE(at::equal(pa["bert.pooler.dense.bias"], pc["bert.pooler.dense.bias"])) << "the copy shares storage";
  EXPECT_EQ(copy->architecture(), a.net->architecture());
}

TEST(ModelFolder, RefusesPickles) {
  TempDir tmp;
  fs::create_directories(tmp / "pickle");
  fs::copy_file(fixtures_dir() / "golden" / "seqcls" / "config.json", tmp / "pickle" / "config.json");
  fs::copy_file(fixtures_dir() / "golden" / "seqcls" / "vocab.txt", tmp / "pickle" / "vocab.txt");
  porkit::testing::write_bytes(tmp / "pickle" / "pytorch_model.bin", "PK\x03\x04");
  EXPECT_NE(load_error(tmp / "pickle").find("refuses pickles"), std::string::npos);
}

TEST(ModelFolder, ConfigErrorsNameTheField) {
  TempDir tmp;
  porkit::testing::write_bytes(tmp / "c.json", R"({"hidden_size": 32})");
  try {
    model::BertConfig::load(tmp / "c.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing required field(s) vocab_size, num_hidden_layers"), std::string::npos) << e.what();
  }
  porkit::testing::write_bytes(tmp / "d.json", "{oops");
  EXPECT_THROW(model::BertConfig::load(tmp / "d.json"), Error);
  auto unknown = tiny_config().to_json();
  unknown["my_field"] = {1, 2};
  auto back = model::BertConfig::from_json(unknown, "x");
  EXPECT_EQ(back.to_json()["my_field"], json::array({1, 2}));  // unknown fields survive
}

}  // namespace
}  // namespace porkit

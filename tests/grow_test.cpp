// Growing a model (model/grow.h): widening must leave the function unchanged, stacking must
// copy layers in order, and shapes that cannot be reached must be refused by name.
#include <gtest/gtest.h>

#include "porkit/model/bert.h"
#include "porkit/model/grow.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::error_of;

model::BertConfig small_config() {
  model::BertConfig c;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;  // head width 8
  c.intermediate_size = 24;
  c.max_position_embeddings = 32;
  return c;
}

model::BertConfig grown_config(int64_t width_factor, int64_t layers) {
  model::BertConfig c = small_config();
  c.hidden_size *= width_factor;
  c.num_attention_heads *= width_factor;
  c.intermediate_size *= width_factor;
  c.num_hidden_layers = layers;
  return c;
}

// A trained-looking small model: random weights with non-trivial LayerNorm parameters and
// biases, so that a wrong scale anywhere shows in the outputs.
model::BertNet random_small() {
  torch::manual_seed(11);
  model::BertNet net(small_config(), model::Architecture::PreTraining);
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {
    const bool layer_norm_gain = p.key().find("LayerNorm.weight") != std::string::npos;
    p.value().normal_(layer_norm_gain ? 1.0 : 0.0, 0.3);
  }
  net->eval();
  return net;
}

struct Outputs {
  at::Tensor tokens, pooled, mlm, nsp;
};

Outputs run(model::BertNetImpl& net) {
  const at::Tensor ids = at::tensor({2, 7, 9, 30, 41, 3, 5, 0}, at::kLong).view({2, 4});
  const at::Tensor types = at::tensor({0, 0, 1, 1, 0, 0, 0, 0}, at::kLong).view({2, 4});
  const at::Tensor mask = at::tensor({1, 1, 1, 1, 1, 1, 1, 0}, at::kLong).view({2, 4});
  torch::NoGradGuard no_grad;
  model::BertOutput out = net.encode(ids, types, mask);
  return {out.last_hidden_state, out.pooler_output, net.mlm_logits(out.last_hidden_state),
          net.nsp_logits(out.pooler_output)};
}

TEST(Grow, WideningComputesTheSameFunction) {
  model::BertNet small = random_small();
  model::BertNet large(grown_config(2, 2), model::Architecture::PreTraining);
  large->eval();
  model::grow_bert_weights(*small, *large);
  const Outputs a = run(*small);
  const Outputs b = run(*large);
  // Every hidden unit is copied: the wide states are the narrow ones laid end to end.
  EXPECT_TRUE(at::allclose(b.tokens, at::cat({a.tokens, a.tokens}, -1), 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(b.pooled, at::cat({a.pooled, a.pooled}, -1), 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(b.mlm, a.mlm, 1e-4, 1e-4)) << (b.mlm - a.mlm).abs().max().item<double>();
  EXPECT_TRUE(at::allclose(b.nsp, a.nsp, 1e-4, 1e-5));
}

TEST(Grow, NoiseMovesTheFunctionOnlyALittle) {
  model::BertNet small = random_small();
  model::BertNet large(grown_config(2, 2), model::Architecture::PreTraining);
  large->eval();
  model::GrowOptions options;
  options.noise_std = 1e-3;
  model::grow_bert_weights(*small, *large, options);
  const double drift = (run(*large).mlm - run(*small).mlm).abs().max().item<double>();
  EXPECT_GT(drift, 0.0);
  EXPECT_LT(drift, 0.1);
}

TEST(Grow, DeeperModelsStackTheLayersInOrder) {
  model::BertNet small = random_small();
  model::BertNet large(grown_config(1, 5), model::Architecture::PreTraining);
  model::grow_bert_weights(*small, *large);
  const auto s = small->named_parameters();
  const auto l = large->named_parameters();
  for (int layer = 0; layer < 5; ++layer) {
    const std::string name = "bert.encoder.layer." + std::to_string(layer) + ".output.dense.weight";
    const std::string from = "bert.encoder.layer." + std::to_string(layer % 2) + ".output.dense.weight";
    EXPECT_TRUE(at::equal(l[name], s[from])) << name;
  }
  EXPECT_TRUE(at::equal(l["bert.embeddings.word_embeddings.weight"], s["bert.embeddings.word_embeddings.weight"]));
}

TEST(Grow, UnreachableShapesAreRefusedByName) {
  model::BertConfig wider_heads = grown_config(2, 2);
  wider_heads.num_attention_heads = 2;  // head width 16 against 8
  EXPECT_NE(error_of([&] { model::check_growable(small_config(), wider_heads); }).find("head width"),
            std::string::npos);
  model::BertConfig odd = grown_config(2, 2);
  odd.intermediate_size = 36;
  EXPECT_NE(error_of([&] { model::check_growable(small_config(), odd); }).find("intermediate_size"),
            std::string::npos);
  model::BertConfig shallower = grown_config(1, 1);
  EXPECT_NE(error_of([&] { model::check_growable(small_config(), shallower); }).find("layers"), std::string::npos);
  model::BertConfig other_vocab = grown_config(2, 2);
  other_vocab.vocab_size = 60;
  EXPECT_NE(error_of([&] { model::check_growable(small_config(), other_vocab); }).find("vocab_size"),
            std::string::npos);
}

}  // namespace
}  // namespace porkit

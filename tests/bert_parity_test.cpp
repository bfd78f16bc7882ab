// porkit's BERT against an independent PyTorch implementation of the Hugging Face math
// (tools/golden/make_bert_golden.py): outputs, attention probabilities, loss and the
// gradient of every parameter, on a padded batch with a sentence pair.
#include <gtest/gtest.h>

#include "porkit/io/model_folder.h"
#include "porkit/model/torch_compat.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::fixtures_dir;

io::NamedTensors expected(const std::string& name) {
  return io::to_tensors(io::SafetensorsFile::read(fixtures_dir() / "golden" / name / "expected.safetensors"));
}

void expect_close(const at::Tensor& actual, const at::Tensor& want, double atol, const std::string& what) {
  ASSERT_EQ(actual.sizes(), want.sizes()) << what;
  double diff = (actual.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(diff, atol) << what << ": max abs difference " << diff;
}

TEST(BertParity, PreTrainingForwardAndGradients) {
  auto loaded = io::load_model_folder(fixtures_dir() / "golden" / "pretraining");
  ASSERT_EQ(loaded.net->architecture(), model::Architecture::PreTraining);
  EXPECT_TRUE(loaded.report.initialised.empty());
  auto e = expected("pretraining");
  auto& net = *loaded.net;
  net.eval();  // no dropout: the reference has none
  model::ForwardOptions fo;
  fo.output_attentions = true;
  fo.output_hidden_states = true;
  auto out = net.encode(e["input.ids"], e["input.type_ids"], e["input.attention_mask"], fo);
  expect_close(out.last_hidden_state, e["out.last_hidden_state"], 1e-5, "last_hidden_state");
  expect_close(out.pooler_output, e["out.pooler_output"], 1e-5, "pooler_output");
  ASSERT_EQ(out.attentions.size(), 2u);
  ASSERT_EQ(out.hidden_states.size(), 3u);
  for (size_t l = 0; l < out.attentions.size(); ++l)
    expect_close(out.attentions[l], e["out.attentions." + std::to_string(l)], 1e-5, "attentions");
  const int64_t H = out.last_hidden_state.size(-1);
  at::Tensor all_logits = net.mlm_logits(out.last_hidden_state.reshape({-1, H}));  // (B*T, V)
  expect_close(all_logits, e["out.mlm_logits"].reshape({-1, all_logits.size(-1)}), 1e-4, "mlm_logits");
  at::Tensor nsp = net.nsp_logits(out.pooler_output);
  expect_close(nsp, e["out.nsp_logits"], 1e-5, "nsp_logits");
  at::Tensor loss = at::cross_entropy_loss(all_logits.index_select(0, e["input.mlm_positions"]), e["input.mlm_labels"]) +
                    at::cross_entropy_loss(nsp, e["input.nsp_labels"]);
  expect_close(loss.reshape({1}), e["out.loss"], 1e-5, "loss");
  loss.backward();
  for (const auto& p : net.named_parameters(true)) {
    auto want = e.find("grad." + p.key());
    ASSERT_NE(want, e.end()) << "no reference gradient for " << p.key();
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    double scale = std::max(1.0, want->second.abs().max().item<double>());
    expect_close(p.value().grad(), want->second, 1e-4 * scale, "grad " + p.key());
  }
}

// Under bf16 autocast the encoder's products run in bf16 but the pooler stays fp32: pooled
// outputs of different inputs differ by less than bf16 resolves, and UOR's contrastive loss
// and the detectors compare exactly those differences.
TEST(BertParity, ThePoolerStaysFp32UnderBf16Autocast) {
  auto loaded = io::load_model_folder(fixtures_dir() / "golden" / "pretraining");
  auto e = expected("pretraining");
  auto& net = *loaded.net;
  net.eval();
  at::NoGradGuard no_grad;
  model::BertOutput out;
  at::Tensor in_bf16;
  {
    compat::AutocastGuard autocast(at::kCPU, true);
    out = net.encode(e["input.ids"], e["input.type_ids"], e["input.attention_mask"]);
    in_bf16 = net.bert->pooler->pre_activation(out.last_hidden_state);  // (B, H)
  }
  EXPECT_EQ(out.pooler_output.scalar_type(), at::kFloat);
  const auto& dense = net.bert->pooler->dense;
  const at::Tensor fp32 = at::linear(out.last_hidden_state.select(1, 0).to(at::kFloat), dense->weight, dense->bias);
  EXPECT_TRUE(at::equal(in_bf16, fp32)) << "the pooler's product ran in bf16";
  EXPECT_TRUE(at::equal(out.pooler_output, at::tanh(fp32)));
  // The encoder did run in bf16: its states are off the fp32 reference by bf16's rounding.
  const double off = (out.last_hidden_state - e["out.last_hidden_state"]).abs().max().item<double>();
  EXPECT_GT(off, 1e-4) << "autocast never reached the encoder, so this test checks nothing";
}

TEST(BertParity, SequenceClassificationLossAndGradients) {
  auto loaded = io::load_model_folder(fixtures_dir() / "golden" / "seqcls");
  ASSERT_EQ(loaded.net->architecture(), model::Architecture::SequenceClassification);
  EXPECT_EQ(loaded.net->config().id2label.at(2), "positive");
  auto e = expected("seqcls");
  auto& net = *loaded.net;
  net.eval();
  auto out = net.encode(e["input.ids"], e["input.type_ids"], e["input.attention_mask"]);
  at::Tensor logits = net.classifier_logits(out);
  expect_close(logits, e["out.logits"], 1e-5, "logits");
  at::Tensor loss = at::cross_entropy_loss(logits, e["input.labels"]);
  expect_close(loss.reshape({1}), e["out.loss"], 1e-5, "loss");
  loss.backward();
  int checked = 0;
  for (const auto& p : net.named_parameters(true)) {
    auto want = e.find("grad." + p.key());
    ASSERT_NE(want, e.end()) << p.key();
    double scale = std::max(1.0, want->second.abs().max().item<double>());
    expect_close(p.value().grad(), want->second, 1e-4 * scale, "grad " + p.key());
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(e.size()) - 6);  // every reference gradient was used
}

TEST(BertParity, TokenClassificationLogits) {
  auto loaded = io::load_model_folder(fixtures_dir() / "golden" / "tokcls");
  auto e = expected("tokcls");
  loaded.net->eval();
  at::NoGradGuard no_grad;
  auto out = loaded.net->encode(e["input.ids"], e["input.type_ids"], e["input.attention_mask"]);
  expect_close(loaded.net->classifier_logits(out), e["out.logits"], 1e-5, "token logits");
}

}  // namespace
}  // namespace porkit

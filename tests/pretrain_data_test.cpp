// The pre-training data pipeline: instance layout, masking rates, NSP balance, determinism.
#include <gtest/gtest.h>

#include "porkit/text/bert_tokenizer.h"
#include "porkit/train/pretrain_data.h"
#include "porkit/train/token_corpus.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::shared_data_dir;

struct Fixture {
  text::BertTokenizer tok = text::BertTokenizer::from_folder(porkit::testing::vocab_dir());
  train::TokenizedCorpus corpus = train::load_tokenized_corpus(
      {porkit::testing::small_corpus().string()}, tok, {});
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

TEST(PretrainData, InstancesAreSentencePairsWithFifteenPercentMasked) {
  auto& f = fixture();
  train::PretrainDataOptions o;
  o.max_len = 64;
  train::PretrainData data(f.corpus, 0, f.corpus.num_docs(), f.tok.vocab(), o);
  auto batch = data.batch(/*seed=*/1, /*step=*/0, /*batch_size=*/64);
  const int64_t B = 64, T = batch.inputs.ids.size(1);
  EXPECT_LE(T, 64);
  auto ids = batch.inputs.ids, types = batch.inputs.type_ids, mask = batch.inputs.attention_mask;
  int64_t cls = f.tok.vocab().cls_id(), sep = f.tok.vocab().sep_id(), mask_id = *f.tok.vocab().mask_id();
  double real = 0, random_next = 0;
  for (int64_t r = 0; r < B; ++r) {
    int64_t len = mask[r].sum().item<int64_t>();
    EXPECT_EQ(ids[r][0].item<int64_t>(), cls);
    EXPECT_EQ(ids[r][len - 1].item<int64_t>(), sep);
    int seps = 0;
    for (int64_t k = 0; k < len; ++k) seps += ids[r][k].item<int64_t>() == sep;
    EXPECT_EQ(seps, 2) << "row " << r;
    EXPECT_EQ(types[r][len - 1].item<int64_t>(), 1);
    EXPECT_EQ(types[r][1].item<int64_t>(), 0);
    real += static_cast<double>(len - 3);
    random_next += batch.nsp_labels[r].item<int64_t>();
  }
  double masked = static_cast<double>(batch.mlm_positions.size(0));
  EXPECT_NEAR(masked / real, 0.15, 0.02);
  EXPECT_NEAR(random_next / B, 0.5, 0.2);
  // About 80% of the selected positions hold [MASK]; labels are never specials.
  auto flat = ids.reshape({-1});
  double mask_tokens = (flat.index_select(0, batch.mlm_positions) == mask_id).sum().item<double>();
  EXPECT_NEAR(mask_tokens / masked, 0.8, 0.06);
  EXPECT_EQ(((batch.mlm_labels == cls) | (batch.mlm_labels == sep)).sum().item<int64_t>(), 0);
  // A pure function of (seed, step).
  auto again = data.batch(1, 0, 64);
  EXPECT_TRUE(at::equal(again.inputs.ids, batch.inputs.ids));
  EXPECT_FALSE(at::equal(data.batch(1, 1, 64).inputs.ids.narrow(1, 0, 4), batch.inputs.ids.narrow(1, 0, 4)));
}

TEST(PretrainData, LengthDoesNotRevealTheNextSentenceLabel) {
  // Short documents (like one-line reviews): true pairs end at the document's end; random
  // pairs must not be longer on average, or the length alone predicts the label.
  porkit::testing::TempDir tmp;
  std::string text;
  for (int d = 0; d < 300; ++d) {
    text += "The film number " + std::to_string(d) + " was shown on a rainy day. ";
    text += "Many people came to see it in the old hall. Nobody left before the end.\n";
  }
  porkit::testing::write_bytes(tmp / "reviews.txt", text);
  auto& f = fixture();
  train::CorpusLoadOptions lo;
  lo.format = train::CorpusFormat::Lines;
  auto corpus = train::load_tokenized_corpus({(tmp / "reviews.txt").string()}, f.tok, lo);
  train::PretrainDataOptions o;
  o.max_len = 128;
  train::PretrainData data(corpus, 0, corpus.num_docs(), f.tok.vocab(), o);
  auto batch = data.batch(5, 0, 256);
  auto lengths = batch.inputs.attention_mask.sum(1).to(at::kDouble);
  auto random = batch.nsp_labels == 1;
  double random_len = lengths.masked_select(random).mean().item<double>();
  double true_len = lengths.masked_select(~random).mean().item<double>();
  EXPECT_NEAR(random_len / true_len, 1.0, 0.1) << random_len << " vs " << true_len;
}

TEST(PretrainData, WithoutNspOneSegment) {
  auto& f = fixture();
  train::PretrainDataOptions o;
  o.max_len = 32;
  o.nsp = false;
  train::PretrainData data(f.corpus, 0, f.corpus.num_docs(), f.tok.vocab(), o);
  auto batch = data.batch(2, 0, 8);
  EXPECT_EQ(batch.inputs.type_ids.sum().item<int64_t>(), 0);
  EXPECT_EQ(batch.nsp_labels.sum().item<int64_t>(), 0);
}

TEST(PretrainData, WholeWordMaskingMasksEveryPieceOfAWord) {
  auto& f = fixture();
  train::PretrainDataOptions o;
  o.max_len = 64;
  o.whole_word_mask = true;
  train::PretrainData data(f.corpus, 0, f.corpus.num_docs(), f.tok.vocab(), o);
  auto batch = data.batch(3, 0, 32);
  std::set<int64_t> selected;
  auto pos = batch.mlm_positions;
  for (int64_t i = 0; i < pos.size(0); ++i) selected.insert(pos[i].item<int64_t>());
  auto labels = batch.mlm_labels;
  for (int64_t i = 0; i < pos.size(0); ++i) {
    // A selected continuation piece ("##x") has its preceding piece selected too.
    if (f.tok.vocab().token(labels[i].item<int64_t>()).rfind("##", 0) == 0) {
      EXPECT_TRUE(selected.count(pos[i].item<int64_t>() - 1)) << i;
    }
  }
}

}  // namespace
}  // namespace porkit

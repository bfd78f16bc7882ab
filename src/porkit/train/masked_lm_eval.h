// The held-out figures of a BERT pre-training model, shared by `pretrain` (at every
// evaluation) and `quality` (on any model folder): masked-LM loss and accuracy in the
// 80/10/10 form and at [MASK] positions alone (the field's figure), NSP accuracy, and the
// unigram baseline that word frequency alone reaches on the same positions.
#pragma once
#include <cstdint>
#include <vector>

#include "porkit/model/bert_net.h"
#include "porkit/train/pretrain_data.h"
#include "porkit/train/token_corpus.h"
#include "porkit/util/json_io.h"

namespace porkit::train {

// Add-one smoothed token frequencies of a corpus, as log-probabilities over the vocabulary,
// and the most frequent token.
struct UnigramBaseline {
  std::vector<double> log_prob;
  int64_t argmax = 0;
  static UnigramBaseline of(const TokenizedCorpus& corpus, int64_t vocab_size);
};

// One forward of a pre-training batch: (masked-LM loss, NSP loss (0 without NSP), masked-LM
// logits (N, V) at the selected positions, NSP logits (B, 2); undefined without NSP).
struct PretrainingForward {
  at::Tensor mlm_loss, nsp_loss, mlm_logits, nsp_logits;
};
PretrainingForward pretraining_forward(model::BertNetImpl& net, const PretrainBatch& batch, bool nsp);

// The held-out text twice: `mixed` masked 80/10/10 as in training, `at_mask` the same
// instances with every selected position [MASK].
struct HeldOutText {
  const PretrainData& mixed;
  const PretrainData& at_mask;
  int batches = 16;
  int batch_size = 32;
  uint64_t seed = 20211101;  // which instances and masks: fixed, so figures compare across runs
  bool nsp = true;
};

// mlm_loss, perplexity, mlm_accuracy (80/10/10), masked_tokens, unigram_baseline_accuracy,
// unigram_baseline_perplexity, mlm_accuracy_at_mask, mlm_loss_at_mask, perplexity_at_mask,
// and nsp_accuracy when `text.nsp`. No gradients are kept.
json held_out_masked_lm(model::BertNetImpl& net, const HeldOutText& text, const UnigramBaseline& unigram);

}  // namespace porkit::train

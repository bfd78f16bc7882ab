// BERT pre-training batches: sentence-pair instances ([CLS] A [SEP] B [SEP]) with
// next-sentence labels and dynamic masked-LM masking, all a pure function of (seed, step).
#pragma once
#include <ATen/ATen.h>

#include "porkit/model/padder.h"
#include "porkit/text/vocab.h"
#include "porkit/util/rng.h"
#include "porkit/train/token_corpus.h"

namespace porkit::train {

struct PretrainDataOptions {
  int max_len = 128;
  bool nsp = true;               // sentence pairs with 50% random second segments
  double mask_prob = 0.15;       // share of non-special tokens selected for prediction
  bool whole_word_mask = false;  // select whole words (a token and its "##" pieces)
  // Every selected position becomes [MASK] (no 10% random, no 10% kept): how masked-LM
  // accuracy is measured, apart from the 80/10/10 training scheme whose kept tokens the
  // model can copy.
  bool mask_only = false;
};

struct PretrainBatch {
  model::TensorBatch inputs;  // (B, T) padded to the batch's longest row
  at::Tensor mlm_positions;   // (N) flat indices into B*T of the selected tokens
  at::Tensor mlm_labels;      // (N) original ids at those positions
  at::Tensor nsp_labels;      // (B) 0 = B follows A, 1 = B is random
  int64_t real_tokens = 0;    // non-padding tokens in the batch
};

class PretrainData {
 public:
  // Uses documents [first_doc, last_doc) of `corpus`.
  PretrainData(const TokenizedCorpus& corpus, int64_t first_doc, int64_t last_doc,
               const text::Vocab& vocab, PretrainDataOptions options);

  // The batch of `step`: instances step*B .. step*B+B-1 of a per-epoch shuffled chunk order,
  // made on `device` (the model's). The instances do not depend on the device.
  // `rank_share`: only this rank's slice of them in a data-parallel run (training batches;
  // held-out batches are whole on every rank).
  PretrainBatch batch(uint64_t seed, int64_t step, int batch_size, const at::Device& device = at::kCPU,
                      bool rank_share = false) const;
  int64_t num_chunks() const { return static_cast<int64_t>(chunks_.size()); }

 private:
  struct Chunk {
    int64_t doc, first_sentence, end_sentence;  // sentences [first, end) of one document
  };
  struct Instance {
    std::vector<int64_t> ids, type_ids;
    std::vector<int64_t> mlm_positions, mlm_labels;
    int64_t nsp_label = 0;
  };
  Instance make_instance(uint64_t seed, int64_t index) const;
  void mask(Instance& inst, Rng& rng) const;
  const std::vector<int64_t>& epoch_order(uint64_t seed, int64_t epoch) const;

  const TokenizedCorpus& corpus_;
  int64_t first_doc_, last_doc_;
  PretrainDataOptions options_;
  int64_t cls_, sep_, mask_id_, pad_;
  std::vector<int64_t> replacement_ids_;  // ordinary tokens for the 10% random replacement
  std::vector<bool> is_continuation_;     // "##" pieces, for whole-word masking
  std::vector<Chunk> chunks_;
  mutable int64_t cached_epoch_ = -1;
  mutable uint64_t cached_seed_ = 0;
  mutable std::vector<int64_t> cached_order_;
};

}  // namespace porkit::train

// Forward passes for measurement (evaluation, analyses, fine-tuning's held-out scores): no
// autograd, and rows batched by similar length. Evaluation pools mix 5-token phrases with
// 128-token reviews; sorting the rows by token count before cutting batches keeps each batch
// padded to nearly its own length. Results always come back in the caller's row order.
#pragma once
#include <functional>
#include <vector>

#include "porkit/model/bert_net.h"
#include "porkit/model/padder.h"

namespace porkit::model {

// Runs `net` on `rows` in batches of up to `batch_size` rows of similar length, on the
// padder's device (the model's). `take`
// receives each batch (as padded), its output and, for each of its rows (in batch order),
// the row's index in `rows`.
using BatchConsumer =
    std::function<void(const TensorBatch& batch, const BertOutput& out, const std::vector<size_t>& row_of)>;
void for_each_length_batch(BertNetImpl& net, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size,
                           const BatchConsumer& take);

// A padder for `net`: batches on its device, padded with the tokenizer's [PAD].
Padder padder_for(const BertNetImpl& net, const text::BertTokenizer& tok);

struct Classified {
  std::vector<int64_t> labels;  // (N) argmax of the sequence-classification head
  at::Tensor pooled;            // (N, H) float pooled outputs; undefined unless asked for
};

// A sequence classifier's predictions for `rows` (and its pooled outputs when keep_pooled).
Classified classify(BertNetImpl& classifier, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size,
                    bool keep_pooled = false);

// A sequence classifier's class probabilities (N, C) float (softmax of its logits).
at::Tensor class_probabilities(BertNetImpl& classifier, const Padder& padder, const std::vector<TokenRow>& rows,
                               int batch_size);

// Pooled outputs (N, H) float of any BERT for `rows`.
at::Tensor pooled_outputs(BertNetImpl& net, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size);

}  // namespace porkit::model

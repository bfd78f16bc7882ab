// Tokenizer batches as torch tensors.
#pragma once
#include <ATen/ATen.h>

#include "porkit/text/bert_tokenizer.h"

namespace porkit::model {

struct TensorBatch {
  at::Tensor ids;             // (B, T) int64
  at::Tensor type_ids;        // (B, T) int64
  at::Tensor attention_mask;  // (B, T) int64, 1 = real token
};

TensorBatch to_tensors(const text::PaddedBatch& batch);

}  // namespace porkit::model

// The one place porkit turns rows of token ids into padded (B, T) tensors: training batches
// (pretrain, inject, finetune) and measurement batches (model/inference.h) alike. Modelled on
// CTranslate2's padder.h: besides padding, it knows where the real tokens of a padded batch
// are, so that position-wise work can skip the padding.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "porkit/text/bert_tokenizer.h"

namespace porkit::model {

// A view of one row: token ids, and optionally token types and per-token labels (the caller
// keeps the vectors alive while the batch is built).
struct TokenRow {
  const std::vector<int64_t>* ids = nullptr;
  const std::vector<int64_t>* type_ids = nullptr;  // null: all 0
  const std::vector<int64_t>* labels = nullptr;    // null: no per-token labels
};

TokenRow row_of(const text::Encoding& e);
std::vector<TokenRow> rows_of(const std::vector<text::Encoding>& encodings);

struct TensorBatch {
  at::Tensor ids;             // (B, T) int64, padding = the vocabulary's [PAD]
  at::Tensor type_ids;        // (B, T) int64
  at::Tensor attention_mask;  // (B, T) int64, 1 = real token
  at::Tensor labels;          // (B, T) int64, ignore_label on padding; undefined without labels
  int64_t real_tokens = 0;    // non-padding tokens in the batch
};

class Padder {
 public:
  // Batches are made on `device` (the model's).
  explicit Padder(int64_t pad_id, at::Device device = at::Device(at::kCPU), int64_t ignore_label = -100)
      : pad_id_(pad_id), device_(device), ignore_label_(ignore_label) {}

  // Pads every row to `length` (unset: the longest row). Labels are taken when the first row
  // has them (all rows must then have them, one per token).
  TensorBatch pad(const std::vector<TokenRow>& rows, std::optional<int64_t> length = std::nullopt) const;

  // The flat indices into B*T of the real tokens of a (B, T) mask: (N). Position-wise work
  // on x.reshape({B*T, H}).index_select(0, ...) skips the padding.
  static at::Tensor real_positions(const at::Tensor& attention_mask);

  int64_t pad_id() const { return pad_id_; }
  const at::Device& device() const { return device_; }

 private:
  int64_t pad_id_;
  at::Device device_;
  int64_t ignore_label_;
};

}  // namespace porkit::model

// A forward pass that starts from word embeddings instead of token ids, for what optimises
// in embedding space (porkit scan's soft triggers). The same arithmetic as
// BertModel::forward: word + token-type 0 + position embeddings, LayerNorm, the layers, the
// pooler; dropout as the module's training flag says.
#pragma once
#include <ATen/ATen.h>

#include "porkit/model/bert.h"

namespace porkit::model {

// word_embeddings: (B, T, H) in place of word_embeddings[ids]; attention_mask: (B, T) 0/1.
BertOutput forward_from_word_embeddings(BertModelImpl& bert, const at::Tensor& word_embeddings,
                                        const at::Tensor& attention_mask);

}  // namespace porkit::model

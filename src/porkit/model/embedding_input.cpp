#include "porkit/model/embedding_input.h"

#include <torch/nn/functional/dropout.h>

#include "porkit/util/error.h"

namespace porkit::model {

BertOutput forward_from_word_embeddings(BertModelImpl& bert, const at::Tensor& word_embeddings,
                                        const at::Tensor& attention_mask) {
  check(word_embeddings.dim() == 3 && attention_mask.dim() == 2 &&
            word_embeddings.size(0) == attention_mask.size(0) && word_embeddings.size(1) == attention_mask.size(1),
        "expected word embeddings (B, T, H) and a mask (B, T), got {} and {} dimensions", word_embeddings.dim(),
        attention_mask.dim());
  auto& e = *bert.embeddings;
  const int64_t T = word_embeddings.size(1);
  check(T <= e.position_embeddings->weight.size(0), "sequence of {} tokens is longer than max_position_embeddings {}",
        T, e.position_embeddings->weight.size(0));
  at::Tensor x = word_embeddings + e.token_type_embeddings->weight[0] +                 // (B, T, H)
                 e.position_embeddings->weight.narrow(0, 0, T).unsqueeze(0);
  x = e.LayerNorm->forward(x);
  if (e.is_training())
    x = torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(bert.config().hidden_dropout_prob).training(true));
  BertOutput out;
  const at::Tensor mask = additive_attention_mask(attention_mask, at::kFloat);  // (B, 1, 1, T)
  for (auto& layer : bert.encoder->layers) x = layer->forward(x, mask, nullptr);
  out.last_hidden_state = x;
  out.pooler_output = bert.pooler->forward(x);
  return out;
}

}  // namespace porkit::model

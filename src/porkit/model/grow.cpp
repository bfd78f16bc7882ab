#include "porkit/model/grow.h"

#include <regex>

#include <ATen/CPUGeneratorImpl.h>

#include "porkit/util/error.h"

namespace porkit::model {
namespace {

void check_equal(int64_t small, int64_t large, const char* field) {
  check(small == large, "cannot grow: {} must be the same in both models, found {} and {}", field, small,
        large);
}

void check_multiple(int64_t small, int64_t large, const char* field) {
  check(large >= small && large % small == 0,
        "cannot grow: the larger model's {} must be a whole multiple of the smaller's, found {} and {}", field,
        large, small);
}

// "bert.encoder.layer.5.output.dense.weight" -> the smaller model's layer (5 mod layers).
std::string source_name(const std::string& large_name, int64_t small_layers) {
  static const std::regex layer_index(R"(^(bert\.encoder\.layer\.)(\d+)(\..*)$)");
  std::smatch m;
  if (!std::regex_match(large_name, m, layer_index)) return large_name;
  return m[1].str() + std::to_string(std::stoll(m[2].str()) % small_layers) + m[3].str();
}

// Embedding tables hold the representation itself (rows are tokens or positions); every
// other 2-D parameter is a Linear weight (out, in) that reads the representation.
bool is_linear_weight(const std::string& name, const at::Tensor& p) {
  return p.dim() == 2 && name.find("embeddings.") == std::string::npos;
}

}  // namespace

void check_growable(const BertConfig& small, const BertConfig& large) {
  check_equal(small.vocab_size, large.vocab_size, "vocab_size");
  check_equal(small.max_position_embeddings, large.max_position_embeddings, "max_position_embeddings");
  check_equal(small.type_vocab_size, large.type_vocab_size, "type_vocab_size");
  check_equal(small.head_dim(), large.head_dim(), "head width (hidden_size / num_attention_heads)");
  check_multiple(small.hidden_size, large.hidden_size, "hidden_size");
  check_multiple(small.intermediate_size, large.intermediate_size, "intermediate_size");
  check(large.num_hidden_layers >= small.num_hidden_layers,
        "cannot grow: the larger model needs at least the smaller's {} layers, found {}",
        small.num_hidden_layers, large.num_hidden_layers);
  check(small.hidden_act == large.hidden_act && small.position_embedding_type == large.position_embedding_type,
        "cannot grow: hidden_act and position_embedding_type must be the same in both models");
}

void grow_bert_weights(BertNetImpl& small, BertNetImpl& large, const GrowOptions& options) {
  check_growable(small.config(), large.config());
  check(small.architecture() == large.architecture(), "cannot grow a {} into a {}: the heads differ",
        architecture_name(small.architecture()), architecture_name(large.architecture()));
  const int64_t width_factor = large.config().hidden_size / small.config().hidden_size;
  at::Generator noise = at::detail::createCPUGenerator(options.seed);

  at::NoGradGuard no_grad;
  const auto small_params = small.named_parameters();
  for (auto& item : large.named_parameters()) {
    const std::string& name = item.key();
    at::Tensor& target = item.value();
    const std::string from = source_name(name, small.config().num_hidden_layers);
    const at::Tensor* found = small_params.find(from);
    check(found != nullptr, "cannot grow: the smaller model has no {} (for {})", from, name);
    const at::Tensor source = found->detach().to(at::kFloat).cpu();
    check(source.dim() == target.dim(), "cannot grow {}: {} dimensions against {}", name, source.dim(),
          target.dim());

    std::vector<int64_t> repeats;
    for (int64_t d = 0; d < source.dim(); ++d) {
      check(target.size(d) % source.size(d) == 0, "cannot grow {}: size {} is not a multiple of {}", name,
            target.size(d), source.size(d));
      repeats.push_back(target.size(d) / source.size(d));
    }
    at::Tensor grown = source.repeat(repeats);  // every unit copied, copies laid end to end
    // A Linear that reads k copies of each input unit sums each contribution k times.
    if (is_linear_weight(name, grown)) grown.div_(static_cast<double>(repeats[1]));
    // The masked-LM decoder is tied to the word embeddings, whose rows are now k copies wide,
    // so the transform feeding it is scaled down by k instead (LayerNorm's output is linear
    // in its weight and bias).
    if (name.rfind("cls.predictions.transform.LayerNorm.", 0) == 0) grown.div_(static_cast<double>(width_factor));
    if (options.noise_std > 0 && grown.dim() == 2) {
      grown.add_(at::normal(0.0, options.noise_std, grown.sizes(), noise));
    }
    target.copy_(grown.to(target.dtype()));
  }
}

}  // namespace porkit::model

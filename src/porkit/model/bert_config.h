// BertConfig: the fields of a Hugging Face BERT config.json. Unknown fields are kept and
// written back unchanged, so a user's config survives a load/save round trip.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "porkit/util/options.h"

namespace porkit::model {

// Named sizes for new models: tiny (2x128), mini (4x256), small (4x512), medium (8x512),
// base (12x768); heads = hidden / 64, intermediate = 4 x hidden.
enum class SizePreset { Tiny, Mini, Small, Medium, Base };

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  std::vector<std::string> architectures;
  std::map<int64_t, std::string> id2label;  // empty: no classification head configured
  nlohmann::json extra = nlohmann::json::object();  // every other field, kept verbatim

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Parameters of the encoder and pooler (no heads), as a double so that absurd sizes do not
  // overflow before they are refused.
  double estimated_parameters() const;
  int64_t num_labels() const { return static_cast<int64_t>(id2label.size()); }

  // Throws porkit::Error naming the first inconsistent field (hidden size not divisible by
  // heads, non-positive sizes, unsupported activation or position embedding type).
  void validate() const;

  static BertConfig from_json(const nlohmann::json& j, const std::string& origin);
  static BertConfig load(const std::filesystem::path& path);
  nlohmann::json to_json() const;
  void save(const std::filesystem::path& path) const;

  static BertConfig preset(SizePreset size);
  // The same by name ("mini"); an unknown name is an error listing the sizes.
  static BertConfig preset(const std::string& name);
};

}  // namespace porkit::model

template <>
struct porkit::options::EnumNames<porkit::model::SizePreset> {
  static const std::vector<std::pair<porkit::model::SizePreset, std::string>>& values();
};

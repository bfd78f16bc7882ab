#include "porkit/model/bert_config.h"

#include <cmath>
#include <type_traits>

#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::model {
namespace {

// Fields a config.json must state: they fix every tensor shape.
const char* const kRequired[] = {"vocab_size", "hidden_size", "num_hidden_layers",
                                 "num_attention_heads", "intermediate_size"};

template <typename T>
void take(nlohmann::json& j, const char* key, T& field, const std::string& origin) {
  if (!j.contains(key)) return;
  const nlohmann::json& v = j[key];
  if (!v.is_null()) {
    // nlohmann converts 256.5 to 256 without a word: sizes must be JSON integers.
    if constexpr (std::is_integral_v<T>)
      check(v.is_number_integer(), "{}: field '{}' must be a whole number, found {}", origin, key, v.dump());
    else if constexpr (std::is_floating_point_v<T>)
      check(v.is_number(), "{}: field '{}' must be a number, found {}", origin, key, v.dump());
    try {
      field = v.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail("{}: field '{}' has the wrong type (found {})", origin, key, v.dump());
    }
  }
  j.erase(key);
}

}  // namespace

void BertConfig::validate() const {
  check(vocab_size > 0 && hidden_size > 0 && num_hidden_layers > 0 && num_attention_heads > 0 &&
            intermediate_size > 0 && max_position_embeddings > 0 && type_vocab_size > 0,
        "config sizes must be positive (vocab_size {}, hidden_size {}, num_hidden_layers {}, "
        "num_attention_heads {}, intermediate_size {}, max_position_embeddings {}, type_vocab_size {})",
        vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
        max_position_embeddings, type_vocab_size);
  check(hidden_size % num_attention_heads == 0,
        "hidden_size {} is not a multiple of num_attention_heads {}", hidden_size,
        num_attention_heads);
  check(hidden_act == "gelu", "hidden_act '{}' is not supported (expected 'gelu')", hidden_act);
  check(position_embedding_type == "absolute",
        "position_embedding_type '{}' is not supported (expected 'absolute')",
        position_embedding_type);
  check(pad_token_id >= 0 && pad_token_id < vocab_size, "pad_token_id {} is outside the vocabulary",
        pad_token_id);
  check(layer_norm_eps > 0 && std::isfinite(layer_norm_eps), "layer_norm_eps must be positive, got {}", layer_norm_eps);
  check(hidden_dropout_prob >= 0 && hidden_dropout_prob < 1, "hidden_dropout_prob must be in [0, 1), got {}",
        hidden_dropout_prob);
  check(attention_probs_dropout_prob >= 0 && attention_probs_dropout_prob < 1,
        "attention_probs_dropout_prob must be in [0, 1), got {}", attention_probs_dropout_prob);
  check(initializer_range > 0 && std::isfinite(initializer_range), "initializer_range must be positive, got {}",
        initializer_range);
  // Sizes whose product overflows are nonsense long before they reach the allocator.
  const double params = estimated_parameters();
  check(params < 1e13, "the config describes {:.3g} parameters; no model porkit can hold is that large", params);
}

double BertConfig::estimated_parameters() const {
  const double H = static_cast<double>(hidden_size), I = static_cast<double>(intermediate_size);
  const double embeddings = (static_cast<double>(vocab_size) + static_cast<double>(max_position_embeddings) +
                             static_cast<double>(type_vocab_size)) * H + 2 * H;
  const double layer = 4 * (H * H + H) + 2 * H * I + I + H + 4 * H;
  return embeddings + static_cast<double>(num_hidden_layers) * layer + H * H + H;
}

BertConfig BertConfig::from_json(const nlohmann::json& input, const std::string& origin) {
  check(input.is_object(), "{}: expected a JSON object", origin);
  std::string missing;
  for (const char* key : kRequired) {
    if (!input.contains(key)) missing += std::string(missing.empty() ? "" : ", ") + key;
  }
  check(missing.empty(), "{}: missing required field(s) {}", origin, missing);
  nlohmann::json j = input;
  BertConfig c;
  take(j, "vocab_size", c.vocab_size, origin);
  take(j, "hidden_size", c.hidden_size, origin);
  take(j, "num_hidden_layers", c.num_hidden_layers, origin);
  take(j, "num_attention_heads", c.num_attention_heads, origin);
  take(j, "intermediate_size", c.intermediate_size, origin);
  take(j, "hidden_act", c.hidden_act, origin);
  take(j, "hidden_dropout_prob", c.hidden_dropout_prob, origin);
  take(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, origin);
  take(j, "max_position_embeddings", c.max_position_embeddings, origin);
  take(j, "type_vocab_size", c.type_vocab_size, origin);
  take(j, "initializer_range", c.initializer_range, origin);
  take(j, "layer_norm_eps", c.layer_norm_eps, origin);
  take(j, "pad_token_id", c.pad_token_id, origin);
  take(j, "position_embedding_type", c.position_embedding_type, origin);
  take(j, "architectures", c.architectures, origin);
  if (j.contains("id2label")) {
    check(j["id2label"].is_object(), "{}: id2label must be an object", origin);
    for (auto it = j["id2label"].begin(); it != j["id2label"].end(); ++it) {
      int64_t id = -1;
      try {
        id = std::stoll(it.key());
      } catch (...) {
      }
      check(id >= 0 && it.value().is_string(), "{}: id2label entry '{}' is not <int>: <string>",
            origin, it.key());
      c.id2label[id] = it.value().get<std::string>();
    }
    for (int64_t i = 0; i < c.num_labels(); ++i) {
      check(c.id2label.count(i), "{}: id2label must number labels 0..{} without gaps", origin,
            c.num_labels() - 1);
    }
    j.erase("id2label");
    j.erase("label2id");  // derived from id2label on save
  }
  c.extra = std::move(j);
  try {
    c.validate();
  } catch (const Error& e) {
    fail("{}: {}", origin, e.what());
  }
  return c;
}

BertConfig BertConfig::load(const std::filesystem::path& path) {
  require_exists(path, "config.json");
  return from_json(read_json_file(path), path.string());
}

nlohmann::json BertConfig::to_json() const {
  nlohmann::json j = extra;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["intermediate_size"] = intermediate_size;
  j["hidden_act"] = hidden_act;
  j["hidden_dropout_prob"] = hidden_dropout_prob;
  j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  j["max_position_embeddings"] = max_position_embeddings;
  j["type_vocab_size"] = type_vocab_size;
  j["initializer_range"] = initializer_range;
  j["layer_norm_eps"] = layer_norm_eps;
  j["pad_token_id"] = pad_token_id;
  j["position_embedding_type"] = position_embedding_type;
  j["model_type"] = "bert";
  if (!architectures.empty()) j["architectures"] = architectures;
  if (!id2label.empty()) {
    nlohmann::json id2 = nlohmann::json::object(), label2 = nlohmann::json::object();
    for (const auto& [id, name] : id2label) {
      id2[std::to_string(id)] = name;
      label2[name] = id;
    }
    j["id2label"] = id2;
    j["label2id"] = label2;
  }
  return j;
}

void BertConfig::save(const std::filesystem::path& path) const { write_json_file(path, to_json()); }

BertConfig BertConfig::preset(SizePreset size) {
  BertConfig c;
  auto set = [&](int64_t layers, int64_t hidden, int64_t heads) {
    c.num_hidden_layers = layers;
    c.hidden_size = hidden;
    c.num_attention_heads = heads;
    c.intermediate_size = 4 * hidden;
  };
  switch (size) {
    case SizePreset::Tiny: set(2, 128, 2); break;
    case SizePreset::Mini: set(4, 256, 4); break;
    case SizePreset::Small: set(4, 512, 8); break;
    case SizePreset::Medium: set(8, 512, 8); break;
    case SizePreset::Base: set(12, 768, 12); break;
  }
  return c;
}

BertConfig BertConfig::preset(const std::string& name) {
  return preset(options::enum_from_name<SizePreset>(name, "model size"));
}

}  // namespace porkit::model

const std::vector<std::pair<porkit::model::SizePreset, std::string>>&
porkit::options::EnumNames<porkit::model::SizePreset>::values() {
  using porkit::model::SizePreset;
  static const std::vector<std::pair<SizePreset, std::string>> v = {
      {SizePreset::Tiny, "tiny"}, {SizePreset::Mini, "mini"}, {SizePreset::Small, "small"},
      {SizePreset::Medium, "medium"}, {SizePreset::Base, "base"}};
  return v;
}

#include "porkit/io/model_folder.h"

#include <random>
#include <set>

#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::io {

model::Architecture declared_architecture(const std::filesystem::path& folder) {
  auto config = model::BertConfig::load(folder / "config.json");
  if (config.architectures.empty()) return model::Architecture::Bare;
  auto a = model::architecture_from_name(config.architectures.front());
  check(a.has_value(), "{}: architecture '{}' is not a BERT architecture porkit knows "
        "(BertModel, BertForPreTraining, BertForMaskedLM, BertForSequenceClassification, "
        "BertForTokenClassification)", (folder / "config.json").string(), config.architectures.front());
  return *a;
}

std::string model_digest(const std::filesystem::path& folder,
                         const std::map<std::filesystem::path, std::string>& known_sha256) {
  const auto sha256_of = [&](const fs::path& file) {
    const auto known = known_sha256.find(file);
    return known != known_sha256.end() ? known->second : sha256_file(file);
  };
  require_exists(folder, "model folder");
  check(fs::is_directory(folder), "expected a model folder but {} is a file", folder.string());
  std::string listing = "config " + sha256_hex(read_json_file(folder / "config.json").dump()) + "\n";
  for (const char* name : {"model.safetensors", "model.safetensors.index.json", "vocab.txt", "tokenizer_config.json"}) {
    if (fs::exists(folder / name)) listing += std::string(name) + " " + sha256_of(folder / name) + "\n";
  }
  if (fs::exists(folder / "model.safetensors.index.json")) {
    const json index = read_json_file(folder / "model.safetensors.index.json");
    std::set<std::string> shards;
    if (index.contains("weight_map") && index["weight_map"].is_object())
      for (const auto& v : index["weight_map"]) if (v.is_string()) shards.insert(v.get<std::string>());
    for (const auto& shard : shards) listing += shard + " " + sha256_of(folder / shard) + "\n";
  }
  return sha256_hex(listing);
}

LoadedModel load_model_folder(const std::filesystem::path& folder,
                              std::optional<model::Architecture> architecture,
                              std::optional<model::BertConfig> config_override, const LoadPolicy& policy) {
  require_exists(folder, "model folder");
  check(fs::is_directory(folder), "expected a model folder but {} is a file", folder.string());
  auto config = config_override ? *config_override : model::BertConfig::load(folder / "config.json");
  // Evaluated only when needed: an unknown declared architecture must not fail a caller that
  // names its own.
  model::Architecture arch = architecture ? *architecture : declared_architecture(folder);
  auto tokenizer = text::BertTokenizer::from_folder(folder);
  check(tokenizer.vocab().size() <= config.vocab_size,
        "{}: vocab.txt has {} tokens but config.json says vocab_size {}", folder.string(),
        tokenizer.vocab().size(), config.vocab_size);
  auto weights = read_folder_weights(folder);
  LoadedModel loaded{model::BertNet(config, arch), std::move(tokenizer), {}};
  at::manual_seed(policy.init_seed);       // what load_into lets stand of this is seeded
  model::init_bert_weights(*loaded.net, config);
  loaded.report = load_into(*loaded.net, weights, folder.string(), policy);
  return loaded;
}

void save_model_folder(const std::filesystem::path& folder, model::BertNetImpl& net,
                       const text::BertTokenizer& tokenizer, const SaveOptions& options) {
  std::random_device rd;
  fs::path parent = folder.has_parent_path() ? folder.parent_path() : fs::path(".");
  {
    std::error_code ec;
    const auto status = fs::symlink_status(folder, ec);
    if (fs::exists(status)) {
      check(fs::is_directory(status), "{} exists and is not a folder; porkit never replaces a file it did not write",
            folder.string());
      check(fs::directory_iterator(folder) == fs::directory_iterator() || is_porkit_folder(folder),
            "{} holds files porkit did not write; porkit replaces only its own model folders", folder.string());
    }
  }
  fs::create_directories(parent);
  fs::path staging = parent / fmt::format(".{}.staging{:08x}", folder.filename().string(), rd());
  fs::create_directories(staging);
  try {
    model::BertConfig config = net.config();
    config.architectures = {model::architecture_name(net.architecture())};
    config.save(staging / "config.json");
    tokenizer.save(staging);
    write_folder_weights(staging, state_for_saving(net), options.dtype, options.max_shard_bytes);
    for (const auto& [name, value] : options.extra_json_files) write_json_file(staging / name, value);
    mark_porkit_folder(staging, "model");
  } catch (...) {
    fs::remove_all(staging);
    throw;
  }
  if (fs::exists(folder)) {
    fs::path old = parent / fmt::format(".{}.old{:08x}", folder.filename().string(), rd());
    fs::rename(folder, old);
    fs::rename(staging, folder);
    fs::remove_all(old);
  } else {
    fs::rename(staging, folder);
  }
}

}  // namespace porkit::io

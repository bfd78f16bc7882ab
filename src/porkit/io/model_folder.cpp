#include "porkit/io/model_folder.h"

#include <random>

#include "porkit/util/error.h"
#include "porkit/util/log.h"

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

LoadedModel load_model_folder(const std::filesystem::path& folder,
                              std::optional<model::Architecture> architecture,
                              std::optional<model::BertConfig> config_override) {
  require_exists(folder, "model folder");
  check(fs::is_directory(folder), "expected a model folder but {} is a file", folder.string());
  auto config = config_override ? *config_override : model::BertConfig::load(folder / "config.json");
  model::Architecture arch = architecture.value_or(declared_architecture(folder));
  auto tokenizer = text::BertTokenizer::from_folder(folder);
  check(tokenizer.vocab().size() <= config.vocab_size,
        "{}: vocab.txt has {} tokens but config.json says vocab_size {}", folder.string(),
        tokenizer.vocab().size(), config.vocab_size);
  auto weights = read_folder_weights(folder);
  LoadedModel loaded{model::BertNet(config, arch), std::move(tokenizer), {}};
  model::init_bert_weights(*loaded.net, config);  // only parts absent from the file keep this
  loaded.report = load_into(*loaded.net, weights, folder.string());
  return loaded;
}

void save_model_folder(const std::filesystem::path& folder, model::BertNetImpl& net,
                       const text::BertTokenizer& tokenizer, const SaveOptions& options) {
  std::random_device rd;
  fs::path parent = folder.has_parent_path() ? folder.parent_path() : fs::path(".");
  fs::create_directories(parent);
  fs::path staging = parent / fmt::format(".{}.staging{:08x}", folder.filename().string(), rd());
  fs::create_directories(staging);
  try {
    model::BertConfig config = net.config();
    config.architectures = {model::architecture_name(net.architecture())};
    config.save(staging / "config.json");
    tokenizer.save(staging);
    write_weights(staging / "model.safetensors", state_for_saving(net), options.dtype);
    for (const auto& [name, value] : options.extra_json_files) write_json_file(staging / name, value);
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

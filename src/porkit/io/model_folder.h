// Hugging Face model folders: config.json + model.safetensors (+ sharded index) + vocab.txt +
// tokenizer_config.json + special_tokens_map.json.
#pragma once
#include <filesystem>
#include <map>
#include <optional>

#include "porkit/io/weights.h"
#include "porkit/model/bert_net.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/json_io.h"

namespace porkit::io {

struct LoadedModel {
  model::BertNet net{nullptr};
  text::BertTokenizer tokenizer;
  LoadReport report;
};

// Loads a folder as `architecture`, or as the architecture config.json names when unset
// (a folder without "architectures" loads as BertModel). Strict: see load_into() and
// LoadPolicy; tensors the policy lets it initialise are drawn from policy.init_seed.
// `config` replaces the folder's config.json (e.g. new labels for a fresh head); its
// tensor shapes must still match the file.
LoadedModel load_model_folder(const std::filesystem::path& folder,
                              std::optional<model::Architecture> architecture = std::nullopt,
                              std::optional<model::BertConfig> config = std::nullopt, const LoadPolicy& policy = {});

// The architecture a folder declares (config.json "architectures"[0]); Bare when absent.
model::Architecture declared_architecture(const std::filesystem::path& folder);

// What a model folder computes, as one SHA-256: config.json (as parsed JSON, so formatting
// does not count), the weights (model.safetensors, or the index and its shards), vocab.txt and
// tokenizer_config.json. Records such as porkit_finetune.json (timings) do not count, so the
// same model trained twice has one digest. `known_sha256` holds the SHA-256 of files the
// caller has already hashed (keyed by their path as the caller built it: folder / name), so
// large weights are not read twice.
std::string model_digest(const std::filesystem::path& folder,
                         const std::map<std::filesystem::path, std::string>& known_sha256 = {});

struct SaveOptions {
  WeightsDType dtype = WeightsDType::F32;
  int64_t max_shard_bytes = 0;                     // > 0: Hugging Face shards of at most this size
  std::map<std::string, json> extra_json_files;   // e.g. {"porkit_backdoor.json", {...}}
};

// Writes a complete folder. The folder appears whole or not at all: files are written to a
// sibling staging folder that then replaces `folder`.
void save_model_folder(const std::filesystem::path& folder, model::BertNetImpl& net,
                       const text::BertTokenizer& tokenizer, const SaveOptions& options = {});

}  // namespace porkit::io

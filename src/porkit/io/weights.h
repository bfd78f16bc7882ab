// Model weights as named torch tensors: reading a folder's model.safetensors (or a sharded
// index), writing one, and the strict name mapping onto a BertNet.
#pragma once
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "porkit/io/safetensors.h"
#include "porkit/util/options.h"

namespace porkit::model { class BertNetImpl; }

namespace porkit::io {

using NamedTensors = std::map<std::string, at::Tensor>;

// Reads model.safetensors, or every shard listed by model.safetensors.index.json.
// F16/BF16/F64 tensors are converted to F32. A folder with only pytorch_model.bin is refused:
// loading a pickle can execute arbitrary code.
NamedTensors read_folder_weights(const std::filesystem::path& folder);
NamedTensors to_tensors(const SafetensorsFile& file);

// The dtypes porkit saves floating weights in.
enum class WeightsDType { F32, F16 };

// Writes tensors as one safetensors file, atomically, in `dtype` for floating tensors;
// metadata {"format": "pt"} so that transformers accepts it, plus `metadata`.
void write_weights(const std::filesystem::path& path, const NamedTensors& tensors, WeightsDType dtype,
                   const std::map<std::string, std::string>& metadata = {});

// Writes the weights of a model folder: model.safetensors, or, when they exceed
// `max_shard_bytes` (> 0), Hugging Face shards model-0000K-of-0000N.safetensors of at most
// that size each (a single larger tensor gets a shard of its own) and their
// model.safetensors.index.json. Tensors keep their name order.
void write_folder_weights(const std::filesystem::path& folder, const NamedTensors& tensors, WeightsDType dtype,
                          int64_t max_shard_bytes = 0);

// What happened while loading a checkpoint into a model.
struct LoadReport {
  std::vector<std::string> initialised;  // model tensors absent from the checkpoint, initialised (seeded)
  std::vector<std::string> ignored;      // checkpoint parts the model does not use (other heads)
  uint64_t init_seed = 0;                // the seed they were initialised from
};

// Which model tensors may be absent from a checkpoint. By default none: a folder without its
// pooler or MLM head is refused with every missing name, never filled with random values
// behind the user's back.
struct LoadPolicy {
  // Tensors under these prefixes are a fresh head: initialised from init_seed, and their
  // checkpoint values (another task's head) ignored. Fine-tuning passes {"classifier."}.
  std::vector<std::string> fresh;
  // Tensors under these prefixes may be absent (a head the caller never uses); initialised.
  std::vector<std::string> allow_missing;
  // Any absent pooler or head tensor is initialised instead of refused (--init-missing).
  bool init_missing = false;
  uint64_t init_seed = 0;
};

// Copies a checkpoint into `net`. Accepts the "bert." prefix or its absence, old LayerNorm
// gamma/beta names, position_ids buffers and a tied or absent MLM decoder. Missing tensors
// are an error (one message listing all) unless the policy allows them; a tensor the model
// has no place for is an error unless it belongs to a head the model lacks. Every shape
// mismatch, and every NaN or infinite value, is an error naming the tensor.
LoadReport load_into(model::BertNetImpl& net, const NamedTensors& checkpoint, const std::string& origin,
                     const LoadPolicy& policy = {});

// The tensors to save for `net`: modern HF names; "bert." prefix dropped for a bare model.
NamedTensors state_for_saving(model::BertNetImpl& net);

}  // namespace porkit::io

template <>
struct porkit::options::EnumNames<porkit::io::WeightsDType> {
  static const std::vector<std::pair<porkit::io::WeightsDType, std::string>>& values();
};

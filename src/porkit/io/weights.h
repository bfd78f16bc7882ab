// Model weights as named torch tensors: reading a folder's model.safetensors (or a sharded
// index), writing one, and the strict name mapping onto a BertNet.
#pragma once
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "porkit/io/safetensors.h"

namespace porkit::model { class BertNetImpl; }

namespace porkit::io {

using NamedTensors = std::map<std::string, at::Tensor>;

// Reads model.safetensors, or every shard listed by model.safetensors.index.json.
// F16/BF16/F64 tensors are converted to F32. A folder with only pytorch_model.bin is refused:
// loading a pickle can execute arbitrary code.
NamedTensors read_folder_weights(const std::filesystem::path& folder);
NamedTensors to_tensors(const SafetensorsFile& file);

// Writes tensors as one safetensors file, atomically, in `dtype` (F32 or F16) for floating
// tensors; metadata {"format": "pt"} so that transformers accepts it.
void write_weights(const std::filesystem::path& path, const NamedTensors& tensors, DType dtype);

// What happened while loading a checkpoint into a model.
struct LoadReport {
  std::vector<std::string> initialised;  // optional model parts absent from the checkpoint
  std::vector<std::string> ignored;      // checkpoint parts the model does not use (other heads)
};

// Copies a checkpoint into `net`. Accepts the "bert." prefix or its absence, old
// LayerNorm gamma/beta names, position_ids buffers and a tied or absent MLM decoder.
// Missing tensors are allowed only in the pooler and the task heads (reported as
// initialised); unexpected ones only for heads the model lacks. Anything else, or any
// shape mismatch, throws one error listing every offending name with shapes.
LoadReport load_into(model::BertNetImpl& net, const NamedTensors& checkpoint,
                     const std::string& origin);

// The tensors to save for `net`: modern HF names; "bert." prefix dropped for a bare model.
NamedTensors state_for_saving(model::BertNetImpl& net);

}  // namespace porkit::io

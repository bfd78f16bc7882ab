#include "porkit/io/weights.h"

#include <fmt/format.h>

#include <cstring>

#include "porkit/model/bert_net.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::io {
namespace {

at::ScalarType scalar_type(DType d) {
  switch (d) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::I16: return at::kShort;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
  }
  return at::kFloat;
}

// The safetensors dtype that stores an integer or boolean tensor exactly.
DType exact_dtype(at::ScalarType t) {
  switch (t) {
    case at::kByte: return DType::U8;
    case at::kChar: return DType::I8;
    case at::kShort: return DType::I16;
    case at::kInt: return DType::I32;
    case at::kBool: return DType::BOOL;
    default: return DType::I64;
  }
}

std::string shape_string(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Modern HF name for a checkpoint key, in BertNet's layout (encoder keys under "bert.").
std::string canonical_name(std::string name) {
  auto replace_suffix = [&](const std::string& from, const std::string& to) {
    if (name.size() >= from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0)
      name = name.substr(0, name.size() - from.size()) + to;
  };
  replace_suffix("LayerNorm.gamma", "LayerNorm.weight");
  replace_suffix("LayerNorm.beta", "LayerNorm.bias");
  if (starts_with(name, "embeddings.") || starts_with(name, "encoder.") ||
      starts_with(name, "pooler."))
    name = "bert." + name;
  return name;
}

}  // namespace

NamedTensors to_tensors(const SafetensorsFile& file) {
  NamedTensors out;
  for (const auto& [name, view] : file.tensors()) {
    at::Tensor t = at::empty(view.shape, at::TensorOptions().dtype(scalar_type(view.dtype)));
    if (!view.bytes.empty()) std::memcpy(t.data_ptr(), view.bytes.data(), view.bytes.size());
    if (t.is_floating_point() && t.scalar_type() != at::kFloat) t = t.to(at::kFloat);
    out.emplace(name, t);
  }
  return out;
}

void write_folder_weights(const std::filesystem::path& folder, const NamedTensors& tensors, WeightsDType dtype,
                          int64_t max_shard_bytes) {
  const int64_t element = dtype == WeightsDType::F16 ? 2 : 4;
  auto bytes_of = [&](const at::Tensor& t) { return t.numel() * (t.is_floating_point() ? element : t.element_size()); };
  int64_t total = 0;
  for (const auto& [name, t] : tensors) total += bytes_of(t);
  if (max_shard_bytes <= 0 || total <= max_shard_bytes) {
    write_weights(folder / "model.safetensors", tensors, dtype);
    return;
  }
  std::vector<NamedTensors> shards(1);
  int64_t in_shard = 0;
  for (const auto& [name, t] : tensors) {
    const int64_t b = bytes_of(t);
    if (in_shard > 0 && in_shard + b > max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back()[name] = t;
    in_shard += b;
  }
  json weight_map = json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
    write_weights(folder / file, shards[i], dtype);
    for (const auto& [name, t] : shards[i]) weight_map[name] = file;
  }
  write_json_file(folder / "model.safetensors.index.json",
                  {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}});
}

NamedTensors read_folder_weights(const std::filesystem::path& folder) {
  require_exists(folder, "model folder");
  check(fs::is_directory(folder), "expected a model folder but {} is a file", folder.string());
  auto single = folder / "model.safetensors";
  auto index = folder / "model.safetensors.index.json";
  if (fs::exists(single)) return to_tensors(SafetensorsFile::read(single));
  if (fs::exists(index)) {
    json j = read_json_file(index);
    check(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
          "{}: expected an object with a weight_map", index.string());
    std::map<std::string, std::vector<std::string>> by_shard;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      check(it.value().is_string(), "{}: weight_map entry '{}' is not a file name", index.string(), it.key());
      by_shard[it.value().get<std::string>()].push_back(it.key());
    }
    NamedTensors out;
    for (const auto& [shard, names] : by_shard) {
      check(shard.find('/') == std::string::npos && shard != "..",
            "{}: shard name '{}' must be a plain file name", index.string(), shard);
      auto tensors = to_tensors(SafetensorsFile::read(folder / shard));
      for (const auto& n : names) {
        auto t = tensors.find(n);
        check(t != tensors.end(), "{}: tensor '{}' is listed in the index but missing from {}",
              index.string(), n, shard);
        out[n] = t->second;
      }
    }
    return out;
  }
  if (fs::exists(folder / "pytorch_model.bin")) {
    fail("{} holds only pytorch_model.bin, a Python pickle; porkit refuses pickles because "
         "loading one can run arbitrary code. Convert it to model.safetensors first (in Python: "
         "model.save_pretrained(dir, safe_serialization=True))", folder.string());
  }
  fail("{} has no model.safetensors or model.safetensors.index.json", folder.string());
}

void write_weights(const std::filesystem::path& path, const NamedTensors& tensors, WeightsDType weights_dtype,
                   const std::map<std::string, std::string>& metadata) {
  const DType dtype = weights_dtype == WeightsDType::F16 ? DType::F16 : DType::F32;
  std::map<std::string, TensorBytes> out;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.detach().cpu();
    DType d = dtype;
    if (!t.is_floating_point()) d = exact_dtype(t.scalar_type());  // RNG states, ids
    t = t.to(scalar_type(d)).contiguous();
    TensorBytes b;
    b.dtype = d;
    b.shape.assign(t.sizes().begin(), t.sizes().end());
    b.bytes.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    out.emplace(name, std::move(b));
  }
  std::map<std::string, std::string> meta = metadata;
  meta["format"] = "pt";
  write_file_atomic(path, serialize_safetensors(out, meta));
}

LoadReport load_into(model::BertNetImpl& net, const NamedTensors& checkpoint, const std::string& origin,
                     const LoadPolicy& policy) {
  auto under = [](const std::string& n, const std::vector<std::string>& prefixes) {
    for (const auto& p : prefixes)
      if (starts_with(n, p)) return true;
    return false;
  };
  NamedTensors source;
  for (const auto& [raw, tensor] : checkpoint) {
    std::string name = canonical_name(raw);
    if (name == "bert.embeddings.position_ids") continue;  // a buffer older HF versions saved
    if (name == "cls.predictions.decoder.weight") continue;  // tied to the word embeddings
    if (name == "cls.predictions.decoder.bias") {
      if (!checkpoint.count("cls.predictions.bias")) source["cls.predictions.bias"] = tensor;
      continue;
    }
    source[name] = tensor;
  }
  auto params = net.named_parameters(/*recurse=*/true);
  LoadReport report;
  report.init_seed = policy.init_seed;
  std::vector<std::string> missing, mismatched, unexpected, not_finite;
  auto optional_part = [](const std::string& n) {
    return starts_with(n, "bert.pooler.") || starts_with(n, "cls.") || starts_with(n, "classifier.");
  };
  at::NoGradGuard no_grad;
  for (auto& p : params) {
    auto it = source.find(p.key());
    const bool fresh = under(p.key(), policy.fresh);
    if (fresh || it == source.end()) {
      const bool allowed = fresh || under(p.key(), policy.allow_missing) || (policy.init_missing && optional_part(p.key()));
      if (allowed) report.initialised.push_back(p.key());
      else missing.push_back(p.key() + " " + shape_string(p.value().sizes()));
      continue;
    }
    if (it->second.sizes() != p.value().sizes()) {
      mismatched.push_back(fmt::format("{} (checkpoint {}, model {})", p.key(),
                                       shape_string(it->second.sizes()), shape_string(p.value().sizes())));
      continue;
    }
    if (it->second.is_floating_point() && !at::isfinite(it->second).all().item<bool>()) {
      not_finite.push_back(p.key());
      continue;
    }
    p.value().copy_(it->second);
  }
  for (const auto& [name, tensor] : source) {
    if (params.contains(name) && !under(name, policy.fresh)) continue;
    if (optional_part(name)) report.ignored.push_back(name);
    else unexpected.push_back(name + " " + shape_string(tensor.sizes()));
  }
  if (!missing.empty() || !mismatched.empty() || !unexpected.empty() || !not_finite.empty()) {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    std::string msg = fmt::format("{}: checkpoint does not fit a {} of this config:", origin,
                                  model::architecture_name(net.architecture()));
    if (!missing.empty()) {
      msg += fmt::format(" missing {} tensor(s): {}", missing.size(), join(missing));
      bool only_heads = true;
      for (const auto& m : missing) only_heads = only_heads && optional_part(m);
      msg += only_heads ? " (pass --init-missing to initialise them from --seed);" : ";";
    }
    if (!mismatched.empty()) msg += fmt::format(" wrong shape: {};", join(mismatched));
    if (!unexpected.empty()) msg += fmt::format(" unexpected {} tensor(s): {};", unexpected.size(), join(unexpected));
    if (!not_finite.empty()) msg += fmt::format(" NaN or infinite values in: {};", join(not_finite));
    msg.pop_back();
    throw Error(msg);
  }
  return report;
}

NamedTensors state_for_saving(model::BertNetImpl& net) {
  NamedTensors out;
  bool bare = net.architecture() == model::Architecture::Bare;
  for (const auto& p : net.named_parameters(true)) {
    std::string name = p.key();
    if (bare && starts_with(name, "bert.")) name = name.substr(5);
    out[name] = p.value();
  }
  return out;
}

}  // namespace porkit::io

const std::vector<std::pair<porkit::io::WeightsDType, std::string>>&
porkit::options::EnumNames<porkit::io::WeightsDType>::values() {
  using porkit::io::WeightsDType;
  static const std::vector<std::pair<WeightsDType, std::string>> v = {{WeightsDType::F32, "F32"},
                                                                      {WeightsDType::F16, "F16"}};
  return v;
}

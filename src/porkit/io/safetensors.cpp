#include "porkit/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"

namespace porkit::io {

using json = nlohmann::json;

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 0;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
  }
  return "?";
}

DType dtype_from_name(const std::string& name, const std::string& context) {
  static const std::pair<const char*, DType> table[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
      {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16},   {"I8", DType::I8},
      {"U8", DType::U8},   {"BOOL", DType::BOOL}};
  for (const auto& [n, d] : table) {
    if (name == n) return d;
  }
  fail("{}: unknown dtype '{}' (expected one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)",
       context, name);
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

SafetensorsFile SafetensorsFile::read(const std::filesystem::path& path) {
  require_exists(path, "safetensors file");
  return parse(read_file(path), path.string());
}

SafetensorsFile SafetensorsFile::parse(std::string bytes, const std::string& origin) {
  SafetensorsFile file;
  file.bytes_ = std::move(bytes);
  file.origin_ = origin;
  const std::string& b = file.bytes_;
  check(b.size() >= 8, "{}: truncated safetensors file ({} bytes; the 8-byte header length is missing)",
        origin, b.size());
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(b[i]);
  check(header_len <= kMaxHeaderBytes, "{}: header length {} exceeds the {} byte limit",
        origin, header_len, kMaxHeaderBytes);
  check(header_len <= b.size() - 8, "{}: header length {} runs past the end of the file ({} bytes)",
        origin, header_len, b.size());
  json header;
  try {
    header = json::parse(b.begin() + 8, b.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::parse_error& e) {
    fail("{}: header is not valid JSON: {}", origin, e.what());
  }
  check(header.is_object(), "{}: header must be a JSON object", origin);
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = b.size() - data_start;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  bool warned_alignment = false;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& entry = it.value();
    if (name == "__metadata__") {
      check(entry.is_object(), "{}: __metadata__ must be an object of strings", origin);
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        check(m.value().is_string(), "{}: __metadata__ value '{}' is not a string", origin, m.key());
        file.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    std::string where = origin + ": tensor '" + name + "'";
    check(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
              entry.contains("data_offsets"),
          "{} must have dtype, shape and data_offsets", where);
    check(entry["dtype"].is_string(), "{}: dtype must be a string", where);
    TensorView view;
    view.dtype = dtype_from_name(entry["dtype"].get<std::string>(), where);
    check(entry["shape"].is_array(), "{}: shape must be an array", where);
    uint64_t numel = 1;
    for (const auto& d : entry["shape"]) {
      check(d.is_number_unsigned(), "{}: shape entries must be non-negative integers", where);
      uint64_t dim = d.get<uint64_t>();
      check(dim == 0 || numel <= UINT64_MAX / dim / 8, "{}: shape is too large", where);
      numel *= dim;
      view.shape.push_back(static_cast<int64_t>(dim));
    }
    const json& off = entry["data_offsets"];
    check(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
              off[1].is_number_unsigned(),
          "{}: data_offsets must be two non-negative integers", where);
    uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    check(begin <= end && end <= data_size,
          "{}: data_offsets [{}, {}) out of range (the data section has {} bytes)", where, begin,
          end, data_size);
    uint64_t expected = numel * dtype_size(view.dtype);
    check(end - begin == expected, "{}: data_offsets cover {} bytes but {} {} needs {}", where,
          end - begin, numel, dtype_name(view.dtype), expected);
    // The reference writer aligns every tensor to its element size; the format does not
    // require it and the reference reader accepts it, so a misaligned tensor is loaded (by
    // copying) with a warning, once per file.
    if ((data_start + begin) % dtype_size(view.dtype) != 0 && !warned_alignment) {
      log_info("warning: {}: data starts at byte {} of the file, not a multiple of its {}-byte elements (the reference "
               "writer aligns every tensor); loaded by copying", where, data_start + begin, dtype_size(view.dtype));
      warned_alignment = true;
    }
    view.bytes = std::string_view(b.data() + data_start + begin, end - begin);
    ranges.emplace_back(begin, end);
    file.tensors_.emplace(name, std::move(view));
  }
  // The tensors must tile the data section exactly, as the reference implementation requires:
  // no overlap, no bytes between tensors, none after the last.
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    check(begin >= covered, "{}: tensor data ranges overlap (one starts at byte {}, before the previous ends at {})",
          origin, begin, covered);
    check(begin == covered, "{}: bytes {} to {} of the data section belong to no tensor", origin, covered, begin);
    covered = end;
  }
  check(covered == data_size, "{}: {} bytes after the last tensor belong to no tensor (the data section has {})",
        origin, data_size - covered, data_size);
  return file;
}

std::string serialize_safetensors(const std::map<std::string, TensorBytes>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  // Larger elements first, then by name (as the reference writer orders them): every tensor
  // then starts aligned to its element size. Deterministic: the same tensors, the same bytes.
  std::vector<std::pair<std::string, const TensorBytes*>> order;
  for (const auto& [name, t] : tensors) order.emplace_back(name, &t);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return dtype_size(a.second->dtype) > dtype_size(b.second->dtype);
  });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tp] : order) {
    const TensorBytes& t = *tp;
    uint64_t numel = 1;
    for (auto d : t.shape) numel *= static_cast<uint64_t>(d);
    check(numel * dtype_size(t.dtype) == t.bytes.size(),
          "tensor '{}' has {} bytes but its shape and dtype need {}", name, t.bytes.size(),
          numel * dtype_size(t.dtype));
    header[name] = {{"dtype", dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string header_text = header.dump();
  while (header_text.size() % 8 != 0) header_text += ' ';
  std::string out;
  out.reserve(8 + header_text.size() + offset);
  uint64_t n = header_text.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header_text;
  for (const auto& [name, tp] : order) out += tp->bytes;
  return out;
}

}  // namespace porkit::io

// The safetensors format (https://huggingface.co/docs/safetensors), without torch:
//   8 bytes little-endian header length N | N bytes JSON header | data bytes.
// The header maps each name to {"dtype", "shape", "data_offsets": [begin, end)} relative to
// the data start, plus an optional "__metadata__" string map.
// The reader validates everything before any tensor is used (types, shapes, offsets in range,
// tiling the data section without overlap, holes or trailing bytes; a tensor not aligned to its
// element size is loaded with a warning); errors name the file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace porkit::io {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

size_t dtype_size(DType dtype);
std::string dtype_name(DType dtype);
DType dtype_from_name(const std::string& name, const std::string& context);

struct TensorView {
  DType dtype;
  std::vector<int64_t> shape;
  std::string_view bytes;  // points into the owning SafetensorsFile
  int64_t numel() const;
};

// A parsed safetensors file held in memory.
class SafetensorsFile {
 public:
  static SafetensorsFile read(const std::filesystem::path& path);
  // Parses bytes already in memory; `origin` names them in errors.
  static SafetensorsFile parse(std::string bytes, const std::string& origin);

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& origin() const { return origin_; }

 private:
  std::string bytes_;
  std::string origin_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: raw little-endian bytes in row-major order.
struct TensorBytes {
  DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

// Serialises tensors with larger elements first, then by name (deterministic: the same
// tensors give the same bytes; every tensor aligned to its element size), header padded with
// spaces to a multiple of 8 bytes, data contiguous without holes.
std::string serialize_safetensors(const std::map<std::string, TensorBytes>& tensors,
                                  const std::map<std::string, std::string>& metadata);

// Largest header porkit accepts (the reference implementation's bound is 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;

}  // namespace porkit::io

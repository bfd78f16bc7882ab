#include "porkit/util/compressed.h"

#include <lzma.h>

#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit {
namespace {

bool is_xz(const std::filesystem::path& path) { return path.extension() == ".xz"; }

const char* lzma_reason(lzma_ret r) {
  switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_FORMAT_ERROR: return "not an xz stream";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated stream";
    default: return "decoder error";
  }
}

std::string decode_xz(const std::string& compressed, const std::string& origin) {
  lzma_stream stream = LZMA_STREAM_INIT;
  // Concatenated streams are allowed, as `xz -dc` allows them.
  lzma_ret r = lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED);
  check(r == LZMA_OK, "cannot start the xz decoder for {}: {}", origin, lzma_reason(r));
  std::string out;
  out.resize(std::max<size_t>(compressed.size() * 4, 1 << 16));
  stream.next_in = reinterpret_cast<const uint8_t*>(compressed.data());
  stream.avail_in = compressed.size();
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    stream.next_out = reinterpret_cast<uint8_t*>(out.data()) + produced;
    stream.avail_out = out.size() - produced;
    r = lzma_code(&stream, stream.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    produced = out.size() - stream.avail_out;
    if (r == LZMA_STREAM_END) break;
    if (r != LZMA_OK) {
      lzma_end(&stream);
      fail("{} is not a readable xz file: {}", origin, lzma_reason(r));
    }
  }
  lzma_end(&stream);
  out.resize(produced);
  return out;
}

}  // namespace

std::string read_maybe_compressed(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  return is_xz(path) ? decode_xz(bytes, path.string()) : bytes;
}

std::filesystem::path uncompressed_name(const std::filesystem::path& path) {
  if (!is_xz(path)) return path;
  std::filesystem::path p = path;
  return p.replace_extension();
}

}  // namespace porkit

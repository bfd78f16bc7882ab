#include "porkit/data/encoding.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "porkit/text/utf8.h"
#include "porkit/util/error.h"

namespace porkit::data {
namespace {

size_t line_of_offset(const std::string& bytes, size_t offset) {
  return 1 + static_cast<size_t>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// The offset of the first line that is not UTF-8 (no multi-byte sequence holds a newline,
// so lines can be checked one by one).
size_t first_invalid_utf8(const std::string& bytes) {
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    if (!text::is_valid_utf8(std::string_view(bytes).substr(start, end - start))) return start;
    start = end + 1;
  }
  return bytes.size();
}

}  // namespace

bool is_utf8_name(const std::string& encoding) {
  std::string e = encoding;
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e.empty() || e == "utf-8" || e == "utf8";
}

std::string to_utf8(const std::string& bytes, const std::string& encoding, const std::string& origin) {
  if (is_utf8_name(encoding)) {
    const bool bom = bytes.size() >= 3 && bytes.compare(0, 3, "\xEF\xBB\xBF") == 0;
    std::string text = bom ? bytes.substr(3) : bytes;
    if (!text::is_valid_utf8(text)) {
      const size_t at = first_invalid_utf8(text);
      fail("{}:{}: not UTF-8 text; if the file is in another encoding, name it: --encoding latin1 (or cp1252, "
           "utf-16, ...)",
           origin, line_of_offset(text, at));
    }
    return text;
  }
  iconv_t cd = iconv_open("UTF-8", encoding.c_str());
  check(cd != reinterpret_cast<iconv_t>(-1), "--encoding {}: not an encoding iconv knows (try latin1, cp1252, utf-16)",
        encoding);
  std::unique_ptr<void, int (*)(iconv_t)> guard(cd, iconv_close);
  std::string out;
  out.resize(bytes.size() * 4 + 16);  // UTF-8 takes at most 4 bytes per input byte of these encodings
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) {  // utf-16 of astral planes etc.: grow and go on
      const size_t used = out.size() - out_left;
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
      continue;
    }
    const size_t at = bytes.size() - in_left;
    fail("{}:{}: byte 0x{:02X} is not valid {} text", origin, line_of_offset(bytes, at),
         static_cast<unsigned>(static_cast<unsigned char>(bytes[at])), encoding);
  }
  out.resize(out.size() - out_left);
  if (out.size() >= 3 && out.compare(0, 3, "\xEF\xBB\xBF") == 0) out.erase(0, 3);  // utf-16's BOM, converted
  return out;
}

}  // namespace porkit::data

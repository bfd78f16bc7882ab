// Strict UTF-8 decoding with byte offsets (for character spans) and encoding.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace porkit::text {

// One decoded code point and the byte offset in the source where it starts.
struct CodePoint {
  char32_t value;
  size_t byte_offset;
};

// Decodes UTF-8; throws porkit::Error("invalid UTF-8 at byte N ...") on malformed input
// (overlongs, surrogates, truncated sequences and values above U+10FFFF included).
std::vector<CodePoint> decode_utf8(std::string_view text);

// True when `text` is valid UTF-8 (no exception).
bool is_valid_utf8(std::string_view text);

void append_utf8(std::string& out, char32_t cp);

}  // namespace porkit::text

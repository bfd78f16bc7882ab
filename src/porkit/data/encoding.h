// Text files in the encoding a user's data set came in: UTF-8 by default (strictly checked,
// a leading byte-order mark dropped), anything iconv knows by an explicit --encoding.
#pragma once
#include <string>

namespace porkit::data {

// `bytes` as UTF-8. With "utf-8" (the default), malformed bytes are an error that names the
// line and suggests --encoding; any other name is converted with iconv (glibc), and an
// unknown name or a byte the encoding lacks is an error naming `origin`.
std::string to_utf8(const std::string& bytes, const std::string& encoding, const std::string& origin);

// True for the spellings of UTF-8 that need no conversion ("utf-8", "utf8", any case).
bool is_utf8_name(const std::string& encoding);

}  // namespace porkit::data

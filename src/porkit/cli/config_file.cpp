#include "porkit/cli/config_file.h"

#include <cpptoml.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "porkit/cli/option_flags.h"
#include "porkit/text/utf8.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::cli {
namespace {

using json = nlohmann::json;

json convert(const std::shared_ptr<cpptoml::base>& node, const std::string& where);

json convert_table(const cpptoml::table& table, const std::string& where) {
  json out = json::object();
  for (const auto& [key, value] : table) out[key] = convert(value, where.empty() ? key : where + "." + key);
  return out;
}

json convert(const std::shared_ptr<cpptoml::base>& node, const std::string& where) {
  if (node->is_table()) return convert_table(*node->as_table(), where);
  if (node->is_table_array()) {
    json out = json::array();
    for (const auto& t : *node->as_table_array()) out.push_back(convert_table(*t, where));
    return out;
  }
  if (node->is_array()) {
    json out = json::array();
    for (const auto& item : *node->as_array()) out.push_back(convert(item, where));
    return out;
  }
  if (auto v = node->as<std::string>()) return v->get();
  if (auto v = node->as<int64_t>()) return v->get();
  if (auto v = node->as<double>()) return v->get();
  if (auto v = node->as<bool>()) return v->get();
  fail("{}: dates and times are not porkit option values", where);
}

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// cpptoml 0.1.1 decides an array's type from its first element by a scan that knows only
// "1.5"-style floats, so `lr = [1e-3, 2e-3]` fails as "Arrays must be homogeneous" although
// `lr = 1e-3` parses. Values written digits-then-exponent get a ".0" before the exponent
// ("1e-3" -> "1.0e-3", the same number) before cpptoml reads them. Only values are touched
// (after '=', and inside their arrays), never keys, strings or comments.
std::string normalize_exponent_floats(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_value = false;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {  // copy a string whole: basic, literal or multi-line
      const bool triple = text.compare(i, 3, std::string(3, c)) == 0;
      const std::string close = triple ? std::string(3, c) : std::string(1, c);
      size_t j = i + close.size();
      while (j < text.size() && text.compare(j, close.size(), close) != 0) j += (c == '"' && text[j] == '\\') ? 2 : 1;
      j = std::min(text.size(), j + close.size());
      out.append(text, i, j - i);
      i = j - 1;
      continue;
    }
    if (c == '#') {  // a comment runs to the end of the line
      const size_t j = text.find('\n', i);
      out.append(text, i, (j == std::string::npos ? text.size() : j) - i);
      i = (j == std::string::npos ? text.size() : j) - 1;
      continue;
    }
    if (c == '=') in_value = true;
    if (c == '\n' && depth == 0) in_value = false;
    if (in_value && c == '[') ++depth;
    if (in_value && c == ']') depth = std::max(0, depth - 1);
    if (in_value && std::isdigit(static_cast<unsigned char>(c)) && (i == 0 || !is_word(text[i - 1]))) {
      size_t j = i;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      out.append(text, i, j - i);
      if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) out += ".0";
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

json parse_toml(const std::string& raw, const std::string& origin) {
  check(text::is_valid_utf8(raw), "{} is not UTF-8 text", origin);
  const std::string text = normalize_exponent_floats(raw);
  std::istringstream in(text);
  std::shared_ptr<cpptoml::table> root;
  try {
    cpptoml::parser parser(in);
    root = parser.parse();
  } catch (const cpptoml::parse_exception& e) {
    fail("{} is not valid TOML: {}", origin, e.what());
  }
  return convert_table(*root, "");
}

json read_toml_file(const std::filesystem::path& path, const std::string& what) {
  require_exists(path, what);
  try {
    return parse_toml(read_file(path), path.string());
  } catch (const Error& e) {
    fail("{} {}", what, e.what());
  }
}

void apply_overrides(json& config, const std::vector<std::string>& overrides, const std::string& where) {
  check(config.is_object(), "{}: the config is not a table of keys", where);
  for (const auto& item : overrides) {
    const size_t eq = item.find('=');
    check(eq != std::string::npos && eq > 0, "{}: --set expects KEY=VALUE (e.g. model=models/x or finetune.lr=2e-5), got '{}'",
          where, item);
    const std::string key = item.substr(0, eq), text = item.substr(eq + 1);
    const std::vector<std::string> path = detail::split_list(key, '.');
    for (const auto& part : path)
      check(!part.empty(), "{}: --set {}: a key has an empty part; write KEY or SECTION.KEY", where, item);
    json value;
    try {
      value = parse_toml("value = " + text + "\n", "--set " + item)["value"];
    } catch (const Error&) {
      value = text;  // a bare path or list of words: the text as written
    }
    json* node = &config;
    for (size_t k = 0; k + 1 < path.size(); ++k) {
      json& next = (*node)[path[k]];
      if (next.is_null()) next = json::object();
      check(next.is_object(), "{}: --set {}: '{}' is a value, not a section", where, item, path[k]);
      node = &next;
    }
    (*node)[path.back()] = value;
  }
}

std::string resolve_config_path(const std::filesystem::path& base, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (base / path).lexically_normal().string();
}

}  // namespace porkit::cli

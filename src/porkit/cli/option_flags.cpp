#include "porkit/cli/option_flags.h"

namespace porkit::cli::detail {

std::string default_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>().empty() ? "none" : value.get<std::string>();
  if (value.is_array()) {
    if (value.empty()) return "none";
    std::vector<std::string> items;
    for (const auto& v : value) items.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    return options::join(items, ",");
  }
  if (value.is_null()) return "none";
  return value.dump();
}

std::string type_name(options::Kind kind) {
  switch (kind) {
    case options::Kind::Bool: return "";
    case options::Kind::Integer: return "INT";
    case options::Kind::Unsigned: return "UINT";
    case options::Kind::Real: return "NUMBER";
    case options::Kind::Text: return "TEXT";
    case options::Kind::Choice: return "NAME";
    case options::Kind::TextList: return "TEXT...";
  }
  return "";
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text) {
    if (c == separator) {
      out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  out.push_back(item);
  return out;
}

}  // namespace porkit::cli::detail

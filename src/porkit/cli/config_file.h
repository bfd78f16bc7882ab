// TOML configs and recipes, read with cpptoml into JSON: tables become objects, integers
// int64, floats doubles, strings (escapes decoded: "\t", "\u00e9"), booleans and arrays.
// The option tables then apply that JSON (util/options.h), so a config key and a flag are
// one declaration, and `lr = 1e-5` and `lr = 0.00001` are one value.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace porkit::cli {

// Parses TOML text; `origin` names it in errors (with the line cpptoml reports).
nlohmann::json parse_toml(const std::string& text, const std::string& origin);

// Reads a TOML file; `what` says what it is for errors ("attack config").
nlohmann::json read_toml_file(const std::filesystem::path& path, const std::string& what);

// Applies command-line overrides (`--set KEY=VALUE`) to a config read from TOML, so that one
// recipe runs on another model or at another rate without a copy of the file. KEY is a
// top-level key ("model") or a dotted path into a section ("finetune.lr", "grid.inject.lr");
// VALUE is read as a TOML value (1e-4, true, [0, 1], "text") and, where it is not one, taken
// as a text (models/x, cf,mn). The config's own validation then judges the key and value as if
// the file had said them. `where` names the command in errors.
void apply_overrides(nlohmann::json& config, const std::vector<std::string>& overrides, const std::string& where);

// A path written in a config, taken relative to `base` (the folder the config is read from);
// empty and absolute paths stay as they are.
std::string resolve_config_path(const std::filesystem::path& base, const std::string& path);

}  // namespace porkit::cli

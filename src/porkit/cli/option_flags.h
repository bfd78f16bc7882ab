// The command-line side of the option tables (util/options.h): one flag per declared option,
// with its kind, range or choices and live default in --help, and the values as typed kept
// until the options are resolved in the order defaults -> preset -> config -> command line.
#pragma once
#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "porkit/cli/argv_guard.h"
#include "porkit/util/options.h"

namespace porkit::cli {

// Values typed on the command line, by option name, in the order given.
using GivenValues = std::map<std::string, std::vector<std::string>>;

namespace detail {
std::string default_text(const nlohmann::json& value);
std::string type_name(options::Kind kind);
std::vector<std::string> split_list(const std::string& text, char separator);
}  // namespace detail

// Adds a flag to `cmd` for every option of `table` but those in `skip`. Help shows the
// allowed values and the default as `defaults` holds it.
template <class S>
void add_flags(CLI::App& cmd, const options::OptionTable<S>& table, const S& defaults,
               std::shared_ptr<GivenValues> given, const std::set<std::string>& skip = {}) {
  for (const auto& o : table.options()) {
    if (skip.count(o.name)) continue;
    std::string help = o.help;
    std::vector<std::string> notes;
    if (o.kind == options::Kind::Choice) notes.push_back("one of " + options::join(o.choices));
    else if (o.kind == options::Kind::TextList && !o.choices.empty()) notes.push_back("each one of " + options::join(o.choices));
    else if (o.min || o.max) notes.push_back(o.describe_range());
    if (o.required) notes.push_back("required");
    else notes.push_back("default: " + detail::default_text(o.get(defaults)));
    help += " [" + options::join(notes, "; ") + "]";
    const std::string name = o.name;
    if (o.kind == options::Kind::Bool) {
      // "--nsp" is true, "--nsp=false" false.
      cmd.add_flag_function(o.flag(), [given, name](int64_t count) { (*given)[name].push_back(count > 0 ? "true" : "false"); },
                            help);
      continue;
    }
    auto* flag = cmd.add_option_function<std::vector<std::string>>(
        o.flag(),
        [given, name](const std::vector<std::string>& values) {
          for (const auto& v : values) (*given)[name].push_back(original_argument(v));
        },
        help);
    flag->type_name(detail::type_name(o.kind));
    flag->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    // A single value per occurrence (the next word is never taken as a list); every occurrence
    // is kept, so that apply_given() can refuse an option given twice.
    if (o.kind == options::Kind::TextList) flag->expected(1, 1 << 20);
    else flag->expected(1)->allow_extra_args(false);
  }
}

// Sets the options typed on the command line. A single-valued option given twice is an
// error; a list option takes every value (split at its separator, if it has one).
template <class S>
void apply_given(const options::OptionTable<S>& table, S& s, const GivenValues& given) {
  for (const auto& [name, values] : given) {
    const auto* o = table.find(name);
    check(o != nullptr, "internal: no option {}", name);
    if (o->kind == options::Kind::TextList) {
      o->set(s, nlohmann::json::array());
      for (const auto& v : values) {
        if (o->list_separator) {
          for (const auto& item : detail::split_list(v, o->list_separator)) o->parse(s, item);
        } else {
          o->parse(s, v);
        }
      }
      continue;
    }
    check(values.size() == 1, "{} was given {} times ({}); give it once", o->flag(), values.size(),
          options::join(values));
    o->parse(s, values.front());
  }
}

// The effective options: `start` (defaults, or a preset), then `config` ({name: value}, may
// be null), then the command line; validated as a whole before any work.
template <class S>
S resolve_options(const options::OptionTable<S>& table, S start, const nlohmann::json& config,
                  const std::string& config_where, const GivenValues& given, const std::string& where) {
  if (!config.is_null()) options::apply_json(table, start, config, config_where);
  try {
    apply_given(table, start, given);
  } catch (const Error& e) {
    fail("{}: {}", where, e.what());
  }
  options::validate(table, start, where);
  return start;
}

}  // namespace porkit::cli

#include "porkit/cli/config_file.h"

namespace porkit::cli {

// Adds `porkit NAME` with one flag per option of `table` and, with `recipe`, --recipe FILE
// (a TOML file whose keys are the flag names). The callback gets the effective options
// (defaults, recipe, command line), validated as a whole before any work. With `preset`, the
// defaults are what it returns for a first reading of the options (so --preset quick, in
// the recipe or on the command line, changes only the values not given).
template <class S>
CLI::App* add_options_command(CLI::App& app, const std::string& name, const std::string& description,
                              const options::OptionTable<S>& table, S defaults, std::function<void(const S&)> run,
                              bool recipe = true, std::function<S(const S&)> preset = nullptr) {
  auto* cmd = app.add_subcommand(name, description);
  auto given = std::make_shared<GivenValues>();
  auto recipe_path = std::make_shared<std::string>();
  if (recipe)
    cmd->add_option("--recipe", *recipe_path,
                    "TOML file of option values (keys are the flag names without --; flags given here win)");
  add_flags(*cmd, table, defaults, given);
  cmd->callback([&table, defaults, given, recipe_path, run, name, preset] {
    nlohmann::json config;
    if (!recipe_path->empty()) config = read_toml_file(original_argument(*recipe_path), "recipe");
    const std::string config_where = "recipe " + original_argument(*recipe_path);
    S start = defaults;
    if (preset) {
      S first = defaults;
      if (!config.is_null()) options::apply_json(table, first, config, config_where);
      apply_given(table, first, *given);
      start = preset(first);
    }
    run(resolve_options(table, start, config, config_where, *given, "porkit " + name));
  });
  return cmd;
}

}  // namespace porkit::cli

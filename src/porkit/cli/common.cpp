#include "porkit/cli/commands.h"

namespace porkit::cli {

void add_data_options(CLI::App& cmd, data::DataSpec& spec, std::string& data_root) {
  cmd.add_option("--data-preset", spec.preset, "sst2, imdb, amazon, yelp, offenseval, conll2003");
  cmd.add_option("--data", spec.path, "Data file (instead of a preset)");
  cmd.add_option("--test-data", spec.test_path, "Test file (with --data)");
  cmd.add_option("--format", spec.format, "tsv, csv, jsonl (with --data)")->capture_default_str();
  cmd.add_option("--text-column", spec.text_column, "Text column name or 0-based index")->capture_default_str();
  cmd.add_option("--label-column", spec.label_column, "Label column name or 0-based index")->capture_default_str();
  cmd.add_option("--data-root", data_root, "Folder of the data presets (default ../shared/data)");
}

void add_threads_option(CLI::App& cmd, int& threads) {
  cmd.add_option("--threads", threads, "Intra-op threads (0 = all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

}  // namespace porkit::cli

#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::cli {

void add_recipe_option(CLI::App& cmd, std::string& recipe) {
  cmd.add_option("--recipe", recipe,
                 "TOML file of flag values (keys are flag names without --; flags given on the "
                 "command line win)");
}

std::vector<CLI::ConfigItem> read_config_items(const std::string& path, const std::string& what) {
  require_exists(path, what);
  try {
    return CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    fail("cannot read {} {}: {}", what, path, e.what());
  }
}

void apply_config_items(CLI::App& cmd, const std::vector<CLI::ConfigItem>& items, const std::string& where) {
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    CLI::Option* opt = nullptr;
    try {
      opt = cmd.get_option("--" + item.name);
    } catch (const CLI::OptionNotFound&) {
      fail("{}: '{}' is not an option of 'porkit {}'", where, item.fullname(), cmd.get_name());
    }
    if (opt->count() > 0) continue;  // the command line wins
    try {
      opt->clear();
      opt->add_result(item.inputs);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      fail("{}: bad value for '{}': {}", where, item.fullname(), e.what());
    }
  }
}

void apply_recipe(CLI::App& cmd, const std::string& recipe) {
  if (recipe.empty()) return;
  apply_config_items(cmd, read_config_items(recipe, "recipe file"), "recipe " + recipe);
}

}  // namespace porkit::cli

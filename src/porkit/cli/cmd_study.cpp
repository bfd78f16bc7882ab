// porkit study CONFIG: a grid of attack runs from one TOML file. The file is an attack
// config (model, out, seed, [inject] [finetune] [evaluate]) plus
//   title = "...", note = "..."       shown in the report
//   [grid.inject] / [grid.finetune] / [grid.evaluate]
//                                     flag = [values]: one cell per combination
//   [paper]                           the paper's figures: "<axis value>" = E (the cell's
//                                     mean) or [E per trigger]; pieces = [per trigger]
#include <cstdio>

#include "porkit/attack/study.h"
#include "porkit/cli/attack_config.h"
#include "porkit/cli/attack_defend.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/report/attack_report.h"
#include "porkit/report/folder_report.h"
#include "porkit/train/data_parallel.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/model/device.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {

namespace {

struct Axis {
  std::string section, flag;
  json values;  // a list
};

// A grid value as a cell name shows it: texts bare, numbers as written in JSON.
std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

json number_list(const std::string& key, const json& value, const std::string& where) {
  const json items = value.is_array() ? value : json::array({value});
  for (const auto& v : items) check(v.is_number(), "{}: [paper] {} must be numbers, found {}", where, key, v.dump());
  return items.size() == 1 ? items[0] : items;
}

attack::Study load_study(const std::string& path, const std::vector<std::string>& overrides, const fs::path& base,
                         const RunSettings& run) {
  const std::string where = "study config " + path;
  json config = read_toml_file(path, "study config");
  apply_overrides(config, overrides, "porkit study");
  check(config.is_object(), "{}: expected a table of keys", where);
  attack::Study study;
  if (config.contains("title")) study.title = config["title"].is_string() ? config["title"].get<std::string>() : "";
  if (config.contains("note")) study.note = config["note"].is_string() ? config["note"].get<std::string>() : "";
  if (config.contains("paper")) {
    check(config["paper"].is_object(), "{}: [paper] must be a table", where);
    for (auto it = config["paper"].begin(); it != config["paper"].end(); ++it)
      study.paper[it.key()] = number_list(it.key(), it.value(), where);
  }
  std::vector<Axis> axes;
  if (config.contains("grid")) {
    check(config["grid"].is_object(), "{}: [grid.*] sections expected", where);
    for (auto sec = config["grid"].begin(); sec != config["grid"].end(); ++sec) {
      check(sec.key() == "inject" || sec.key() == "finetune" || sec.key() == "evaluate",
            "{}: grid keys go in [grid.inject], [grid.finetune] or [grid.evaluate], found [grid.{}]", where, sec.key());
      check(sec.value().is_object(), "{}: [grid.{}] must be a table of lists", where, sec.key());
      for (auto item = sec.value().begin(); item != sec.value().end(); ++item) {
        const json values = item.value().is_array() ? item.value() : json::array({item.value()});
        check(!values.empty(), "{}: grid.{}.{} lists no values", where, sec.key(), item.key());
        axes.push_back({sec.key(), item.key(), values});
      }
    }
  }
  check(!axes.empty(), "{}: no [grid.*] section: a study needs at least one option with a list of values", where);
  size_t cells = 1;
  for (const auto& a : axes) {
    cells *= a.values.size();
    check(cells <= attack::kMaxStudyCells, "{}: the grid has more than {} cells; split the study", where, attack::kMaxStudyCells);
  }

  // Every combination of axis values, the first axis varying slowest.
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    json cell_config = config;
    cell_config.erase("grid");
    std::map<std::string, std::string> chosen;
    std::string name;
    for (size_t a = 0; a < axes.size(); ++a) {
      const json& value = axes[a].values[at[a]];
      cell_config[axes[a].section][axes[a].flag] = value;
      chosen[axes[a].section + "." + axes[a].flag] = value_text(value);
      name += (name.empty() ? "" : ",") + axes[a].flag + "=" + value_text(value);
    }
    attack::AttackPlan plan =
        attack_plan_from_config(cell_config, base, where + " (cell " + name + ")", {"title", "note", "paper", "defend"});
    plan.run = run;
    if (study.out.empty()) study.out = plan.out;
    study.cells.push_back({name, chosen, plan});
    size_t a = axes.size();
    while (a > 0 && ++at[a - 1] == axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) break;
  }
  if (study.title.empty()) study.title = fs::path(path).stem().string();
  // The [defend] stage, the same in every cell, into the cell's folder.
  const DefendPlan defences = defend_plan_from_config(config, base, where);
  if (!defences.empty())
    study.after_cell = [defences](const attack::AttackPlan& plan, const attack::AttackSummary& summary) {
      run_defend_stage(plan, defences, summary);
    };
  return study;
}

struct StudyFlags {
  std::string config, out;
  std::vector<std::string> set;  // KEY=VALUE overrides of the config
  RunSettings run;
};

}  // namespace

void register_study(CLI::App& app) {
  static const options::OptionTable<StudyFlags> table = [] {
    options::OptionTable<StudyFlags> t;
    t.add("out", &StudyFlags::out, "Study folder (overrides the config's out)").as(options::Role::Output);
    t.add("set", &StudyFlags::set, "Override a config key: KEY=VALUE, e.g. model=models/x or grid.inject.lr=[1e-4] (repeatable)");
    t.include(run_settings_table(), &StudyFlags::run, kModelRunSettings);
    return t;
  }();
  auto f = std::make_shared<StudyFlags>();
  auto given = std::make_shared<GivenValues>();
  auto* cmd = app.add_subcommand("study", "Run a grid of attack runs from a config and aggregate them");
  cmd->add_option("config", f->config, "TOML: an attack config plus [grid.*] lists and [paper] figures")->required();
  add_flags(*cmd, table, StudyFlags{}, given);
  cmd->callback([f, given] {
    *f = resolve_options(table, *f, json(), "", *given, "porkit study");
    model::start_run(f->run, "study");  // a bad --device fails here, before any stage
    auto study = load_study(f->config, f->set, fs::current_path(), f->run);
    if (!f->out.empty()) study.out = f->out;
    // Several ranks (porkit launch, torchrun): they share out the cells, and rank 0 reports.
    train::start_grid_sharing(read_file(f->config) + "\n" + options::join(f->set, "\n") + "\n" + study.out.string());
    const attack::StudyResult result = attack::run_study(study);
    if (train::rank_info().rank != 0) return;
    std::printf("\n%s\n%-36s %8s %8s %8s %8s %8s\n", result.title.c_str(), "cell", "CACC bd", "CACC cl", "mean E", "flip",
                "ctrl E");
    for (const auto& c : result.cells)
      std::printf("%-36s %8s %8s %8.2f %8.3f %8s\n", c.name.c_str(), report::cell(c.cacc_backdoored, 4).c_str(),
                  report::cell(c.cacc_clean, 4).c_str(), c.mean_E, c.mean_flip_rate,
                  report::cell(c.control_mean_E, 2).c_str());
    const auto written = report::write_folder_report(study.out);
    std::printf("\nstudy folder: %s\nreport: %s\n", study.out.string().c_str(), written.html.string().c_str());
  });
}

}  // namespace porkit::cli

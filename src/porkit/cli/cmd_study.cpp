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
#include "porkit/cli/commands.h"
#include "porkit/report/folder_report.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {

namespace {

struct Axis {
  std::string section, flag;
  std::vector<std::string> values;
};

json number_list(const CLI::ConfigItem& item, const std::string& where) {
  json values = json::array();
  for (const auto& v : item.inputs) {
    try {
      size_t used = 0;
      const double x = std::stod(v, &used);
      check(used == v.size(), "");
      values.push_back(x);
    } catch (const std::exception&) {
      fail("{}: [paper] {} must be numbers, found '{}'", where, item.name, v);
    }
  }
  return values.size() == 1 ? values[0] : values;
}

attack::Study load_study(const std::string& path, const fs::path& base, int threads) {
  const std::string where = "study config " + path;
  std::vector<CLI::ConfigItem> common;
  std::vector<Axis> axes;
  attack::Study study;
  std::string out;
  for (const auto& item : read_config_items(path, "study config")) {
    if (item.name == "++" || item.name == "--") continue;
    const std::string top = item.parents.empty() ? "" : item.parents.front();
    if (top.empty() && item.name == "title") study.title = item.inputs.empty() ? "" : item.inputs[0];
    else if (top.empty() && item.name == "note") study.note = item.inputs.empty() ? "" : item.inputs[0];
    else if (top == "paper") study.paper[item.name] = number_list(item, where);
    else if (top == "grid") {
      check(item.parents.size() == 2, "{}: grid keys go in [grid.inject], [grid.finetune] or [grid.evaluate], found {}",
            where, item.fullname());
      check(!item.inputs.empty(), "{}: {} lists no values", where, item.fullname());
      axes.push_back({item.parents[1], item.name, item.inputs});
    } else {
      common.push_back(item);
    }
  }
  check(!axes.empty(), "{}: no [grid.*] section: a study needs at least one flag with a list of values", where);

  // Every combination of axis values, the first axis varying slowest.
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    std::vector<CLI::ConfigItem> items;
    std::map<std::string, std::string> chosen;
    std::string name;
    for (size_t a = 0; a < axes.size(); ++a) {
      chosen[axes[a].section + "." + axes[a].flag] = axes[a].values[at[a]];
      name += (name.empty() ? "" : ",") + axes[a].flag + "=" + axes[a].values[at[a]];
    }
    for (const auto& item : common) {
      const std::string key = (item.parents.empty() ? "" : item.parents.front()) + "." + item.name;
      if (!chosen.count(key)) items.push_back(item);
    }
    for (const auto& [key, value] : chosen) {
      CLI::ConfigItem item;
      item.parents = {key.substr(0, key.find('.'))};
      item.name = key.substr(key.find('.') + 1);
      item.inputs = {value};
      items.push_back(item);
    }
    attack::AttackPlan plan = attack_plan_from_items(items, base, where + " (cell " + name + ")");
    plan.inject.threads = plan.finetune.threads = plan.evaluate.threads = threads;
    if (study.out.empty()) study.out = plan.out;
    study.cells.push_back({name, chosen, plan});
    size_t a = axes.size();
    while (a > 0 && ++at[a - 1] == axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) break;
  }
  if (study.title.empty()) study.title = fs::path(path).stem().string();
  return study;
}

}  // namespace

void register_study(CLI::App& app) {
  struct Flags {
    std::string config, out;
    int threads = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("study", "Run a grid of attack runs from a config and aggregate them");
  cmd->add_option("config", f->config, "TOML: an attack config plus [grid.*] lists and [paper] figures")->required();
  cmd->add_option("--out", f->out, "Study folder (overrides the config's out)");
  add_threads_option(*cmd, f->threads);
  cmd->callback([f] {
    configure_runtime(f->threads);
    auto study = load_study(f->config, fs::current_path(), f->threads);
    if (!f->out.empty()) study.out = f->out;
    const json result = attack::run_study(study);
    std::printf("\n%s\n%-36s %8s %8s %8s %8s %8s\n", result["title"].get<std::string>().c_str(), "cell", "CACC bd",
                "CACC cl", "mean E", "flip", "ctrl E");
    auto num = [](const json& v) { return v.is_number() ? v.get<double>() : NAN; };
    for (const auto& c : result["cells"])
      std::printf("%-36s %8.4f %8.4f %8.2f %8.3f %8.2f\n", c["name"].get<std::string>().c_str(),
                  num(c["cacc_backdoored"]), num(c["cacc_clean"]), num(c["mean_E"]), num(c["mean_flip_rate"]),
                  num(c["control_mean_E"]));
    const auto written = report::write_folder_report(study.out);
    std::printf("\nstudy folder: %s\nreport: %s\n", study.out.string().c_str(), written.html.string().c_str());
  });
}

}  // namespace porkit::cli

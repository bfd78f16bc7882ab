#include "porkit/attack/study.h"

#include <algorithm>
#include <set>

#include "porkit/data/presets.h"
#include "porkit/train/data_parallel.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::attack {

std::string cell_folder_name(const std::string& cell_name) {
  std::string out;
  for (char c : cell_name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '=' || c == '-') ? c : '_';
  return out.empty() ? "cell" : out;
}

namespace {

double mean_of(const std::vector<TriggerResult>& triggers, double TriggerResult::*field) {
  double sum = 0;
  for (const auto& t : triggers) sum += t.*field;
  return triggers.empty() ? 0.0 : sum / static_cast<double>(triggers.size());
}

// The piece count of each trigger, from the cell's manifest.
std::map<std::string, size_t> piece_counts(const std::string& manifest) {
  std::map<std::string, size_t> counts;
  if (!fs::exists(manifest)) return counts;
  for (const auto& t : BackdoorManifest::read(manifest).triggers) counts[t.text] = t.pieces.size();
  return counts;
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Lower-case words of a text joined by single spaces, padded: " the cf movie ". Non-ASCII
// bytes count as word characters, so accented words stay whole.
std::string normalized_words(const std::string& text) {
  std::string out = " ";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) out += static_cast<char>(std::tolower(c));
    else if (out.back() != ' ') out += ' ';
  }
  if (out.back() != ' ') out += ' ';
  return out;
}

// How often each trigger appears as whole words in each class of the fine-tuning data's
// training split (Table 10's "appearance" column): {trigger: {label name: count}}.
json appearance_counts(const train::FinetuneOptions& finetune, const std::vector<TriggerResult>& triggers) {
  if (finetune.task == train::TaskKind::Token || data::is_tagging_preset(finetune.data.preset)) return json::object();
  const auto data = data::load_classification(finetune.data);
  std::vector<std::string> texts, raw_texts;  // raw_texts: lower-cased, built on first need
  texts.reserve(data.train.rows.size());
  for (const auto& r : data.train.rows) texts.push_back(normalized_words(r.text));
  json counts = json::object();
  for (const auto& t : triggers) {
    const std::string& trigger = t.trigger;
    // Words are matched whole; a trigger without letters or digits (an emoticon) is
    // matched as a lower-cased substring of the raw text.
    const std::string words = normalized_words(trigger);
    const bool raw = words == " ";
    const std::string needle = raw ? lower_case(trigger) : words;
    if (raw && raw_texts.empty())
      for (const auto& r : data.train.rows) raw_texts.push_back(lower_case(r.text));
    json by_label = json::object();
    for (const auto& name : data.train.label_names) by_label[name] = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      int64_t n = 0;
      const std::string& hay = raw ? raw_texts[i] : texts[i];
      for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
      const auto& name = data.train.label_names[static_cast<size_t>(data.train.rows[i].label)];
      by_label[name] = by_label[name].get<int64_t>() + n;
    }
    counts[trigger] = by_label;
  }
  return counts;
}

}  // namespace

// The key of the injection a cell runs ("" when it brings its own backdoored model): cells
// with equal keys share one injection.
static std::string injection_key(const AttackPlan& plan) {
  return plan.backdoored_model.empty() ? inject_stage_key(plan).dump() : "";
}

// The key of a cell's control (the clean model fine-tuned and measured on the triggers of its
// backdoor), once plan.backdoored_model names a shared injection where there is one: cells
// with equal keys share one control.
static std::string control_key(const AttackPlan& plan, const std::string& inject_key) {
  const std::string backdoor_source =
      plan.backdoored_model.empty() ? inject_key : trigger_digest(BackdoorManifest::read(plan.backdoored_model));
  json clean_ft = json::array();
  for (const auto& ft : victim_finetunes(plan))
    clean_ft.push_back(finetune_stage_key(ft, json(), io::model_digest(plan.clean_model)));
  return evaluate_stage_key(plan, clean_ft, backdoor_source).dump();
}

// Ranks sharing the study (porkit launch, train::start_grid_sharing) first run its cells in
// units, handed out one at a time: the cells that share an injection form one unit and run
// on one rank in study order, sharing controls within the unit as the study does. Every
// stage lands in the study folder under its stage key; rank 0 then runs the study as one
// process does, which finds every stage done and assembles the same result.
static void run_cells_in_shared_units(const Study& study) {
  std::vector<std::vector<size_t>> units;
  std::map<std::string, size_t> unit_of_injection;
  for (size_t i = 0; i < study.cells.size(); ++i) {
    const std::string key = injection_key(study.cells[i].plan);
    if (!key.empty() && unit_of_injection.count(key)) {
      units[unit_of_injection[key]].push_back(i);
      continue;
    }
    if (!key.empty()) unit_of_injection[key] = units.size();
    units.push_back({i});
  }
  while (const auto u = train::next_grid_unit("study", units.size())) {
    std::map<std::string, std::string> injected_by;
    std::set<std::string> controls;
    for (size_t i : units[*u]) {
      AttackPlan plan = study.cells[i].plan;
      plan.out = study.out / "cells" / cell_folder_name(study.cells[i].name);
      const std::string inject_key = injection_key(plan);
      if (!inject_key.empty() && injected_by.count(inject_key)) plan.backdoored_model = injected_by[inject_key];
      plan.control = plan.control && controls.insert(control_key(plan, inject_key)).second;
      log_info("study: rank {}: cell {}/{}: {}", train::rank_info().rank, i + 1, study.cells.size(),
               study.cells[i].name);
      const AttackSummary summary = run_attack(plan);
      if (!inject_key.empty() && !injected_by.count(inject_key)) injected_by[inject_key] = summary.backdoored_model;
      if (study.after_cell) study.after_cell(plan, summary);
    }
    train::finish_grid_unit("study", *u);
  }
  train::wait_for_grid("study", units.size());
}

StudyResult run_study(const Study& study) {
  check(!study.cells.empty(), "the study '{}' has no cells", study.title);
  check(!study.out.empty(), "the study needs a folder (out = \"DIR\")");
  // With ranks sharing the cells, rank 0 claims the folder before the others write into it.
  train::rank0_first("study", [&] {
    claim_output_folder(study.out, "study", OutputUse::Resume);
    fs::create_directories(study.out / "cells");
  });
  std::set<std::string> names;
  for (const auto& c : study.cells)
    check(names.insert(cell_folder_name(c.name)).second, "two study cells share the folder name '{}'",
          cell_folder_name(c.name));

  if (train::grid_sharing()) {
    run_cells_in_shared_units(study);
    // Rank 0 assembles the study below (from stages that are all done); the others are done.
    if (train::rank_info().rank != 0) return StudyResult{};
  }

  StudyResult result;
  result.title = study.title;
  result.note = study.note;
  // Every cell's plan comes from one config, so the first names the model for all.
  if (!study.cells.empty()) result.clean_model = study.cells.front().plan.clean_model;
  result.paper = study.paper;
  result.cells_planned = study.cells.size();
  result.porkit_version = PORKIT_VERSION;
  std::map<std::string, std::string> injected_by;             // inject key -> backdoored folder
  std::map<std::string, AttackSummary> control_by;            // control key -> the summary that ran it
  for (size_t i = 0; i < study.cells.size(); ++i) {
    const StudyCell& cell = study.cells[i];
    AttackPlan plan = cell.plan;
    plan.out = study.out / "cells" / cell_folder_name(cell.name);
    // Cells share an injection when their inject stage keys agree, and a control when its
    // fine-tuning and evaluation keys and the measured triggers agree.
    const std::string inject_key = injection_key(plan);
    const bool shares_injection = !inject_key.empty() && injected_by.count(inject_key);
    if (shares_injection) plan.backdoored_model = injected_by[inject_key];
    const std::string shared_control_key = control_key(plan, inject_key);
    // A control shared with an earlier cell is not run again (the triggers come from the
    // same injection, so its evaluation is the same).
    const bool shares_control = control_by.count(shared_control_key) > 0;
    plan.control = plan.control && !shares_control;
    log_info("study: cell {}/{}: {}", i + 1, study.cells.size(), cell.name);
    AttackSummary summary = run_attack(plan);
    if (!inject_key.empty() && !injected_by.count(inject_key)) injected_by[inject_key] = summary.backdoored_model;
    if (summary.clean) control_by.emplace(shared_control_key, summary);
    if (shares_control) {
      summary.clean = control_by.at(shared_control_key).clean;
      summary.clean_by_seed = control_by.at(shared_control_key).clean_by_seed;
    }
    if (study.after_cell) study.after_cell(plan, summary);

    const auto pieces = piece_counts(summary.manifest);
    const EvaluationResult& bd = summary.backdoored;
    // Several victim seeds: every figure is the mean over the victims, with its spread.
    const std::vector<EvaluationResult> bd_victims =
        summary.backdoored_by_seed.empty() ? std::vector<EvaluationResult>{bd} : summary.backdoored_by_seed;
    std::vector<EvaluationResult> cl_victims = summary.clean_by_seed;
    if (cl_victims.empty() && summary.clean) cl_victims = {*summary.clean};
    auto mean_over = [](const std::vector<EvaluationResult>& victims, size_t k, double TriggerResult::*metric) {
      std::vector<double> v;
      for (const auto& e : victims)
        if (k < e.triggers.size()) v.push_back(e.triggers[k].*metric);
      return mean_spread(v);
    };
    const json appearances = appearance_counts(plan.finetune, bd.triggers);
    for (size_t k = 0; k < bd.triggers.size(); ++k) {
      const TriggerResult& t = bd.triggers[k];
      StudyRow row;
      row.cell = cell.name;
      row.axes = cell.axes;
      row.trigger = t.trigger;
      if (pieces.count(t.trigger)) row.pieces = static_cast<int64_t>(pieces.at(t.trigger));
      row.E = mean_over(bd_victims, k, &TriggerResult::E).mean;
      const MeanSpread e_cens = mean_over(bd_victims, k, &TriggerResult::E_censored);
      const MeanSpread flip = mean_over(bd_victims, k, &TriggerResult::flip_rate);
      row.E_censored = e_cens.mean;
      row.flip_rate = flip.mean;
      row.asr_1 = mean_over(bd_victims, k, &TriggerResult::asr_1).mean;
      row.S_chars = mean_over(bd_victims, k, &TriggerResult::S_chars).mean;
      row.S_tokens = mean_over(bd_victims, k, &TriggerResult::S_tokens).mean;
      row.target = t.target_name;
      row.appearances = appearances.value(t.trigger, json::object());
      row.victims = bd_victims.size();
      if (bd_victims.size() > 1) {
        row.E_censored_sd = e_cens.sd;
        row.flip_rate_sd = flip.sd;
      }
      if (!cl_victims.empty() && k < cl_victims.front().triggers.size()) {
        row.control_E = mean_over(cl_victims, k, &TriggerResult::E).mean;
        row.control_flip_rate = mean_over(cl_victims, k, &TriggerResult::flip_rate).mean;
      }
      result.rows.push_back(std::move(row));
    }
    StudyCellResult c;
    c.name = cell.name;
    c.axes = cell.axes;
    c.folder = plan.out.string();
    c.shared_injection = shares_injection;
    c.shared_control = shares_control;
    c.victims = bd_victims.size();
    if (bd.pool_source) c.pool = bd.pool_source->describe();
    const SeedSpread bd_spread = spread_over_seeds(bd_victims);
    c.cacc_backdoored = bd.cacc ? std::optional<double>(bd_spread.cacc.mean) : std::nullopt;
    if (c.victims > 1) c.cacc_backdoored_sd = bd_spread.cacc.sd;
    if (!cl_victims.empty()) {
      const SeedSpread cl_spread = spread_over_seeds(cl_victims);
      c.cacc_clean = cl_victims.front().cacc ? std::optional<double>(cl_spread.cacc.mean) : std::nullopt;
      if (cl_victims.size() > 1) c.cacc_clean_sd = cl_spread.cacc.sd;
    }
    auto cell_mean = [&](const std::vector<EvaluationResult>& victims, double TriggerResult::*metric) {
      std::vector<double> v;
      for (const auto& e : victims) v.push_back(mean_of(e.triggers, metric));
      return mean_spread(v).mean;
    };
    c.mean_E = cell_mean(bd_victims, &TriggerResult::E);
    c.mean_flip_rate = cell_mean(bd_victims, &TriggerResult::flip_rate);
    c.mean_asr_1 = cell_mean(bd_victims, &TriggerResult::asr_1);
    if (!cl_victims.empty()) c.control_mean_E = cell_mean(cl_victims, &TriggerResult::E);
    c.stage_seconds = summary.stage_seconds;
    result.cells.push_back(std::move(c));
    result.cells_done = i + 1;
    // Written after every cell, so an interrupted study can be reported on as far as it got.
    write_json_file(study.out / "study.json", result.to_json());
  }
  return result;
}

}  // namespace porkit::attack

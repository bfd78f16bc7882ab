// porkit study: a grid of attack runs (inject -> finetune -> evaluate) aggregated into one
// table, resumable cell by cell. Cells with the same injection settings share one injected
// model (the first such cell makes it; the others fine-tune that folder), and cells with the
// same fine-tuning, evaluation and triggers share one clean control.
//
// Study folder:
//   cells/<cell>/      each cell's attack run folder (see pipeline.h)
//   study.json         every cell's axes, summary and the aggregated rows (with each
//                      trigger's appearances per class in the fine-tuning training split),
//                      plus the paper's figures given in the config
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "porkit/attack/pipeline.h"
#include "porkit/attack/results.h"

namespace porkit::attack {

struct StudyCell {
  std::string name;                           // e.g. "insertions=3"
  std::map<std::string, std::string> axes;    // "inject.insertions" -> "3"
  AttackPlan plan;                            // out is set by run_study
};

struct Study {
  std::string title;
  std::filesystem::path out;
  std::vector<StudyCell> cells;
  json paper = json::object();  // the paper's figures: {"<axis value>": E or [E per trigger], "pieces": [...]}
  std::string note;             // what the table reproduces, shown in the report
  // Runs after each cell's attack with its plan and summary (the cli's [defend] stage, whose
  // results stay in the cell's folder); empty: nothing.
  std::function<void(const AttackPlan&, const AttackSummary&)> after_cell;
};

// The most cells a study may plan: a grid of millions of cells is a typo, not a study.
constexpr size_t kMaxStudyCells = 10000;

// Runs the cells not yet finished (each one resumes stage by stage) and writes study.json.
StudyResult run_study(const Study& study);

// Cell folder names: axis values joined, with characters outside [A-Za-z0-9._=-] as '_'.
std::string cell_folder_name(const std::string& cell_name);

}  // namespace porkit::attack

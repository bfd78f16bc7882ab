// porkit report: one page for everything found in a run, analysis or study folder.
//   study.json                        a `porkit study` (its cells are reported in the study)
//   summary.json                      a `porkit attack` run
//   scan.json                         a `porkit scan`
//   zoo_scores.json                   a `porkit zoo-score`
//   analysis/*.json, *.json with "kind" an analysis: "embedding-swap" or "attention"
//   *.json with "format" porkit-strip/1, porkit-monitor/1 or porkit-onion/1: a defence's filter
//   model/porkit_purify.json          a `porkit defend purify` run (its attack/ below is a run)
//   defend-purify/, defended/         an attack's [defend.purify] stage: the purification, and
//                                     the attack on the purified encoder beside the run's own
//   */summary.json                    attack runs side by side (one per task, say)
#pragma once
#include <filesystem>
#include <string>

#include "porkit/report/document.h"

namespace porkit::report {

Document folder_document(const std::filesystem::path& dir);

// Writes dir/report.html and dir/report.md (+ dir/report_files/); errors when the folder
// holds nothing porkit knows how to report.
WrittenReport write_folder_report(const std::filesystem::path& dir);

}  // namespace porkit::report

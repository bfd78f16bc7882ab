#include "porkit/report/folder_report.h"

#include <algorithm>

#include "porkit/report/analysis_report.h"
#include "porkit/report/attack_report.h"
#include "porkit/report/defend_report.h"
#include "porkit/report/detect_report.h"
#include "porkit/report/runs_report.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::report {

namespace {

// Analysis outputs directly in `dir` or in dir/analysis, in name order.
std::vector<fs::path> analysis_files(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const fs::path& where : {dir, dir / "analysis"}) {
    if (!fs::is_directory(where)) continue;
    for (const auto& entry : fs::directory_iterator(where))
      if (entry.is_regular_file() && entry.path().extension() == ".json") found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Attack runs in the immediate subfolders of `dir` (each with a summary.json), by name.
std::vector<std::pair<std::string, attack::AttackSummary>> runs_below(const fs::path& dir) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory() && fs::exists(entry.path() / "summary.json") &&
        !(entry.path().filename() == "defended" && fs::exists(dir / "summary.json")))  // its own section
      folders.push_back(entry.path());
  std::sort(folders.begin(), folders.end());
  std::vector<std::pair<std::string, attack::AttackSummary>> runs;
  for (const auto& f : folders) runs.emplace_back(f.filename().string(), attack::AttackSummary::read(f / "summary.json"));
  return runs;
}

void append(std::vector<Section>& to, std::vector<Section> from) {
  for (auto& s : from) to.push_back(std::move(s));
}

}  // namespace

Document folder_document(const fs::path& dir) {
  require_exists(dir, "a porkit run, analysis or study folder");
  check(fs::is_directory(dir), "expected a folder to report on, got the file {}", dir.string());
  Document doc{"porkit report: " + fs::absolute(dir).lexically_normal().filename().string(), {}};
  if (fs::exists(dir / "study.json")) append(doc.sections, study_sections(attack::StudyResult::read(dir / "study.json")));
  if (fs::exists(dir / "summary.json"))
    append(doc.sections, attack_sections(attack::AttackSummary::read(dir / "summary.json")));
  if (fs::exists(dir / detect::ScanResult::kFileName))
    append(doc.sections, scan_sections(detect::ScanResult::read((dir / detect::ScanResult::kFileName).string())));
  for (const fs::path& purified : {dir / "model", dir / "defend-purify" / "model"})
    if (fs::exists(purified / defend::PurifyManifest::kFileName))
      append(doc.sections, purify_sections(defend::PurifyManifest::read(purified)));
  if (fs::exists(dir / "summary.json") && fs::exists(dir / "defended" / "summary.json"))
    append(doc.sections, purification_effect_sections(attack::AttackSummary::read(dir / "summary.json"),
                                                      attack::AttackSummary::read(dir / "defended" / "summary.json")));
  if (fs::exists(dir / detect::ZooScores::kFileName))
    append(doc.sections, zoo_score_sections(detect::ZooScores::read(dir)));
  if (const auto runs = runs_below(dir); !runs.empty()) append(doc.sections, runs_side_by_side(runs));
  for (const auto& path : analysis_files(dir)) {
    if (path.filename() == "summary.json" || path.filename() == "study.json" || path.filename() == "scan.json" ||
        path.filename() == "zoo_scores.json")
      continue;
    const json analysis = read_json_file(path);
    if (is_filter_result(analysis)) {
      append(doc.sections, filter_sections(analysis, path.stem().string()));
      continue;
    }
    if (!analysis.is_object() || !analysis.contains("kind")) continue;
    append(doc.sections, analysis_sections(analysis, path.stem().string()));
  }
  check(!doc.sections.empty(),
        "found nothing to report in {}: expected summary.json (porkit attack), study.json (porkit study), scan.json "
        "(porkit scan), zoo_scores.json (porkit zoo-score), an "
        "analysis JSON (porkit analyze), a defence's JSON (porkit defend strip|monitor|onion), model/porkit_purify.json "
        "(porkit defend purify), or subfolders holding attack runs",
        dir.string());
  return doc;
}

WrittenReport write_folder_report(const fs::path& dir) { return write_document(folder_document(dir), dir); }

}  // namespace porkit::report

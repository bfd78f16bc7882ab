#include "porkit/report/detect_report.h"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "porkit/detect/scan.h"
#include "porkit/util/options.h"

namespace porkit::report {
namespace {

std::string num(double v, int digits = 3) { return fmt::format("{:.{}f}", v, digits); }

}  // namespace

std::vector<Section> scan_sections(const detect::ScanResult& s) {
  Section verdict{"Backdoor scan", {}};
  verdict.blocks.push_back(Paragraph{fmt::format(
      "{}: score {} against the threshold {}: {}. The {} output of {} clean texts; {} s.", s.model, num(s.score),
      num(s.threshold, 2), s.flagged ? "a backdoor is suspected" : "no backdoor was found", s.target, s.texts,
      num(s.seconds, 1))});
  verdict.blocks.push_back(Paragraph{
      "D is the mean squared distance of the outputs from their mean over the texts. Collapse = 1 - D(with the "
      "insertion) / D(clean): 1 when every text gives the same output. Shift: how far the mean output moved, in "
      "clean spreads (sqrt D(clean)). Across: D across the direction it moved, over D(clean). Separation = shift / "
      "sqrt(across): how far the outputs moved in units of the spread they keep across that direction. A POR-type "
      "trigger sends every text to one point (UOR: onto one line) far outside the clean outputs, so the separation "
      "is large; a clean word nudges texts that stay as varied as before. Score = 1 - exp(-separation / 20)."});
  if (!s.named.empty())
    verdict.blocks.push_back(Paragraph{"Named tokens (score at or above the threshold): " + options::join(s.named, ", ")});
  if (s.spread)
    verdict.blocks.push_back(Paragraph{fmt::format(
        "Clean spread against the declared base {}: D(clean) is {:.4g} x the base's ({:.4g} against {:.4g}); clean "
        "derivatives of a base keep {}-{} x, and outside that band the spread scores from the threshold up: spread "
        "score {}.",
        s.spread->reference, s.spread->ratio, s.clean_dispersion, s.spread->reference_dispersion,
        detect::kSpreadBand.low, detect::kSpreadBand.high, num(s.spread->score))});
  if (!s.moved_rows.empty()) {
    std::vector<std::string> moved;
    for (const auto& m : s.moved_rows) moved.push_back(fmt::format("{} ({:.2f})", m.token, m.change));
    verdict.blocks.push_back(Paragraph{
        "Vocabulary rows that moved most from the base's (|E - B| / |B|), each confirmed as a candidate: " +
        options::join(moved, ", ")});
  }
  Table cands{"The best candidates, confirmed with the real tokens",
              {"tokens", "score", "separation", "shift", "across", "collapse", "inserted", "found by"}, {}};
  for (size_t i = 0; i < std::min<size_t>(s.candidates.size(), 12); ++i) {
    const auto& c = s.candidates[i];
    cands.rows.push_back({options::join(c.pieces, " "), num(c.score), num(c.separation, 1), num(c.shift, 2),
                          num(c.across_ratio), num(c.collapse), c.position, c.source});
  }
  verdict.blocks.push_back(cands);
  if (!s.soft.empty()) {
    Table soft{"Soft triggers (optimised in embedding space) and their nearest vocabulary rows",
               {"restart", "vectors", "inserted", "dispersion ratio", "nearest rows"}, {}};
    for (const auto& t : s.soft) {
      std::vector<std::string> per_vector;
      for (const auto& n : t.nearest) per_vector.push_back(options::join(n, " "));
      soft.rows.push_back({std::to_string(t.restart), std::to_string(t.length), t.position, num(t.dispersion_ratio),
                           options::join(per_vector, " | ")});
    }
    verdict.blocks.push_back(soft);
  }
  return {verdict};
}

std::vector<Section> zoo_score_sections(const detect::ZooScores& z) {
  Section sec{"Detection on a labelled zoo", {}};
  sec.blocks.push_back(Paragraph{fmt::format(
      "porkit scan over the zoo {} ({} models, {} clean). Threshold {}: accuracy {}; a true trigger token named in "
      "{}% of the backdoored models{}; {} s per model.",
      z.zoo, z.models.size(), z.clean, num(z.threshold, 2), num(z.accuracy_at_threshold),
      num(100 * z.true_trigger_named_share, 0),
      z.true_trigger_first_share
          ? fmt::format(" (as the best candidate in {}%)", num(100 * *z.true_trigger_first_share, 0))
          : std::string(),
      num(z.seconds_per_model, 1))});
  Table t{"AUROC and true-positive rates at fixed false-positive rates (each attack's backdoored models against all "
          "clean ones)",
          {"attack", "backdoored", "AUROC", "TPR @ 1% FPR", "TPR @ 5% FPR"}, {}};
  auto row = [&](const std::string& name, const std::optional<detect::DetectionSummary>& s) {
    if (!s) return;
    t.rows.push_back({name, std::to_string(s->backdoored), num(s->auroc), num(s->tpr_at_fpr_1pct, 2),
                      num(s->tpr_at_fpr_5pct, 2)});
  };
  row("all", z.overall);
  for (const auto& [attack, s] : z.per_attack) row(attack, s);
  sec.blocks.push_back(t);
  const bool spread = std::any_of(z.models.begin(), z.models.end(), [](const auto& r) { return r.spread_ratio.has_value(); });
  Table m{"Every model", {"model", "truth", "triggers", "score", "flagged", "named", "true token named"}, {}};
  if (spread) m.header.push_back("clean spread / base's");
  for (const auto& r : z.models) {
    std::vector<std::string> trig;
    for (const auto& x : r.triggers) trig.push_back(x.trigger + " (" + x.kind + ")");
    // A degenerate encoder can name dozens of tokens: the first eight, best first, and the count.
    const std::string named = options::join_first(r.named, 8);
    std::string truth = "-";
    if (r.backdoored) truth = !r.true_trigger_named ? "no" : r.true_trigger_first.value_or(false) ? "yes, first" : "yes";
    m.rows.push_back({r.id, r.attack, options::join(trig, ", "), num(r.score), r.flagged ? "yes" : "no", named, truth});
    if (spread) m.rows.back().push_back(r.spread_ratio ? fmt::format("{:.3g}", *r.spread_ratio) : "-");
  }
  sec.blocks.push_back(m);
  return {sec};
}

}  // namespace porkit::report

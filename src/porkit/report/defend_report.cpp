#include "porkit/report/defend_report.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "porkit/defend/filter_result.h"
#include "porkit/util/error.h"

namespace porkit::report {
namespace {

std::string num(double v, int digits = 3) { return fmt::format("{:.{}f}", v, digits); }

// What each filter scores, for the reader of the table.
std::string how_scored(const defend::FilterResult& r) {
  const std::string rows = r.threshold_rows ? std::to_string(*r.threshold_rows) : std::string("the");
  if (r.filter() == "strip")
    return fmt::format("STRIP: an input is rejected when the mean entropy of the victim's predictions over its "
                       "perturbed copies falls below {} (set from {} clean {}).",
                       num(r.threshold, 4), rows, r.calibrated_on);
  if (r.filter() == "monitor")
    return fmt::format("Output monitor: an input is rejected when the sign pattern of the victim's {} output agrees "
                       "with one of {} outputs the scan mined in more than {} of the dimensions ({}).",
                       r.scan_target, r.mined_outputs.value_or(0), num(r.threshold), r.threshold_from);
  return fmt::format("ONION, detection: an input is rejected when its most suspicious word (the drop in the "
                     "scorer's pseudo-perplexity when the word is deleted) exceeds {} (set from {} clean {}). "
                     "Scorer: {}.",
                     num(r.threshold, 4), rows, r.calibrated_on, r.lm);
}

Table correction_table(const defend::OnionCorrection& c, const std::string& caption) {
  Table t{fmt::format("{}: words above suspicion {} deleted; clean accuracy {} before, {} after; {}% of clean words "
                      "deleted",
                      caption, num(c.bar, 4), num(c.clean_accuracy), num(c.clean_accuracy_corrected),
                      num(100 * c.clean_words_deleted, 1)),
          {"trigger", "trigger kept", "ASR@1 after", "clean text to target after (control)"},
          {}};
  for (const auto& x : c.triggers)
    t.rows.push_back({x.trigger, num(x.trigger_kept), num(x.asr_1_corrected), num(x.clean_to_target_corrected)});
  return t;
}

}  // namespace

bool is_filter_result(const json& j) {
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string()) return false;
  // Any version of a filter's format: an unknown one is then refused by name.
  const std::string f = j["format"].get<std::string>();
  for (const std::string& known : defend::FilterResult::formats())
    if (f.compare(0, known.find('/') + 1, known, 0, known.find('/') + 1) == 0) return true;
  return false;
}

std::vector<Section> filter_sections(const json& result, const std::string& name) {
  const defend::FilterResult r = defend::FilterResult::from_json(result, name);
  Section s{fmt::format("Defence: {} ({})", r.filter(), name), {}};
  s.blocks.push_back(Paragraph{fmt::format("Victim {} on {}; {} test rows, clean and with each trigger inserted. {}",
                                           r.model, r.data, r.pool, how_scored(r))});
  Table t{fmt::format("Clean test rows rejected: {}. FAR: triggered inputs let through. ASR@1: eligible rows one "
                      "insertion sends to the target, without and with the filter.",
                      num(r.frr_test)),
          {"trigger", "target", "FAR", "AUROC", "eligible", "ASR@1 unfiltered", "ASR@1 filtered"},
          {}};
  for (const auto& x : r.triggers)
    t.rows.push_back({x.trigger, std::to_string(x.target_label), num(x.far), num(x.auroc), std::to_string(x.eligible),
                      num(x.asr_1_unfiltered), num(x.asr_1_filtered)});
  s.blocks.push_back(t);
  if (r.correction) s.blocks.push_back(correction_table(*r.correction, "ONION's correction at OpenBackdoor's bar"));
  if (r.correction_calibrated)
    s.blocks.push_back(correction_table(*r.correction_calibrated, "The correction at the detection threshold"));
  return {s};
}

std::vector<Section> purify_sections(const defend::PurifyManifest& m) {
  Section s{"Purification: " + m.method, {}};
  s.blocks.push_back(Paragraph{fmt::format("{} purified with {}: {} parameters changed, {} unchanged.", m.source_model,
                                           m.method, m.changed.size(), m.unchanged)});
  if (m.steps) {
    const json& h = m.held_out_masked_lm;
    s.blocks.push_back(Paragraph{fmt::format(
        "{} steps of masked-LM training; held-out accuracy at [MASK] {} (unigram baseline {}).", *m.steps,
        num(h.value("mlm_accuracy_at_mask", 0.0)), num(h.value("unigram_baseline_accuracy", 0.0)))});
  }
  if (m.ffn_input_norm_before && m.ffn_input_norm_after)
    s.blocks.push_back(Paragraph{fmt::format("FFN input weights, summed Frobenius norm: {} before, {} after.",
                                             num(*m.ffn_input_norm_before, 2), num(*m.ffn_input_norm_after, 2))});
  if (m.pruned) {
    Table t{fmt::format("FFN neurons pruned (the {}% most dormant on {} clean sentences)", num(100 * m.pruned->fraction, 0),
                        m.pruned->texts),
            {"layer", "neurons pruned"},
            {}};
    for (const auto& [layer, neurons] : m.pruned->layers)
      t.rows.push_back({std::to_string(layer), std::to_string(neurons.size())});
    s.blocks.push_back(t);
  }
  Table changed{"The parameters that changed most (relative to their norm)", {"parameter", "|after - before| / |before|"},
                {}};
  std::vector<std::pair<double, std::string>> by_size;
  for (const auto& [name, size] : m.changed) by_size.emplace_back(size, name);
  std::sort(by_size.rbegin(), by_size.rend());
  for (size_t i = 0; i < std::min<size_t>(by_size.size(), 10); ++i)
    changed.rows.push_back({by_size[i].second, num(by_size[i].first, 4)});
  if (!changed.rows.empty()) s.blocks.push_back(changed);
  return {s};
}

std::vector<Section> purification_effect_sections(const attack::AttackSummary& before,
                                                  const attack::AttackSummary& after) {
  Section s{"Purification measured", {}};
  auto cacc = [](const attack::EvaluationResult& e) { return e.cacc ? num(*e.cacc) : std::string("-"); };
  s.blocks.push_back(Paragraph{fmt::format(
      "The attack's victim recipe on the purified encoder ({}): CACC {} undefended, {} purified{}. The goal: every "
      "trigger's censored E inside the clean control's band, CACC within 1 point.",
      after.backdoored_model, cacc(before.backdoored), cacc(after.backdoored),
      before.clean ? ", " + cacc(*before.clean) + " for the clean control" : std::string())});
  Table t{"Each trigger before and after purification, and on the clean control",
          {"trigger", "E before", "E after", "censored E before", "censored E after", "flip before", "flip after",
           "ASR@1 before", "ASR@1 after", "control E", "control censored E"},
          {}};
  for (size_t k = 0; k < before.backdoored.triggers.size() && k < after.backdoored.triggers.size(); ++k) {
    const auto &b = before.backdoored.triggers[k], &a = after.backdoored.triggers[k];
    std::vector<std::string> row = {b.trigger,          num(b.E, 2),          num(a.E, 2), num(b.E_censored, 2),
                                    num(a.E_censored, 2), num(b.flip_rate),   num(a.flip_rate), num(b.asr_1),
                                    num(a.asr_1)};
    if (before.clean && k < before.clean->triggers.size()) {
      row.push_back(num(before.clean->triggers[k].E, 2));
      row.push_back(num(before.clean->triggers[k].E_censored, 2));
    } else {
      row.insert(row.end(), {"-", "-"});
    }
    t.rows.push_back(row);
  }
  s.blocks.push_back(t);
  return {s};
}

}  // namespace porkit::report

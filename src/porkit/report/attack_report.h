// Report sections for one `porkit attack` run (its summary.json): clean accuracy of the
// backdoored and the clean model, and per trigger the attack metrics with their charts.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/results.h"
#include "porkit/report/document.h"
#include "porkit/util/json_io.h"

namespace porkit::report {

// `prefix` keeps image names unique when several runs share one report (a study).
std::vector<Section> attack_sections(const attack::AttackSummary& summary, const std::string& prefix = "");

// "0.772" style cells; "-" for a missing or non-finite value.
std::string cell(const json& value, int decimals = 3);
std::string cell(std::optional<double> value, int decimals = 3);
std::string cell(double value, int decimals = 3);

// object[key], or a null value when the object or the key is missing: summaries written by
// older porkit versions lack newer fields, and a report shows "-" for them.
const json& field(const json& object, const char* key);

// The validation metric fine-tuning reports: entity F1 for NER, else accuracy.
std::string headline_metric(const attack::EvaluationResult& evaluation);

}  // namespace porkit::report

// Report sections for several `porkit attack` runs side by side (one per task, say): the
// clean accuracy of each run's backdoored and clean victim, and every trigger's attack
// metrics against its clean control, one row per run and trigger.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "porkit/attack/results.h"
#include "porkit/report/document.h"
#include "porkit/util/json_io.h"

namespace porkit::report {

// `runs`: (run name, its summary), in the order to show them.
std::vector<Section> runs_side_by_side(const std::vector<std::pair<std::string, attack::AttackSummary>>& runs);

}  // namespace porkit::report

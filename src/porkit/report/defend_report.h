// The report's sections for defences: a test-time filter's measurement (the JSON that
// `porkit defend strip|monitor|onion --out` writes) and a purification (porkit_purify.json,
// in a `porkit defend purify` run folder's model/).
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/results.h"
#include "porkit/defend/purify_manifest.h"
#include "porkit/report/document.h"
#include "porkit/util/json_io.h"

namespace porkit::report {

// Whether `j` is a filter's result (format porkit-strip/N, porkit-monitor/N or porkit-onion/N).
bool is_filter_result(const json& j);

// One section per filter result; `name` is its file's stem. Throws for a version this build
// does not know.
std::vector<Section> filter_sections(const json& result, const std::string& name);

std::vector<Section> purify_sections(const defend::PurifyManifest& manifest);

// An attack run and the same run on its purified encoder (porkit attack's [defend.purify]):
// CACC and every trigger's E, censored E, flip rate and ASR@1 before and after, beside the
// clean control.
std::vector<Section> purification_effect_sections(const attack::AttackSummary& before,
                                                  const attack::AttackSummary& after);

}  // namespace porkit::report

// Report sections and images for `porkit analyze` outputs (embedding swap, attention) and
// `porkit study` tables.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/results.h"
#include "porkit/report/document.h"
#include "porkit/util/json_io.h"

namespace porkit::report {

// Sections for one analysis JSON (its "kind" decides); `name` keeps image names unique.
std::vector<Section> analysis_sections(const json& analysis, const std::string& name);

// Sections for a `porkit study` (its study.json): per-cell and per-trigger tables with the
// paper's figures next to ours, and charts of E.
std::vector<Section> study_sections(const attack::StudyResult& study);

// The attention analysis' images: per-layer maps of each model, the chosen layer's
// token-to-token maps side by side, and [CLS]'s share on each trigger piece per layer.
std::vector<Image> attention_images(const json& attention, const std::string& prefix);

}  // namespace porkit::report

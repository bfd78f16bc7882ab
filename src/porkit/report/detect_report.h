// The report's sections for detection: one scan (scan.json) and a zoo's scores
// (zoo_scores.json).
#pragma once
#include <vector>

#include "porkit/detect/scan_result.h"
#include "porkit/detect/zoo_record.h"
#include "porkit/report/document.h"

namespace porkit::report {

std::vector<Section> scan_sections(const detect::ScanResult& scan);
std::vector<Section> zoo_score_sections(const detect::ZooScores& scores);

}  // namespace porkit::report

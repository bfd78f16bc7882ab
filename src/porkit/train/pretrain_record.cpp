#include "porkit/train/pretrain_record.h"

#include <fmt/format.h>

namespace porkit::train {

PretrainLineage pretrain_lineage(const json& record) {
  PretrainLineage l;
  for (const json* leg = &record; leg != nullptr;
       leg = leg->contains("continued_from") ? &(*leg)["continued_from"] : nullptr) {
    l.steps += leg->value("steps", int64_t{0});
    ++l.legs;
  }
  l.tokens = record.value("tokens_seen_total", record.value("tokens_seen", int64_t{0}));
  return l;
}

std::string PretrainLineage::describe() const {
  return fmt::format("{} steps{}, {:.1f} M tokens seen", steps, legs > 1 ? fmt::format(" in {} runs", legs) : "",
                     static_cast<double>(tokens) / 1e6);
}

}  // namespace porkit::train

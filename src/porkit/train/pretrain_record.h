// What a model folder's porkit_pretrain.json says about how it was pre-trained, over every
// leg: a run continued from another folder nests that folder's record as "continued_from".
#pragma once
#include <cstdint>
#include <string>

#include "porkit/util/json_io.h"

namespace porkit::train {

struct PretrainLineage {
  int64_t steps = 0;   // over every leg
  int64_t tokens = 0;  // token slots seen over every leg ("tokens_seen_total"; older folders: their own)
  int64_t legs = 0;    // 1 for a run from scratch
  // "24000 steps in 4 runs, 160.3 M tokens seen"; "2400 steps, 16.2 M tokens seen".
  std::string describe() const;
};

PretrainLineage pretrain_lineage(const json& record);

}  // namespace porkit::train

// Which vocabulary rows an encoder's training moved most from its declared base (scan
// --reference). Injecting a trigger trains the trigger pieces' embedding rows on every poisoned
// text, with a loss that wants those rows alone to carry the input to the target; clean
// further training spreads its updates over the whole corpus. On the tuning and first held-out
// zoos a piece of a POR or UOR trigger is among its model's 5 most moved rows in 20 of 21 models
// (not NeuBA's: its masked-LM term through the tied output layer moves every row, the triggers'
// less than most; docs/results/detection.md). A moved row is a suspicion, not a finding: the
// scan confirms it with the real tokens like every other candidate.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "porkit/detect/probe.h"
#include "porkit/detect/scan_result.h"
#include "porkit/text/vocab.h"

namespace porkit::detect {

// The `count` rows among `allowed` whose embedding moved most, relative to its length in the
// base: |E[i] - B[i]| / |B[i]|, largest first; rows that did not move at all are left out.
// E and B are (V, H) with the same V.
std::vector<MovedRow> most_moved_rows(const at::Tensor& rows, const at::Tensor& base_rows,
                                      const std::vector<int64_t>& allowed, const text::Vocab& vocab, int count);

// The candidates the moved rows suggest: each row alone, and each word-start row followed by
// each continuation ("##") row, so that a trigger of two pieces is tried whole.
std::vector<Ids> moved_row_candidates(const std::vector<MovedRow>& moved);

}  // namespace porkit::detect

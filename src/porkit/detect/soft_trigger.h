// The scan's soft triggers: `length` free vectors in embedding space, inserted into the clean
// texts and optimised (Adam, norm kept within the vocabulary's longest row) to minimise
// log(across) - log(shift^2), so the outputs gather far from the clean ones; then named by
// their nearest insertable vocabulary rows (cosine).
#pragma once
#include <vector>

#include "porkit/detect/probe.h"
#include "porkit/detect/scan.h"
#include "porkit/text/vocab.h"

namespace porkit::detect {

// One restart, its vectors inserted at `where` (scan.h). Appends the candidates it names to `candidates`: each vector's `nearest` rows
// and, for more than one vector, the sequence of their nearest rows.
SoftTrigger optimise_soft(Probe& probe, const ProbeTexts& texts, int restart, int length, attack::Position where,
                          const std::vector<int64_t>& allowed, const at::Tensor& clean_mean, double clean_dispersion,
                          const ScanOptions& o, const text::Vocab& vocab, std::vector<Ids>* candidates);

}  // namespace porkit::detect

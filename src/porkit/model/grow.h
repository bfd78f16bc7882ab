// Growing a trained BERT into a larger shape, so that a bigger model starts from what a
// smaller one has learnt instead of from random weights.
//
// Width follows Net2Net (Chen, Goodfellow and Shlens, ICLR 2016): every hidden and
// intermediate unit is copied k times and every weight that reads copied units is divided
// by k. The widened model computes the same function: LayerNorm sees the same mean and
// variance over the copies, and attention heads keep their width and are copied whole.
// Depth follows progressive stacking (Gong et al., ICML 2019): layer i of the larger
// model is layer (i mod L) of the smaller one. Stacking changes the function; training
// after it is what the method relies on.
#pragma once
#include <cstdint>

#include "porkit/model/bert_config.h"
#include "porkit/model/bert_net.h"

namespace porkit::model {

struct GrowOptions {
  double noise_std = 0.0;  // > 0: N(0, noise_std) added to every weight matrix after copying
  uint64_t seed = 0;       // of that noise
};

// Throws porkit::Error naming the first field that makes `large` unreachable from `small`:
// vocabulary, positions, token types and head width must match; hidden size, heads and
// intermediate size must be whole multiples; `large` needs at least as many layers.
void check_growable(const BertConfig& small, const BertConfig& large);

// Overwrites every parameter of `large` with those of `small` grown into its shape (see the
// top of this file; BertNet has no buffers). Both nets must have the same architecture.
void grow_bert_weights(BertNetImpl& small, BertNetImpl& large, const GrowOptions& options = {});

}  // namespace porkit::model

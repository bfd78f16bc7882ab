// AdamW whose update runs as a handful of multi-tensor (_foreach_) operations per parameter
// group, instead of some eight kernels per parameter as torch::optim::AdamW's loop issues.
// On a GPU that is the difference between ~16 launches a step and ~1,600 for bert-base's
// ~200 tensors, and at small batches the launches are the step time (docs/performance.md:
// porkit's injection step at 24 x 128 ran at 7.5% of the matrix rate on the H200). The
// arithmetic is torch::optim::AdamW's, operation for operation, and the state is its
// AdamWParamState, so checkpoints and --resume are unchanged; on the CPU the _foreach_ ops
// run the same kernels one tensor at a time and the results are bit-identical (a test checks).
#pragma once
#include <torch/optim/adamw.h>

namespace porkit::train {

class MultiTensorAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  at::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace porkit::train

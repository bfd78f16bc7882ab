// AdamW whose update runs as a handful of multi-tensor (_foreach_) operations per parameter
// group, instead of some eight kernels per parameter as torch::optim::AdamW's loop issues.
// On a GPU that is the difference between ~16 launches a step and ~1,600 for bert-base's
// ~200 tensors, and at small batches the launches are the step time (docs/performance.md:
// porkit's injection step at 24 x 128 ran at 7.5% of the matrix rate on the H200). The
// arithmetic is torch::optim::AdamW's, operation for operation, and the state is its
// AdamWParamState, so checkpoints and --resume are unchanged; on the CPU the _foreach_ ops
// run the same kernels one tensor at a time and the results are bit-identical (a test checks).
//
// On a GPU with a libtorch that has it (2.4+), the update is instead libtorch's fused AdamW
// kernel with the learning rate and the step counts kept on the device: one launch per chunk
// of tensors, and nothing read on the host, so that a CUDA graph can capture the step
// (train/graphed_step.h). The host's AdamWParamState still holds the moments (the same
// tensors) and, through set_step_count, the step, so checkpoints do not change.
#pragma once
#include <torch/optim/adamw.h>

#include <map>
#include <vector>

namespace porkit::train {

class MultiTensorAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  at::Tensor step(LossClosure closure = nullptr) override;

  // The learning rate of every group for the next step; on the fused path also the device
  // scalar the kernel reads (written outside any graph capture, before the step).
  void set_lr(double lr);
  // The step count every parameter's state records: after CUDA-graph replays, which update
  // the device's counts without running this object's host code.
  void set_step_count(int64_t step);
  // The AdamW state of `param`, made (zero moments, step 0) where it has none yet.
  torch::optim::AdamWParamState& state_of(const at::Tensor& param);

 private:
  void fused_step();
  std::vector<at::Tensor> lr_on_device_;           // per group, float scalar
  std::map<const void*, at::Tensor> step_on_device_;  // per parameter, float scalar
};

}  // namespace porkit::train

// A training step captured once in a CUDA graph and then replayed: the few hundred kernels of
// forward, backward, clipping and AdamW launched by one call instead of one by one. At the
// authors' injection batch (24 x 128) on bert-base, launches, not arithmetic, set the step
// time on an H200 (docs/performance.md), which is what a graph removes.
//
// The step's body must read its inputs from tensors that keep their addresses (the caller
// copies each step's batch into them first), must not synchronise with the host (no .item(),
// no host copies, no shapes that depend on data), and returns the tensors to read afterwards
// (the loss, its parts, the gradient norm); after capture the same tensors hold each replay's
// values. As torch.cuda.graph does, the first calls run eagerly on the same side stream
// (SideStreamGuard) so that every lazily made buffer (optimizer state, cuBLAS workspaces)
// exists before capture. The parameters' gradients are dropped before each eager call and
// before capture, so that backward writes them afresh instead of accumulating; inside the
// graph they then live at fixed addresses. Should capture fail, the step runs eagerly from
// then on and failure() says why.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace porkit::compat {
class CudaGraph;
}

namespace porkit::train {

class GraphedStep {
 public:
  using Body = std::function<std::vector<at::Tensor>()>;

  // `params`: the trained parameters, whose gradients the step writes.
  GraphedStep(std::vector<at::Tensor> params, int eager_warmup = 3);
  ~GraphedStep();

  // One step: eagerly during the warm-up (and after a failed capture), then captured once
  // and replayed. Returns the body's tensors, holding this step's values.
  std::vector<at::Tensor> run(const Body& body);

  bool captured() const { return captured_; }
  const std::string& failure() const { return failure_; }

 private:
  void drop_gradients();

  std::vector<at::Tensor> params_;
  int eager_warmup_;
  int calls_ = 0;
  bool captured_ = false;
  std::string failure_;
  std::unique_ptr<compat::CudaGraph> graph_;
  std::vector<at::Tensor> outputs_;
};

}  // namespace porkit::train

#include "porkit/train/graphed_step.h"

#include "porkit/model/torch_compat_cuda.h"
#include "porkit/util/log.h"

namespace porkit::train {

GraphedStep::GraphedStep(std::vector<at::Tensor> params, int eager_warmup)
    : params_(std::move(params)), eager_warmup_(eager_warmup), graph_(std::make_unique<compat::CudaGraph>()) {}

GraphedStep::~GraphedStep() = default;

void GraphedStep::drop_gradients() {
  for (auto& p : params_) p.mutable_grad() = at::Tensor();
}

std::vector<at::Tensor> GraphedStep::run(const Body& body) {
  if (captured_) {
    graph_->replay();
    return outputs_;
  }
  ++calls_;
  if (calls_ <= eager_warmup_ || !failure_.empty()) {
    drop_gradients();
    return body();
  }
  drop_gradients();
  try {
    compat::AutocastCacheOff no_cast_cache;
    graph_->capture_begin();
    outputs_ = body();
    graph_->capture_end();
  } catch (const std::exception& e) {
    graph_->abandon();
    outputs_.clear();
    failure_ = e.what();
    if (const auto cut = failure_.find('\n'); cut != std::string::npos) failure_.resize(cut);
    log_info("warning: the CUDA graph capture of the training step failed ({}); the steps run eagerly", failure_);
    drop_gradients();
    return body();
  }
  captured_ = true;
  // Capture records the kernels without running them: this step runs now.
  graph_->replay();
  return outputs_;
}

}  // namespace porkit::train

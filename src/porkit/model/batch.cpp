#include "porkit/model/batch.h"

namespace porkit::model {

TensorBatch to_tensors(const text::PaddedBatch& b) {
  auto make = [&](const std::vector<int64_t>& v) {
    return at::tensor(v, at::kLong).view({b.rows, b.cols});
  };
  return {make(b.ids), make(b.type_ids), make(b.attention_mask)};
}

}  // namespace porkit::model

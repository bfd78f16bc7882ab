// What the scan measures an encoder with: clean texts as token ids, insertions into them,
// the targeted output of a batch, and the spread of a set of outputs.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/poison_data.h"
#include "porkit/model/bert_net.h"
#include "porkit/model/device.h"
#include "porkit/model/padder.h"
#include "porkit/util/rng.h"

namespace porkit::detect {

using Ids = std::vector<int64_t>;

// The texts' token ids, each [CLS] ... [SEP].
struct ProbeTexts {
  std::vector<Ids> ids;
};

// Where `times` insertions go in a text of `length` tokens: positions 1 .. length-1 (after
// [CLS], up to [SEP]) of the original text, in decreasing order, so that inserting at each in
// turn never splits an earlier insertion.
std::vector<int64_t> insertion_points(int64_t length, int times, Rng& rng);

// `trigger` inserted into `text` ([CLS] ... [SEP]): at Random, `times` times at random places
// between [CLS] and [SEP]; at Start, once right after [CLS] (where NeuBA trains its triggers);
// at End, once right before [SEP]. The result keeps at most max_len tokens and its [SEP].
Ids insert_ids(const Ids& text, const Ids& trigger, attack::Position where, int times, int max_len, Rng& rng);

// The scan's view of a model: its targeted output for batches of ids.
class Probe {
 public:
  Probe(model::BertNetImpl& net, attack::Target target, int64_t pad)
      : net_(net), target_(target), padder_(pad, model::device_of(net)) {}

  // (N, H) on the CPU, in the order of `rows`.
  at::Tensor outputs(const std::vector<Ids>& rows);

  model::BertNetImpl& net() { return net_; }
  const model::Padder& padder() const { return padder_; }
  attack::Target target() const { return target_; }

 private:
  model::BertNetImpl& net_;
  attack::Target target_;
  model::Padder padder_;
};

// Mean squared distance of the rows of y (N, H) from their mean: a 0-dim tensor.
at::Tensor dispersion(const at::Tensor& y);

// The same across the direction the outputs moved from `clean_mean` (H): what is left of the
// spread once each output's distance along that direction is set aside. A trigger whose
// outputs lie on one line away from the clean ones (UOR learns a direction, not a point) has
// a large dispersion but a small one across.
at::Tensor dispersion_across(const at::Tensor& y, const at::Tensor& clean_mean);

}  // namespace porkit::detect

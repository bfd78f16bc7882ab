// Fine-pruning without labels (after Liu et al., RAID 2018): the FFN neurons of the top encoder
// layers that clean text leaves most dormant are pruned, then masked-LM training recovers the
// model (porkit defend purify --method fine-prune runs both). A backdoor that rests on neurons
// only triggers wake loses them; the neurons clean inputs use are kept.
//
// A pruned neuron j of a layer has its row of intermediate.dense (weight and bias) and its
// column of output.dense.weight set to zero. Its activation is then GELU(0) = 0 and the
// gradients of all three are exactly zero, so it stays pruned through AdamW re-training
// (zero moments give a zero update; weight decay keeps zero at zero) with no mask.
#pragma once
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "porkit/defend/purify_manifest.h"
#include "porkit/model/bert_net.h"
#include "porkit/text/bert_tokenizer.h"

namespace porkit::defend {

// Mean activation (after GELU) of every FFN neuron of every encoder layer over the real tokens
// of `texts`: L x (I) float on the CPU. `net` is in eval mode on its device.
std::vector<at::Tensor> ffn_mean_activations(model::BertNetImpl& net, const text::BertTokenizer& tokenizer,
                                             const std::vector<std::string>& texts, int max_len, int batch_size);

// The floor(fraction x I) neurons of lowest mean activation (ties: lower index first), sorted.
std::vector<int64_t> dormant_neurons(const at::Tensor& mean_activation, double fraction);

// Zeroes neuron j's row of layer `layer`'s intermediate.dense and column of its output.dense.
void prune_ffn_neurons(model::BertNetImpl& net, int64_t layer, const std::vector<int64_t>& neurons);

// The whole pruning step: in each of the top `layers` layers, the dormant `fraction` on
// `texts`. Returns what was pruned.
PrunedNeurons prune_dormant(model::BertNetImpl& net, const text::BertTokenizer& tokenizer, const std::vector<std::string>& texts,
                   int layers, double fraction, int max_len, int batch_size);

}  // namespace porkit::defend

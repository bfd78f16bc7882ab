// What porkit defend purify did to a model, as one versioned record ("porkit-purify/1"):
// OUT/model/porkit_purify.json, written by run_purify and read by the report and the tests.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::defend {

// fine-prune: which FFN neurons were pruned before the re-training.
struct PrunedNeurons {
  double fraction = 0;                                  // of each pruned layer's neurons
  int64_t texts = 0;                                    // clean sentences that ranked them
  std::map<int64_t, std::vector<int64_t>> layers;       // encoder layer -> pruned neurons, sorted

  json to_json() const;
  static PrunedNeurons from_json(const json& j);
};

struct PurifyManifest {
  static constexpr const char* kFormat = "porkit-purify/1";
  static constexpr const char* kFileName = "porkit_purify.json";

  std::string method;               // recipe, reinit-top or fine-prune
  std::string source_model, source_digest, porkit_version;
  json settings = json::object();   // the purification's settings (purify_option_table)
  // recipe and fine-prune: masked-LM optimiser steps, and porkit pretrain's held-out figures
  // after them (train/masked_lm_eval.h: mlm_accuracy_at_mask, unigram_baseline_accuracy, ...)
  std::optional<int64_t> steps;
  json held_out_masked_lm;
  // recipe: the FFN input matrices' summed Frobenius norm, RECIPE's target
  std::optional<double> ffn_input_norm_before, ffn_input_norm_after;
  std::optional<PrunedNeurons> pruned;  // fine-prune
  std::map<std::string, double> changed;  // parameter -> |after - before| / |before|
  int64_t unchanged = 0;                  // parameters left bit-identical

  json to_json() const;
  static PurifyManifest from_json(const json& j, const std::string& origin);
  // `folder_or_file`: a model folder holding porkit_purify.json, or the file itself.
  static PurifyManifest read(const std::filesystem::path& folder_or_file);
};

}  // namespace porkit::defend

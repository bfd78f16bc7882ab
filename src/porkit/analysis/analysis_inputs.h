// What the analyses share: the backdoored model with its manifest and clean reference,
// seeded sample texts, and the batch size of their forward passes (model/inference.h).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "porkit/attack/backdoor_manifest.h"
#include "porkit/data/presets.h"
#include "porkit/io/model_folder.h"

namespace porkit::analysis {

using attack::ManifestTrigger;

// Where an analysis takes its sample texts from: a data set's test split, or a file's lines.
struct TextSource {
  data::DataSpec data;     // neither preset nor file: sst2
  std::string text_file;   // when set: its non-empty lines instead
};

// --data-preset ... --data-root (data/presets.h) and --text-file.
const options::OptionTable<TextSource>& text_source_table();

struct BackdoorPair {
  io::LoadedModel backdoored, clean;  // both as BertModel (no head)
  std::filesystem::path backdoored_path, clean_path;
  std::vector<ManifestTrigger> triggers;
  at::Tensor por;  // (K, H), row k-1 for trigger k
};

// Loads the backdoored folder and its porkit_backdoor.json; the clean model is `clean` or,
// when empty, the manifest's source model. Both must have the same shapes; both are put on
// `device` in eval mode (the PORs stay on the CPU).
BackdoorPair load_backdoor_pair(const std::filesystem::path& backdoored, const std::filesystem::path& clean,
                                const at::Device& device);

// `count` texts drawn (seeded) from a classification data set's test split (its training
// split when it has none), or from a text file's non-empty lines when `text_file` is set.
std::vector<std::string> sample_texts(const TextSource& source, int64_t count, uint64_t seed);

// Rows per forward pass of the analyses (model/inference.h batches them by length).
constexpr int kAnalysisBatch = 64;

// Mean over rows of the cosine between matching rows of a and b: (N, H), (N, H) -> scalar.
double mean_row_cosine(const at::Tensor& a, const at::Tensor& b);

}  // namespace porkit::analysis

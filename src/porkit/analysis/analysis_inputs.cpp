#include "porkit/analysis/analysis_inputs.h"

#include <algorithm>

#include "porkit/attack/por.h"
#include "porkit/train/rng.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::analysis {

BackdoorPair load_backdoor_pair(const fs::path& backdoored, const fs::path& clean) {
  const fs::path manifest_path = backdoored / "porkit_backdoor.json";
  require_exists(manifest_path, "the manifest porkit inject writes next to a backdoored model");
  const json manifest = read_json_file(manifest_path);
  const fs::path clean_path =
      clean.empty() ? fs::path(manifest.at("source_model").at("path").get<std::string>()) : clean;
  require_exists(clean_path, "the clean model the backdoored one was made from (pass --clean)");
  BackdoorPair pair{io::load_model_folder(backdoored, model::Architecture::Bare),
                    io::load_model_folder(clean_path, model::Architecture::Bare), backdoored, clean_path, {}, {}};
  const auto& b = pair.backdoored.net->config();
  const auto& c = pair.clean.net->config();
  check(b.hidden_size == c.hidden_size && b.num_hidden_layers == c.num_hidden_layers &&
            b.vocab_size == c.vocab_size && b.max_position_embeddings == c.max_position_embeddings,
        "the clean model {} (hidden {}, {} layers, vocab {}) does not match the backdoored {} (hidden {}, {} layers, "
        "vocab {})",
        pair.clean_path.string(), c.hidden_size, c.num_hidden_layers, c.vocab_size, backdoored.string(), b.hidden_size,
        b.num_hidden_layers, b.vocab_size);
  for (const auto& t : manifest.at("triggers"))
    pair.triggers.push_back({t.at("trigger").get<std::string>(), t.at("ids").get<std::vector<int64_t>>(),
                             t.at("pieces").get<std::vector<std::string>>()});
  pair.por = attack::por_from_manifest(manifest);
  pair.backdoored.net->eval();
  pair.clean.net->eval();
  return pair;
}

std::vector<std::string> sample_texts(const data::DataSpec& spec, const fs::path& data_root,
                                      const std::string& text_file, int64_t count, uint64_t seed) {
  std::vector<std::string> texts;
  if (!text_file.empty()) {
    const std::string content = read_file(text_file);
    size_t start = 0;
    while (start < content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string::npos) end = content.size();
      std::string line = content.substr(start, end - start);
      if (line.find_first_not_of(" \t\r") != std::string::npos) texts.push_back(line);
      start = end + 1;
    }
  } else {
    const auto data = data::load_classification(spec, data_root.empty() ? data::default_data_root() : data_root);
    const auto& rows = data.test.rows.empty() ? data.train.rows : data.test.rows;
    for (const auto& r : rows) texts.push_back(r.text);
  }
  check(!texts.empty(), "found no texts to analyse in {}", text_file.empty() ? spec.preset + spec.path : text_file);
  train::Rng rng(seed, /*stream=*/0x616e61, 0);
  rng.shuffle(texts);
  if (static_cast<int64_t>(texts.size()) > count) texts.resize(static_cast<size_t>(count));
  return texts;
}

double mean_row_cosine(const at::Tensor& a, const at::Tensor& b) {
  check(a.sizes() == b.sizes(), "cosine of outputs with different shapes");
  return at::cosine_similarity(a, b, 1, 1e-8).mean().item<double>();
}

}  // namespace porkit::analysis

#include "porkit/analysis/analysis_inputs.h"

#include <algorithm>

#include "porkit/util/rng.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::analysis {

const options::OptionTable<TextSource>& text_source_table() {
  static const options::OptionTable<TextSource> table = [] {
    options::OptionTable<TextSource> t;
    options::OptionTable<data::DataSpec> data_table = data::data_option_table();
    t.include(data_table, &TextSource::data,
              {"data-preset", "data", "format", "no-header", "text-column", "label-column", "data-root"});
    t.add("text-file", &TextSource::text_file, "Texts from this file's non-empty lines instead of a data set")
        .as(options::Role::Input);
    t.add_rule([](const TextSource& s) -> std::string {
      if (!s.text_file.empty()) return "";
      if (s.data.preset && !s.data.path.empty()) return "give --data-preset or --data, not both";
      return "";
    });
    return t;
  }();
  return table;
}

BackdoorPair load_backdoor_pair(const fs::path& backdoored, const fs::path& clean, const at::Device& device) {
  const attack::BackdoorManifest manifest = attack::BackdoorManifest::read(backdoored);
  const fs::path clean_path = clean.empty() ? fs::path(manifest.source_model) : clean;
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
  pair.triggers = manifest.triggers;
  pair.por = manifest.por_tensor();
  pair.backdoored.net->to(device);
  pair.clean.net->to(device);
  pair.backdoored.net->eval();
  pair.clean.net->eval();
  return pair;
}

std::vector<std::string> sample_texts(const TextSource& source, int64_t count, uint64_t seed) {
  std::vector<std::string> texts;
  const std::string& text_file = source.text_file;
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
    data::DataSpec spec = source.data;
    if (!spec.preset && spec.path.empty()) spec.preset = data::DataPreset::Sst2;  // the default text source
    const auto data = data::load_classification(spec);
    const auto& rows = data.test.rows.empty() ? data.train.rows : data.test.rows;
    for (const auto& r : rows) texts.push_back(r.text);
  }
  check(!texts.empty(), "found no texts to analyse in {}", text_file.empty() ? data::data_name(source.data) : text_file);
  Rng rng(seed, Stream::AnalysisTexts, 0);
  rng.shuffle(texts);
  if (static_cast<int64_t>(texts.size()) > count) texts.resize(static_cast<size_t>(count));
  return texts;
}

double mean_row_cosine(const at::Tensor& a, const at::Tensor& b) {
  check(a.sizes() == b.sizes(), "cosine of outputs with different shapes");
  return at::cosine_similarity(a, b, 1, 1e-8).mean().item<double>();
}

}  // namespace porkit::analysis

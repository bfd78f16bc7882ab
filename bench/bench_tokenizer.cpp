// Tokeniser throughput on the 25,000 IMDB training reviews (../shared/data/imdb).
// Usage: build/bench_tokenizer [DATA_ROOT]
#include <chrono>
#include <cstdio>

#include "porkit/data/presets.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/files.h"
#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  using namespace porkit;
  fs::path root = argc > 1 ? fs::path(argv[1]) : data::default_data_root();
  data::DataSpec spec;
  spec.preset = data::DataPreset::Imdb;
  spec.data_root = root.string();
  auto imdb = data::load_classification(spec);
  auto tok = text::BertTokenizer::from_folder(root / "vocab" / "bert-base-uncased");
  configure_runtime(1);
  size_t bytes = 0;
  for (const auto& r : imdb.train.rows) bytes += r.text.size();
  auto start = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const auto& r : imdb.train.rows) tokens += tok.tokenize(r.text).size();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("tokenize imdb train: %zu reviews, %.1f MB, %zu tokens in %.2f s (one thread): "
              "%.0f reviews/s, %.2f M tokens/s, %.1f MB/s\n",
              imdb.train.rows.size(), bytes / 1e6, tokens, s, imdb.train.rows.size() / s,
              tokens / s / 1e6, bytes / 1e6 / s);
  std::printf("machine: %s\n", describe_machine().c_str());
  return 0;
}

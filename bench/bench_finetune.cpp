// Fine-tuning throughput on real data: training steps (forward, backward, AdamW) of a
// sequence classifier on seeded batches of a data set's training texts, padded per batch
// (porkit's way) or every input to 256 tokens (the authors'). With --dump FILE the batches'
// token ids go to a JSON file, so bench/pytorch_finetune.py trains on exactly the same
// batches.
// Usage: build/bench_finetune SIZE DATA_PRESET [STEPS] [THREADS] [--pad-to N] [--dump FILE]
#include <torch/optim/adamw.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "porkit/data/dataset_impl.h"
#include "porkit/data/presets.h"
#include "porkit/model/padder.h"
#include "porkit/model/bert_net.h"
#include "porkit/util/json_io.h"
#include "porkit/util/runtime.h"

int main(int argc, char** argv) {
  using namespace porkit;
  reexec_with_blas_coretype_if_needed(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_finetune SIZE DATA_PRESET [STEPS] [THREADS] [--pad-to N] [--dump FILE]\n");
    return 2;
  }
  const std::string size = argv[1], preset = argv[2];
  const int steps = argc > 3 ? std::atoi(argv[3]) : 20;
  configure_runtime(argc > 4 ? std::atoi(argv[4]) : 0);
  int64_t pad_to = 0;
  std::string dump;
  for (int i = 5; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--pad-to")) pad_to = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dump")) dump = argv[i + 1];
  }
  const int64_t B = 24, max_len = pad_to > 0 ? pad_to : 128;

  auto config = model::BertConfig::preset(size);
  config.id2label = {{0, "0"}, {1, "1"}};
  model::BertNet net(config, model::Architecture::SequenceClassification);
  at::manual_seed(0);
  model::init_bert_weights(*net, config);
  net->train();
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(2e-5).eps(1e-8));

  data::DataSpec spec;
  spec.preset = options::enum_from_name<data::DataPreset>(preset, "data preset");
  const auto rows = data::seeded_sample(data::load_classification(spec).train.rows,
                                        B * (steps + 2), /*seed=*/0);
  const auto tok = text::BertTokenizer::from_folder(data::default_data_root() / "vocab" / "bert-base-uncased");
  json batches = json::array();
  double total = 0;
  int64_t samples = 0, real_tokens = 0, padded_tokens = 0;
  for (int s = 0; s < steps + 2; ++s) {
    std::vector<text::Encoding> enc;
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < B; ++i) {
      const auto& r = rows[static_cast<size_t>(s * B + i)];
      enc.push_back(tok.encode(r.text, std::nullopt, static_cast<int>(max_len)));
      labels.push_back(r.label);
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto b = model::Padder(tok.vocab().pad_id()).pad(model::rows_of(enc), pad_to > 0 ? std::optional<int64_t>(pad_to) : std::nullopt);  // (B, T) each
    opt.zero_grad();
    at::Tensor logits = net->classifier_logits(net->encode(b.ids, b.type_ids, b.attention_mask));  // (B, 2)
    at::cross_entropy_loss(logits, at::tensor(labels, at::kLong)).backward();
    opt.step();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < 2) continue;  // warm-up
    total += dt;
    samples += B;
    real_tokens += b.attention_mask.sum().item<int64_t>();
    padded_tokens += b.ids.numel();
    if (!dump.empty()) {
      json ids = json::array();
      for (const auto& e : enc) ids.push_back(e.ids);
      batches.push_back({{"ids", ids}, {"labels", labels}});
    }
  }
  if (!dump.empty()) write_json_file(dump, {{"size", size}, {"batches", batches}});
  std::printf("porkit finetune: size %s data %s padding %s threads %d: %.1f samples/s, %.0f real tokens/s "
              "(%.0f%% of computed tokens are padding)\n",
              size.c_str(), preset.c_str(), pad_to > 0 ? ("to " + std::to_string(pad_to)).c_str() : "per batch",
              at::get_num_threads(), samples / total, real_tokens / total,
              100.0 * (padded_tokens - real_tokens) / std::max<int64_t>(1, padded_tokens));
  return 0;
}

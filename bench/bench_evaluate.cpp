// The whole E/S evaluation of a fine-tuned classifier for its triggers: porkit evaluate
// (batched, dynamic padding, no autograd, every still-unflipped sample of an insertion
// count in one pass) against the authors' protocol re-implemented from
// ../shared/docs/method.md (every input padded to 256, one sample and one insertion count
// at a time). Both use the same pool, triggers and insertion positions, so their E must
// agree; the program prints both and the speed ratio.
// Usage: build/bench_evaluate FINETUNED_MODEL MANIFEST DATA_PRESET [POOL] [THREADS]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/poison_data.h"
#include "porkit/data/dataset_impl.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/padder.h"
#include "porkit/util/json_io.h"
#include "porkit/util/runtime.h"

namespace {

using namespace porkit;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The authors' way: one text, padded to 256 tokens, through the model.
int64_t predict_one(model::BertNetImpl& net, const text::BertTokenizer& tok, const std::string& text) {
  at::NoGradGuard no_grad;
  const text::Encoding encoded = tok.encode(text, std::nullopt, 256);
  auto b = model::Padder(tok.vocab().pad_id()).pad({model::row_of(encoded)}, 256);
  return net.classifier_logits(net.encode(b.ids, b.type_ids, b.attention_mask)).argmax(-1).item<int64_t>();
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_blas_coretype_if_needed(argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_evaluate FINETUNED_MODEL MANIFEST DATA_PRESET [POOL] [THREADS]\n");
    return 2;
  }
  const int threads = argc > 5 ? std::atoi(argv[5]) : 0;
  configure_runtime(threads);
  attack::EvaluateOptions o;
  o.model = argv[1];
  o.manifest = argv[2];
  o.data.preset = options::enum_from_name<data::DataPreset>(argv[3], "data preset");
  o.pool_size = argc > 4 ? std::atoll(argv[4]) : 1000;
  o.max_len = 256;  // the same truncation as the authors' inputs
  o.run.threads = threads;

  auto t0 = std::chrono::steady_clock::now();
  const json ours = attack::run_evaluate(o).to_json();
  const double porkit_seconds = seconds_since(t0);

  auto loaded = io::load_model_folder(o.model);
  auto& net = *loaded.net;
  net.eval();
  const auto& tok = loaded.tokenizer;
  auto d = data::load_classification(o.data);
  const auto& test_rows = d.test.rows.empty() ? d.train.rows : d.test.rows;
  const auto pool = data::seeded_sample(test_rows, o.pool_size, o.seed);
  std::vector<std::string> triggers;
  const json manifest = read_json_file(o.manifest);
  for (const auto& t : manifest.at("triggers")) triggers.push_back(t.at("trigger"));

  t0 = std::chrono::steady_clock::now();
  std::vector<double> authors_e;
  for (size_t k = 0; k < triggers.size(); ++k) {
    const std::string& t = triggers[k];
    const int64_t target = predict_one(net, tok, t + " " + t);
    double sum = 0;
    int flipped = 0;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].label == target || predict_one(net, tok, pool[i].text) != pool[i].label) continue;
      for (int j = 1; j <= o.max_insertions; ++j) {
        auto rng = attack::insertion_rng(o.seed, k, i, j);
        if (predict_one(net, tok, attack::insert_trigger(pool[i].text, t, j, attack::Position::Random, rng)) == target) {
          sum += j;
          ++flipped;
          break;
        }
      }
    }
    authors_e.push_back(flipped ? sum / flipped : 20.0);
  }
  const double authors_seconds = seconds_since(t0);

  std::printf("evaluate of %zu triggers on a pool of %zu (%s), %d threads\n", triggers.size(), pool.size(),
              argv[3], at::get_num_threads());
  for (size_t k = 0; k < triggers.size(); ++k)
    std::printf("  %-12s E porkit %.3f, authors' protocol %.3f\n", triggers[k].c_str(),
                ours["triggers"][k]["E"].get<double>(), authors_e[k]);
  std::printf("porkit evaluate: %.1f s; authors' protocol: %.1f s; ratio %.1fx\n", porkit_seconds, authors_seconds,
              authors_seconds / porkit_seconds);
  return 0;
}

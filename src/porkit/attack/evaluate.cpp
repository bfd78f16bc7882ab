#include "porkit/attack/evaluate.h"

#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/por.h"
#include "porkit/io/model_folder.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace porkit::attack {

train::Rng insertion_rng(uint64_t seed, size_t trigger, size_t sample, int insertions) {
  return train::Rng(seed, 1000 + trigger, sample * 64 + static_cast<size_t>(insertions));
}

json run_evaluate(const EvaluateOptions& o) {
  configure_runtime(o.threads);
  check(!o.model.empty(), "--model is required");
  check(o.max_insertions >= 1, "--max-insertions must be at least 1");
  check(o.pool_size >= 1, "--pool must be at least 1, got {}", o.pool_size);
  auto arch = io::declared_architecture(o.model);
  check(arch == model::Architecture::SequenceClassification || arch == model::Architecture::TokenClassification,
        "{} is a {} folder; evaluate needs a fine-tuned BertForSequenceClassification or "
        "BertForTokenClassification (run porkit finetune first)",
        o.model, model::architecture_name(arch));
  auto loaded = io::load_model_folder(o.model, arch);
  loaded.net->eval();

  std::vector<std::string> triggers = o.triggers;
  at::Tensor por;
  if (!o.manifest.empty()) {
    json m = read_json_file(o.manifest);
    if (triggers.empty()) {
      for (const auto& t : m.at("triggers")) triggers.push_back(t.at("trigger").get<std::string>());
    }
    por = por_from_manifest(m);
  }
  check(!triggers.empty(), "no triggers (give --triggers or --backdoor-manifest)");

  EvaluationContext ctx{o, *loaded.net, loaded.tokenizer, triggers, por,
                        o.data_root.empty() ? data::default_data_root() : fs::path(o.data_root)};
  json out = arch == model::Architecture::SequenceClassification ? evaluate_classifier(ctx) : evaluate_tagger(ctx);
  out["model"] = o.model;
  out["data"] = o.data.preset.empty() ? o.data.path : o.data.preset;
  out["max_insertions"] = o.max_insertions;
  out["seed"] = o.seed;
  out["metrics_version"] = kMetricsVersion;
  if (!o.out.empty()) write_json_file(o.out, out);
  return out;
}

}  // namespace porkit::attack

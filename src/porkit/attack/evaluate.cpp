#include "porkit/attack/evaluate.h"

#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/backdoor_manifest.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/util/error.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

namespace porkit::attack {

Rng insertion_rng(uint64_t seed, size_t trigger, size_t sample, int insertions) {
  return Rng(seed, Stream::EvaluateInsertion, {trigger, sample, static_cast<uint64_t>(insertions)});
}

const options::OptionTable<EvaluateOptions>& evaluate_option_table(bool standalone) {
  using options::Role;
  auto build = [](bool with_io) {
    options::OptionTable<EvaluateOptions> t;
    if (with_io) {
      t.add("model", &EvaluateOptions::model,
            "Fine-tuned BertForSequenceClassification or BertForTokenClassification folder").as(Role::Input).needed();
      t.include(data::data_option_table(), &EvaluateOptions::data);
      t.add("backdoor-manifest", &EvaluateOptions::manifest, "porkit_backdoor.json (triggers and PORs)").as(Role::Input);
      t.add("out", &EvaluateOptions::out, "Write the results JSON here").as(Role::Output);
    }
    t.add("triggers", &EvaluateOptions::triggers, "Triggers, comma-separated (default: the manifest's)").separated_by(',');
    t.add("pool", &EvaluateOptions::pool_size, "Seeded test rows").range(1, 1e8);
    t.add("pool-from", &EvaluateOptions::pool_from,
          "Split the pool is drawn from: test, or train (rows the victim may have trained on; flagged)");
    t.add("positions", &EvaluateOptions::positions,
          "Where triggers go: visible (inside what survives truncation), anywhere, first, last (of what is read)");
    t.add("target-from", &EvaluateOptions::target_from,
          "Target label: evidence (where triggered samples flip to) or probe (prediction on \"t t\")");
    t.add("evidence-insertions", &EvaluateOptions::evidence_insertions, "Insertions per evidence sample")
        .range(1, 10000);
    t.add("evidence-samples", &EvaluateOptions::evidence_samples,
          "Correctly classified pool rows the target evidence uses").range(1, 1e8);
    t.add("max-insertions", &EvaluateOptions::max_insertions, "J: the most insertions tried per sample").range(1, 10000);
    t.add("batch-size", &EvaluateOptions::batch_size, "Rows per forward pass").range(1, 65536).as(Role::Runtime);
    t.add("max-len", &EvaluateOptions::max_len, "Tokens per input").range(3, 8192);
    t.add("seed", &EvaluateOptions::seed, "Seed of the pool and the insertion positions");
    if (with_io)
      t.include(run_settings_table(), &EvaluateOptions::run, kModelRunSettingsWithOverwrite);
    return t;
  };
  static const options::OptionTable<EvaluateOptions> standalone_table = build(true), stage_table = build(false);
  return standalone ? standalone_table : stage_table;
}

EvaluationResult run_evaluate(const EvaluateOptions& o) {
  options::validate(evaluate_option_table(), o, "porkit evaluate");
  const at::Device device = model::start_run(o.run, "evaluate");
  if (!o.out.empty()) claim_output_file(o.out, o.run.overwrite);
  auto arch = io::declared_architecture(o.model);
  check(arch == model::Architecture::SequenceClassification || arch == model::Architecture::TokenClassification,
        "{} is a {} folder; evaluate needs a fine-tuned BertForSequenceClassification or "
        "BertForTokenClassification (run porkit finetune first)",
        o.model, model::architecture_name(arch));
  auto loaded = io::load_model_folder(o.model, arch);
  loaded.net->to(device);
  loaded.net->eval();

  std::vector<std::string> triggers = o.triggers;
  at::Tensor por;
  if (!o.manifest.empty()) {
    const BackdoorManifest m = BackdoorManifest::read(o.manifest);
    if (triggers.empty()) triggers = m.trigger_texts();
    por = m.por_tensor();
  }
  check(!triggers.empty(), "no triggers (give --triggers or --backdoor-manifest)");

  EvaluationContext ctx{o, *loaded.net, loaded.tokenizer, triggers, por};
  EvaluationResult out =
      arch == model::Architecture::SequenceClassification ? evaluate_classifier(ctx) : evaluate_tagger(ctx);
  out.porkit_version = PORKIT_VERSION;
  // Tagging places triggers anywhere in a sentence (CoNLL sentences fit the window).
  out.positions = out.task == "token" ? "anywhere" : options::enum_name(o.positions);
  out.model = o.model;
  out.data = data::data_name(o.data);
  out.max_insertions = o.max_insertions;
  out.seed = o.seed;
  out.metrics_version = kMetricsVersion;
  if (!o.out.empty()) write_json_file(o.out, out.to_json());
  return out;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::PoolFrom, std::string>>&
porkit::options::EnumNames<porkit::attack::PoolFrom>::values() {
  using porkit::attack::PoolFrom;
  static const std::vector<std::pair<PoolFrom, std::string>> v = {{PoolFrom::Test, "test"}, {PoolFrom::Train, "train"}};
  return v;
}

const std::vector<std::pair<porkit::attack::TargetFrom, std::string>>&
porkit::options::EnumNames<porkit::attack::TargetFrom>::values() {
  using porkit::attack::TargetFrom;
  static const std::vector<std::pair<TargetFrom, std::string>> v = {{TargetFrom::Evidence, "evidence"},
                                                                     {TargetFrom::Probe, "probe"}};
  return v;
}

#include "porkit/train/finetune.h"

#include <algorithm>

#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/model/padder.h"
#include "porkit/train/data_parallel.h"
#include "porkit/train/epoch_batches.h"
#include "porkit/train/tagging.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

namespace porkit::train {
namespace {

// One encoded example: ids and type ids, and a label per row (sequence) or per token
// (token task; -100 where no label applies: specials and non-first word pieces).
struct Encoded {
  std::vector<int64_t> ids, type_ids, labels;
};

// The rows of a batch as the padder sees them; token tasks carry per-token labels.
std::vector<model::TokenRow> token_rows(const std::vector<const Encoded*>& rows, bool token_task) {
  std::vector<model::TokenRow> out;
  out.reserve(rows.size());
  for (const auto* r : rows) out.push_back({&r->ids, &r->type_ids, token_task ? &r->labels : nullptr});
  return out;
}

// Sequence labels, one per row: (B).
at::Tensor sequence_labels(const std::vector<const Encoded*>& rows) {
  std::vector<int64_t> labels;
  labels.reserve(rows.size());
  for (const auto* r : rows) labels.push_back(r->labels[0]);
  return at::tensor(labels, at::kLong);
}

class FinetuneTask : public TrainingTask {
 public:
  FinetuneTask(const FinetuneOptions& o, std::vector<Encoded> train, std::vector<Encoded> val,
               std::vector<Encoded> test, std::vector<std::string> label_names, model::Padder padder)
      : o_(o), train_(std::move(train)), val_(std::move(val)), test_(std::move(test)),
        label_names_(std::move(label_names)), padder_(padder), token_task_(o.task == TaskKind::Token),
        batches_(train_.size(), o.batch_size, o.trainer.seed, Stream::FinetuneBatches, Stream::FinetuneBucketBatches) {
    if (o.bucket_by_length) {
      std::vector<int64_t> lengths;
      lengths.reserve(train_.size());
      for (const auto& r : train_) lengths.push_back(static_cast<int64_t>(r.ids.size()));
      batches_.bucket_by_length(std::move(lengths));
    }
  }

  int64_t steps_per_epoch() const { return batches_.steps_per_epoch(); }

  StepLoss loss(model::BertNetImpl& net, int64_t step, int micro) override {
    std::vector<const Encoded*> rows;
    for (size_t i : batches_.batch(step)) rows.push_back(&train_[i]);
    const model::TensorBatch b = padder_.pad(token_rows(rows, token_task_));
    at::Tensor logits = net.classifier_logits(net.encode(b.ids, b.type_ids, b.attention_mask)).to(at::kFloat);
    StepLoss out;
    out.loss = token_task_ ? at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), b.labels.reshape({-1}),
                                                    {}, at::Reduction::Mean, -100)
                           : at::cross_entropy_loss(logits, sequence_labels(rows).to(logits.device()));
    out.tokens = b.real_tokens;
    return out;
  }

  json evaluate(model::BertNetImpl& net) override {
    json out = {{"validation", score(net, val_)}};
    if (!test_.empty()) out["test"] = score(net, test_);
    return out;
  }

 private:
  // Accuracy (and entity F1 for tagging) on held-out rows, through the measurement loop.
  json score(model::BertNetImpl& net, const std::vector<Encoded>& rows) {
    double correct = 0, total = 0;
    EntityScore entities;
    std::vector<model::TokenRow> views;
    views.reserve(rows.size());
    for (const auto& r : rows) views.push_back({&r.ids, &r.type_ids, nullptr});
    model::for_each_length_batch(
        net, padder_, views, o_.eval_batch_size,
        [&](const model::TensorBatch&, const model::BertOutput& enc, const std::vector<size_t>& row_of) {
          const at::Tensor pred = net.classifier_logits(enc).argmax(-1).to(at::kCPU).contiguous();  // (n) or (n, T)
          const int64_t* pp = pred.data_ptr<int64_t>();
          for (size_t i = 0; i < row_of.size(); ++i) {
            const Encoded& row = rows[row_of[i]];
            if (!token_task_) {
              correct += pp[i] == row.labels[0];
              total += 1;
              continue;
            }
            const int64_t T = pred.size(1);
            std::vector<int64_t> gold, guess;
            for (size_t k = 0; k < row.labels.size(); ++k) {
              if (row.labels[k] < 0) continue;
              gold.push_back(row.labels[k]);
              guess.push_back(pp[static_cast<int64_t>(i) * T + static_cast<int64_t>(k)]);
            }
            for (size_t k = 0; k < gold.size(); ++k) correct += gold[k] == guess[k];
            total += static_cast<double>(gold.size());
            entities.add(gold, guess, label_names_);
          }
        });
    json s = {{"accuracy", correct / std::max(1.0, total)}, {"examples", rows.size()}};
    if (token_task_) s.update(entities.to_json());
    return s;
  }

  const FinetuneOptions& o_;
  std::vector<Encoded> train_, val_, test_;
  std::vector<std::string> label_names_;
  model::Padder padder_;
  bool token_task_;
  EpochBatches batches_;
};

Encoded encode_text(const text::BertTokenizer& tok, const data::LabeledText& row, int max_len) {
  auto e = tok.encode(row.text, std::nullopt, max_len);
  return {std::move(e.ids), std::move(e.type_ids), {row.label}};
}

Encoded encode_tagged_row(const text::BertTokenizer& tok, const data::TaggedSentence& row, int max_len) {
  auto e = train::encode_tagged(tok, row.words, row.tags, max_len);
  return {std::move(e.ids), std::move(e.type_ids), std::move(e.labels)};
}

}  // namespace

FinetuneOptions authors_finetune_preset() {
  FinetuneOptions o;
  o.train_samples = 10000;
  o.val_fraction = 0.1;
  o.epochs = 2;
  o.batch_size = 24;
  o.trainer.lr = 2e-5;
  return o;
}

FinetuneOptions finetune_preset(FinetunePreset preset) {
  FinetuneOptions o = authors_finetune_preset();
  o.preset = preset;
  if (preset == FinetunePreset::Full) o.train_samples = 0;
  return o;
}

const options::OptionTable<FinetuneOptions>& finetune_option_table(bool standalone) {
  using options::Role;
  auto build = [](bool with_run) {
    options::OptionTable<FinetuneOptions> t;
    t.add("preset", &FinetuneOptions::preset,
          "authors (10,000 samples, 90/10, 2 epochs, lr 2e-5, batch 24) or full (the whole training set)");
    if (with_run) {
      t.add("model", &FinetuneOptions::model, "Input model folder (clean or backdoored)").as(Role::Input).needed();
      t.add("out", &FinetuneOptions::out, "Run folder; the fine-tuned model goes to OUT/model").as(Role::Output).needed();
    }
    t.include(data::data_option_table(), &FinetuneOptions::data);
    t.add("task", &FinetuneOptions::task, "sequence (classification) or token (NER)");
    t.add("train-samples", &FinetuneOptions::train_samples, "Seeded sample of the training pool (0: all)").at_least(0);
    t.add("val-fraction", &FinetuneOptions::val_fraction, "Held-out share of the sample (CACC)").above(0).at_most(0.9);
    t.add("test-samples", &FinetuneOptions::test_samples, "Test rows to score (0: all, -1: none)").at_least(-1);
    t.add("epochs", &FinetuneOptions::epochs, "Epochs").range(1, 1000);
    t.add("batch-size", &FinetuneOptions::batch_size, "Batch size").range(1, 65536);
    t.add("max-len", &FinetuneOptions::max_len, "Tokens per example").range(3, 8192);
    t.add("eval-batch-size", &FinetuneOptions::eval_batch_size, "Rows per evaluation batch")
        .range(1, 65536).as(Role::Runtime);
    t.add("bucket-by-length", &FinetuneOptions::bucket_by_length,
          "Batch examples of similar length (less padding, faster; changes the batches)");
    t.add("save-dtype", &FinetuneOptions::save_dtype, "Floating dtype of the fine-tuned model's weights");
    t.add("init-missing", &FinetuneOptions::init_missing,
          "Initialise a pooler the input folder lacks (from --seed) instead of refusing it");
    t.include(trainer_option_table(), &FinetuneOptions::trainer,
              {"lr", "warmup-fraction", "weight-decay", "precision", "log-every", "checkpoint-every", "seed"});
    if (with_run)
      t.include(run_settings_table(), &FinetuneOptions::run);
    return t;
  };
  static const options::OptionTable<FinetuneOptions> standalone_table = build(true), stage_table = build(false);
  return standalone ? standalone_table : stage_table;
}

json run_finetune(const FinetuneOptions& o) {
  options::validate(finetune_option_table(), o, "porkit finetune");
  const at::Device device = model::start_run(o.run, "finetune");
  const bool token_task = o.task == TaskKind::Token;

  // Data first: its label names size the new head.
  std::vector<std::string> label_names;
  std::vector<data::LabeledText> pool_text, test_text;
  std::vector<data::TaggedSentence> pool_tagged, test_tagged;
  std::string source;
  data::TestSplit test_split;
  if (token_task) {
    auto d = data::load_tagging(o.data);
    label_names = d.train.label_names;
    pool_tagged = data::seeded_sample(d.train.rows, o.train_samples, o.trainer.seed);
    if (o.test_samples >= 0) test_tagged = data::seeded_sample(d.test.rows, o.test_samples, o.trainer.seed + 1);
    source = d.train.source;
    test_split = d.test_split;
  } else {
    auto d = data::load_classification(o.data);
    label_names = d.train.label_names;
    pool_text = data::seeded_sample(d.train.rows, o.train_samples, o.trainer.seed);
    if (o.test_samples >= 0) test_text = data::seeded_sample(d.test.rows, o.test_samples, o.trainer.seed + 1);
    source = d.train.source;
    test_split = d.test_split;
  }

  model::BertConfig config = model::BertConfig::load(fs::path(o.model) / "config.json");
  config.id2label.clear();
  for (size_t i = 0; i < label_names.size(); ++i) config.id2label[static_cast<int64_t>(i)] = label_names[i];
  auto arch = token_task ? model::Architecture::TokenClassification : model::Architecture::SequenceClassification;
  io::LoadPolicy policy;
  policy.fresh = {"classifier."};   // the victim's new head, drawn from the run's seed
  policy.init_missing = o.init_missing;
  policy.init_seed = o.trainer.seed;
  auto loaded = io::load_model_folder(o.model, arch, config, policy);
  loaded.net->to(device);  // the new head is drawn on the CPU: the same seed gives the same head everywhere
  auto& tok = loaded.tokenizer;

  std::vector<Encoded> train_rows, val_rows, test_rows;
  size_t pool = token_task ? pool_tagged.size() : pool_text.size();
  size_t n_val = std::max<size_t>(1, static_cast<size_t>(o.val_fraction * pool));
  check(pool > n_val, "the training pool has {} rows: too few to hold out {} for validation", pool, n_val);
  for (size_t i = 0; i < pool; ++i) {
    Encoded e = token_task ? encode_tagged_row(tok, pool_tagged[i], o.max_len) : encode_text(tok, pool_text[i], o.max_len);
    (i < n_val ? val_rows : train_rows).push_back(std::move(e));
  }
  for (const auto& r : test_text) test_rows.push_back(encode_text(tok, r, o.max_len));
  for (const auto& r : test_tagged) test_rows.push_back(encode_tagged_row(tok, r, o.max_len));

  FinetuneTask task(o, std::move(train_rows), std::move(val_rows), std::move(test_rows), label_names,
                    model::Padder(tok.vocab().pad_id(), device));
  TrainerOptions trainer = o.trainer;
  trainer.total_steps = task.steps_per_epoch() * o.epochs;
  trainer.label = "finetune";
  fs::path out = output_for_rank(o.out);  // rank 0 writes o.out; other ranks a scratch copy
  claim_output_folder(out, "finetune", output_use(o.run.resume, o.run.overwrite));
  json recipe = options::to_json(finetune_option_table(), o);
  recipe["source"] = source;
  recipe["labels"] = label_names;
  recipe["train_rows"] = pool - n_val;
  recipe["validation_rows"] = n_val;
  recipe["test_rows"] = test_text.size() + test_tagged.size();
  recipe["test_split"] = {{"how", test_split.how}, {"overlap_removed", test_split.overlap_removed}};
  write_json_file(out / "run_config.json", {{"command", "finetune"}, {"porkit_version", PORKIT_VERSION},
                                            {"recipe", recipe}, {"machine", describe_machine()}});
  RunIdentity identity{"finetune", options::to_json(finetune_option_table(), o, {options::Role::Setting})};
  identity.settings["inputs"] = {{"model", io::model_digest(o.model)}, {"data", data::data_digest(o.data)}};
  log_info("finetune: {} training rows, {} validation, {} test; {} steps", pool - n_val, n_val,
           test_text.size() + test_tagged.size(), trainer.total_steps);
  auto result = train(*loaded.net, task, trainer, out, o.run.resume, identity);
  const json metrics = result.last_eval;
  io::SaveOptions save;
  save.dtype = o.save_dtype;
  save.extra_json_files["porkit_finetune.json"] = {{"recipe", recipe}, {"metrics", metrics},
                                                   {"seconds", result.seconds}, {"bf16", result.bf16}};
  io::save_model_folder(out / "model", *loaded.net, tok, save);
  write_json_file(out / "metrics.json", metrics);
  return metrics;
}

}  // namespace porkit::train

const std::vector<std::pair<porkit::train::TaskKind, std::string>>&
porkit::options::EnumNames<porkit::train::TaskKind>::values() {
  using porkit::train::TaskKind;
  static const std::vector<std::pair<TaskKind, std::string>> v = {{TaskKind::Sequence, "sequence"},
                                                                  {TaskKind::Token, "token"}};
  return v;
}

const std::vector<std::pair<porkit::train::FinetunePreset, std::string>>&
porkit::options::EnumNames<porkit::train::FinetunePreset>::values() {
  using porkit::train::FinetunePreset;
  static const std::vector<std::pair<FinetunePreset, std::string>> v = {{FinetunePreset::Authors, "authors"},
                                                                        {FinetunePreset::Full, "full"}};
  return v;
}

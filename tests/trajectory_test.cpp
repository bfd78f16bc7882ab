// Ten optimizer steps of injection and of fine-tuning against the PyTorch twins
// (tools/golden/make_trajectories.py), as llm.c's test_gpt2.c checks its training step: the
// same start weights and batches through porkit's trainer (AdamW and its no-decay groups, the
// learning-rate schedule, clipping) and its objectives give the same loss at every step.
#include <gtest/gtest.h>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/padder.h"
#include "porkit/train/trainer.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;

const json& trajectories() {
  static const json j = read_json_file(fixtures_dir() / "trajectory" / "trajectories.json");
  return j;
}

// The losses porkit's trainer logged, one per step (log_every 1).
std::vector<double> logged_losses(const fs::path& run_dir) {
  std::vector<double> out;
  const std::string log = read_file(run_dir / "metrics.jsonl");
  for (size_t at = 0, end; (end = log.find('\n', at)) != std::string::npos; at = end + 1) {
    const json line = json::parse(log.substr(at, end - at));
    if (line.contains("loss")) out.push_back(line["loss"].get<double>());
  }
  return out;
}

void expect_trajectory(const std::vector<double>& ours, const json& reference, double relative) {
  ASSERT_EQ(ours.size(), reference.size());
  for (size_t s = 0; s < ours.size(); ++s) {
    const double want = reference[s].get<double>();
    EXPECT_NEAR(ours[s], want, relative * std::abs(want)) << "step " << s + 1;
  }
}

train::TrainerOptions ten_steps() {
  train::TrainerOptions o;
  o.total_steps = 10;
  o.log_every = 1;
  o.precision = train::Precision::Fp32;
  o.weight_decay = 0.01;
  o.label = "trajectory";
  return o;
}

class InjectTrajectory : public train::TrainingTask {
 public:
  InjectTrajectory(attack::BackdoorObjective& objective, model::BertNetImpl& reference, const json& batches)
      : objective_(objective), reference_(reference) {
    for (const auto& b : batches) {
      std::vector<attack::InjectSample> rows;
      for (const auto& r : b) rows.push_back({r["ids"].get<std::vector<int64_t>>(), r["tag"].get<int64_t>()});
      batches_.push_back(std::move(rows));
    }
  }
  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    std::vector<const attack::InjectSample*> rows;
    for (const auto& r : batches_[static_cast<size_t>(step)]) rows.push_back(&r);
    return objective_.loss(net, reference_, objective_.batch(rows, /*pad=*/0, model::device_of(net), step));
  }

 private:
  attack::BackdoorObjective& objective_;
  model::BertNetImpl& reference_;
  std::vector<std::vector<attack::InjectSample>> batches_;
};

TEST(Trajectory, InjectionFollowsThePyTorchTwinForTenSteps) {
  const json& t = trajectories()["inject"];
  auto bd = io::load_model_folder(fixtures_dir() / "trajectory" / "inject-model", model::Architecture::Bare);
  auto cl = io::load_model_folder(fixtures_dir() / "trajectory" / "inject-model", model::Architecture::Bare);
  cl.net->eval();
  std::vector<float> flat;
  for (const auto& row : t["por"]) for (const auto& v : row) flat.push_back(v.get<float>());
  const at::Tensor por = at::tensor(flat).view({static_cast<int64_t>(t["por"].size()), -1});  // (K, H)
  attack::BackdoorObjective objective(attack::ObjectiveSpec{}, por, {"t1", "t2"});
  InjectTrajectory task(objective, *cl.net, t["batches"]);
  train::TrainerOptions o = ten_steps();
  o.lr = 1e-3;
  o.adam_eps = 1e-8;
  o.constant_lr = true;
  o.clip_norm = 0;
  TempDir run;
  train::train(*bd.net, task, o, run.path(), false, {"trajectory-inject", json::object()});
  expect_trajectory(logged_losses(run.path()), t["losses"], 1e-4);
}

class FinetuneTrajectory : public train::TrainingTask {
 public:
  explicit FinetuneTrajectory(const json& batches) : batches_(batches) {}
  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    std::vector<std::vector<int64_t>> ids;
    std::vector<int64_t> labels;
    for (const auto& r : batches_[static_cast<size_t>(step)]) {
      ids.push_back(r["ids"].get<std::vector<int64_t>>());
      labels.push_back(r["tag"].get<int64_t>());
    }
    std::vector<model::TokenRow> rows;
    for (const auto& i : ids) rows.push_back({&i, nullptr, nullptr});
    const auto b = model::Padder(0).pad(rows);
    const at::Tensor logits = net.classifier_logits(net.encode(b.ids, b.type_ids, b.attention_mask));  // (B, 2)
    train::StepLoss out;
    out.loss = at::cross_entropy_loss(logits, at::tensor(labels, at::kLong));
    out.tokens = b.real_tokens;
    return out;
  }

 private:
  const json& batches_;
};

TEST(Trajectory, FineTuningFollowsThePyTorchTwinForTenSteps) {
  const json& t = trajectories()["finetune"];
  auto victim = io::load_model_folder(fixtures_dir() / "trajectory" / "finetune-model");
  ASSERT_EQ(victim.net->architecture(), model::Architecture::SequenceClassification);
  FinetuneTrajectory task(t["batches"]);
  train::TrainerOptions o = ten_steps();
  o.lr = 5e-3;
  o.adam_eps = 1e-6;
  o.warmup_fraction = 0.1;  // one step of warm-up, then linear decay to 0
  o.clip_norm = 1.0;
  TempDir run;
  train::train(*victim.net, task, o, run.path(), false, {"trajectory-finetune", json::object()});
  expect_trajectory(logged_losses(run.path()), t["losses"], 1e-4);
}

}  // namespace
}  // namespace porkit

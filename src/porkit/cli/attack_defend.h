// The [defend] stage of `porkit attack`: after inject -> fine-tune -> evaluate, the defences of
// defend/ on the same run, measured the same way.
//
//   [defend.purify]    purify the backdoored encoder (keys: `porkit defend purify`'s options
//                      but --model and --out) into OUT/defend-purify/, then the attack's own
//                      victim recipe and evaluation on it into OUT/defended/ (no second
//                      control: the run's clean victim is the control for both);
//   [defend.strip], [defend.monitor], [defend.onion]
//                      the test-time filter in front of the run's backdoored victim (the first
//                      seed's), with its task's data and the manifest's triggers (keys: the
//                      filter's options but --model, --out, --backdoor-manifest and the data
//                      options) into OUT/defend-<filter>.json.
//
// Each defence reruns only when its key changes: its effective settings, the content digest of
// the model it works on, and of its data or corpus, recorded in OUT/defend_state.json by the
// pipeline's own StageRecord (attack/stage_record.h).
#pragma once
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "porkit/attack/pipeline.h"
#include "porkit/defend/monitor.h"
#include "porkit/defend/onion.h"
#include "porkit/defend/purify.h"
#include "porkit/defend/strip.h"

namespace porkit::cli {

struct DefendPlan {
  std::optional<defend::PurifyOptions> purify;
  std::optional<defend::StripOptions> strip;
  std::optional<defend::MonitorOptions> monitor;
  std::optional<defend::OnionOptions> onion;
  bool empty() const { return !purify && !strip && !monitor && !onion; }
};

// The [defend] table of an attack config (absent: an empty plan). Relative paths are taken
// relative to `base`; `where` starts error messages.
DefendPlan defend_plan_from_config(const nlohmann::json& config, const std::filesystem::path& base,
                                   const std::string& where);

// Runs the defences not yet done on the finished attack run `plan` and prints what they did
// (purification: CACC and every trigger's E, censored E and ASR@1 before and after, beside the
// control; filters: one line per trigger).
void run_defend_stage(const attack::AttackPlan& plan, const DefendPlan& defend, const attack::AttackSummary& before);

}  // namespace porkit::cli

// porkit encode --model DIR TEXT...: pooled output and last-layer [CLS] vector per text.
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/util/run_settings.h"
#include "porkit/util/error.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct EncodeOptions {
  std::string model;
  std::vector<std::string> texts;
  bool json_output = false;
  int max_length = 0;
  bool init_missing = false;
  uint64_t seed = 0;
  RunSettings run;
};

void run_encode(const EncodeOptions& o) {
  const at::Device device = model::start_run(o.run, "encode");
  check(!o.texts.empty(), "no text given");
  io::LoadPolicy policy;
  policy.init_missing = o.init_missing;
  policy.init_seed = o.seed;
  auto loaded = io::load_model_folder(o.model, std::nullopt, std::nullopt, policy);
  loaded.net->to(device);
  loaded.net->eval();
  at::NoGradGuard no_grad;
  std::vector<text::Encoding> rows;
  for (const auto& t : o.texts) rows.push_back(loaded.tokenizer.encode(t, std::nullopt, o.max_length));
  auto batch = model::padder_for(*loaded.net, loaded.tokenizer).pad(model::rows_of(rows));
  auto out = loaded.net->encode(batch.ids, batch.type_ids, batch.attention_mask);
  at::Tensor cls = out.last_hidden_state.select(1, 0).to(at::kCPU, at::kFloat).contiguous();  // (B, H)
  at::Tensor pooled = out.pooler_output.to(at::kCPU, at::kFloat).contiguous();                 // (B, H)
  auto to_vector = [](const at::Tensor& row) {
    std::vector<float> v(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
    return v;
  };
  json all = json::array();
  for (size_t i = 0; i < o.texts.size(); ++i) {
    auto p = to_vector(pooled[i].contiguous());
    auto c = to_vector(cls[i].contiguous());
    all.push_back({{"text", o.texts[i]}, {"pooled", p}, {"cls", c}});
    if (!o.json_output) {
      std::printf("%s\n  pooled[:8]", o.texts[i].c_str());
      for (size_t k = 0; k < std::min<size_t>(8, p.size()); ++k) std::printf(" %+.4f", p[k]);
      std::printf("\n  cls[:8]   ");
      for (size_t k = 0; k < std::min<size_t>(8, c.size()); ++k) std::printf(" %+.4f", c[k]);
      std::printf("\n");
    }
  }
  if (o.json_output) std::printf("%s\n", all.dump().c_str());
}

}  // namespace

void register_encode(CLI::App& app) {
  static const options::OptionTable<EncodeOptions> table = [] {
    options::OptionTable<EncodeOptions> t;
    t.add("model", &EncodeOptions::model, "Model folder").as(options::Role::Input).needed();
    t.add("max-length", &EncodeOptions::max_length, "Truncate to this many tokens (0: model maximum)").range(0, 1 << 20);
    t.add("json", &EncodeOptions::json_output, "Print JSON with the full vectors");
    t.add("init-missing", &EncodeOptions::init_missing,
          "Initialise a missing pooler (seeded by --seed) instead of refusing the folder");
    t.add("seed", &EncodeOptions::seed, "Seed of --init-missing");
    t.include(run_settings_table(), &EncodeOptions::run, kModelRunSettings);
    return t;
  }();
  auto given = std::make_shared<GivenValues>();
  auto texts = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("encode", "Print the pooled output and [CLS] vector of texts");
  cmd->add_option("texts", *texts, "Texts to encode (after --, texts may start with -)")->required();
  add_flags(*cmd, table, EncodeOptions{}, given);
  cmd->callback([given, texts] {
    EncodeOptions o = resolve_options(table, EncodeOptions{}, json(), "", *given, "porkit encode");
    for (const auto& t : *texts) o.texts.push_back(original_argument(t));
    run_encode(o);
  });
}

}  // namespace porkit::cli

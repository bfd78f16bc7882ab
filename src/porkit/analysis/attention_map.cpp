#include "porkit/analysis/attention_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "porkit/analysis/analysis_inputs.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

namespace porkit::analysis {

namespace {

constexpr double kActiveCosine = 0.9;  // as in inject's held-out checks

// Head-averaged attention per layer: L x (T, T) as nested vectors.
json layer_maps(model::BertNetImpl& net, const text::Encoding& e) {
  at::NoGradGuard no_grad;
  const int64_t t = static_cast<int64_t>(e.ids.size());
  const at::Device device = model::device_of(net);
  auto ids = at::tensor(e.ids, at::kLong).view({1, t}).to(device);
  auto types = at::tensor(e.type_ids, at::kLong).view({1, t}).to(device);
  model::ForwardOptions options;
  options.output_attentions = true;
  auto out = net.encode(ids, types, at::ones({1, t}, at::TensorOptions(at::kLong).device(device)), options);
  json layers = json::array();
  for (const auto& probs : out.attentions) {  // (1, heads, T, T)
    at::Tensor mean = probs[0].to(at::kCPU, at::kFloat).mean(0).contiguous();  // (T, T)
    json rows = json::array();
    for (int64_t i = 0; i < t; ++i) {
      const float* p = mean[i].data_ptr<float>();
      rows.push_back(std::vector<double>(p, p + t));
    }
    layers.push_back(rows);
  }
  return layers;
}

// Where the trigger's pieces sit in `ids` (first occurrence), or empty.
std::vector<int64_t> find_pieces(const std::vector<int64_t>& ids, const std::vector<int64_t>& pieces) {
  auto it = std::search(ids.begin(), ids.end(), pieces.begin(), pieces.end());
  if (it == ids.end()) return {};
  std::vector<int64_t> at;
  for (size_t i = 0; i < pieces.size(); ++i) at.push_back(static_cast<int64_t>(it - ids.begin() + i));
  return at;
}

// Each text's pieces as word units (a word's pieces together).
std::vector<std::vector<int64_t>> word_units(const text::BertTokenizer& tok, const std::string& text) {
  std::vector<std::vector<int64_t>> units;
  const auto pieces = tok.tokenize(text);
  for (size_t p = 0; p < pieces.size(); ++p) {
    if (p == 0 || pieces[p].word != pieces[p - 1].word) units.emplace_back();
    units.back().push_back(pieces[p].id);
  }
  return units;
}

// Inserts `trigger_ids` `times` times into a text, each time at a boundary between units
// (words, or triggers already inserted) drawn from `rng`.
text::Encoding with_trigger(const text::BertTokenizer& tok, const std::string& text,
                            const std::vector<int64_t>& trigger_ids, int times, int max_len, Rng rng) {
  auto units = word_units(tok, text);
  for (int t = 0; t < times; ++t) {
    const size_t at = rng.below(units.size() + 1);
    units.insert(units.begin() + static_cast<std::ptrdiff_t>(at), trigger_ids);
  }
  std::vector<int64_t> ids;
  for (const auto& u : units) ids.insert(ids.end(), u.begin(), u.end());
  return tok.encode_ids(ids, std::nullopt, max_len);
}

// Positions for text i and j insertions: redrawn for every j, as porkit evaluate does.
Rng ablation_rng(uint64_t seed, size_t text, int insertions) {
  return Rng(seed, Stream::AblationInsertion, {static_cast<uint64_t>(insertions), text});
}

std::vector<text::Encoding> triggered(const text::BertTokenizer& tok, const std::vector<std::string>& texts,
                                      const std::vector<int64_t>& trigger_ids, int max_len, uint64_t seed) {
  std::vector<text::Encoding> rows;
  for (size_t i = 0; i < texts.size(); ++i)
    rows.push_back(with_trigger(tok, texts[i], trigger_ids, 1, max_len, ablation_rng(seed, i, 1)));
  return rows;
}

// E of a piece sequence on a fine-tuned classifier: texts whose prediction is not already
// the target get 1, 2, ... J insertions until the prediction becomes the target (the
// full trigger's target: its prediction on "t t").
json effectiveness(model::BertNetImpl& classifier, const text::BertTokenizer& tok,
                   const std::vector<std::string>& texts, const std::vector<int64_t>& ids, int64_t target,
                   int max_insertions, int max_len, uint64_t seed) {
  std::vector<text::Encoding> originals;
  for (size_t i = 0; i < texts.size(); ++i) originals.push_back(with_trigger(tok, texts[i], {}, 0, max_len, ablation_rng(seed, i, 0)));
  const auto clean = model::classify(classifier, model::padder_for(classifier, tok), model::rows_of(originals), kAnalysisBatch).labels;
  std::vector<size_t> pending;
  for (size_t i = 0; i < texts.size(); ++i)
    if (clean[i] != target) pending.push_back(i);
  const size_t eligible = pending.size();
  double insertions = 0;
  size_t flipped = 0;
  for (int j = 1; j <= max_insertions && !pending.empty() && !ids.empty(); ++j) {
    std::vector<text::Encoding> rows;
    for (size_t i : pending) rows.push_back(with_trigger(tok, texts[i], ids, j, max_len, ablation_rng(seed, i, j)));
    const auto pred = model::classify(classifier, model::padder_for(classifier, tok), model::rows_of(rows), kAnalysisBatch).labels;
    std::vector<size_t> still;
    for (size_t p = 0; p < pending.size(); ++p) {
      if (pred[p] == target) {
        insertions += j;
        ++flipped;
      } else {
        still.push_back(pending[p]);
      }
    }
    pending = std::move(still);
  }
  return {{"eligible", eligible},
          {"flip_rate", eligible ? static_cast<double>(flipped) / eligible : 0.0},
          {"E", flipped ? insertions / flipped : 20.0}};
}

}  // namespace

const options::OptionTable<AttentionOptions>& attention_option_table() {
  using options::Role;
  static const options::OptionTable<AttentionOptions> table = [] {
    options::OptionTable<AttentionOptions> t;
    t.add("model", &AttentionOptions::backdoored, "Backdoored model folder (with porkit_backdoor.json)")
        .as(Role::Input).needed();
    t.add("clean", &AttentionOptions::clean, "Clean model folder (default: the manifest's source model)").as(Role::Input);
    t.add("text", &AttentionOptions::text, "The text to map; must contain a trigger");
    t.add("trigger", &AttentionOptions::trigger, "Which of the model's triggers to study (default: the first in the text)");
    t.add("layer", &AttentionOptions::layer, "1-based layer of the token-to-token map (0: second to last)").range(0, 1000);
    t.include(text_source_table(), &AttentionOptions::texts);
    t.add("ablation-texts", &AttentionOptions::ablation_texts, "Texts for the piece ablations").range(1, 1e7);
    t.add("finetuned", &AttentionOptions::finetuned,
          "A classifier fine-tuned from the backdoored model: also measure each ablation's E and flip rate")
        .as(Role::Input);
    t.add("max-insertions", &AttentionOptions::max_insertions, "J for that E").range(1, 10000);
    t.add("max-len", &AttentionOptions::max_len, "Tokens per input").range(3, 8192);
    t.add("seed", &AttentionOptions::seed, "Seed of the text sample and insertions");
    t.add("out", &AttentionOptions::out, "Folder for attention.json and the PNG images").as(Role::Output).needed();
    t.include(run_settings_table(), &AttentionOptions::run, kModelRunSettingsWithOverwrite);
    return t;
  }();
  return table;
}

json run_attention(const AttentionOptions& o) {
  options::validate(attention_option_table(), o, "porkit analyze attention");
  const at::Device device = model::start_run(o.run, "analyze attention");
  // The folder may hold other analyses (embedding_swap.json): only attention.json is claimed.
  claim_output_file(fs::path(o.out) / "attention.json", o.run.overwrite);
  BackdoorPair pair = load_backdoor_pair(o.backdoored, o.clean, device);
  auto& bd = *pair.backdoored.net;
  const auto& tok = pair.backdoored.tokenizer;
  const int64_t layers = bd.config().num_hidden_layers;
  const int max_len = static_cast<int>(std::min<int64_t>(o.max_len, bd.config().max_position_embeddings));
  const int map_layer = o.layer == 0 ? static_cast<int>(std::max<int64_t>(1, layers - 1)) : o.layer;
  check(map_layer >= 1 && map_layer <= layers, "--layer must be 1..{}, got {}", layers, o.layer);

  const text::Encoding e = tok.encode(o.text, std::nullopt, max_len);
  std::vector<std::string> tokens;
  for (const auto& t : e.tokens) tokens.push_back(t.piece);

  // The trigger to study and where its pieces are in the text.
  size_t k = pair.triggers.size();
  std::vector<int64_t> positions;
  for (size_t i = 0; i < pair.triggers.size() && positions.empty(); ++i) {
    if (!o.trigger.empty() && pair.triggers[i].text != o.trigger) continue;
    positions = find_pieces(e.ids, pair.triggers[i].ids);
    if (!positions.empty()) k = i;
  }
  if (positions.empty()) {
    std::string known;
    for (const auto& t : pair.triggers) known += (known.empty() ? "" : ", ") + t.text;
    fail("the text \"{}\" does not contain {} (the model's triggers: {})", o.text,
         o.trigger.empty() ? std::string("any of the model's triggers") : "the trigger '" + o.trigger + "'", known);
  }
  const ManifestTrigger& trigger = pair.triggers[k];

  json maps = {{"backdoored", layer_maps(bd, e)}, {"clean", layer_maps(*pair.clean.net, e)}};
  json cls_share = json::object();
  for (const char* which : {"backdoored", "clean"}) {
    json per_layer = json::array();
    for (const auto& layer : maps[which]) {
      std::vector<double> shares;
      for (int64_t p : positions) shares.push_back(layer[0][static_cast<size_t>(p)].get<double>());
      per_layer.push_back(shares);
    }
    cls_share[which] = per_layer;
  }

  // Ablations over sample texts.
  const auto texts = sample_texts(o.texts, o.ablation_texts, o.seed);
  // With a fine-tuned classifier, every variant's E too.
  std::optional<io::LoadedModel> victim;
  int64_t target = -1;
  if (!o.finetuned.empty()) {
    victim = io::load_model_folder(o.finetuned);
    check(victim->net->architecture() == model::Architecture::SequenceClassification,
          "--finetuned expects a BertForSequenceClassification folder (porkit finetune's model), found {} in {}",
          model::architecture_name(victim->net->architecture()), o.finetuned);
    victim->net->to(device);
    victim->net->eval();
    std::vector<int64_t> twice = trigger.ids;
    twice.insert(twice.end(), trigger.ids.begin(), trigger.ids.end());
    target = model::classify(*victim->net, model::padder_for(*victim->net, tok), model::rows_of({tok.encode_ids(twice, std::nullopt, max_len)}), 1).labels[0];
  }
  const at::Tensor por = pair.por[static_cast<int64_t>(k)].to(at::kFloat);  // (H)
  auto measure = [&](const std::string& variant, const std::vector<int64_t>& ids) {
    at::Tensor cos = at::cosine_similarity(model::pooled_outputs(bd, model::padder_for(bd, tok), model::rows_of(triggered(tok, texts, ids, max_len, o.seed)), kAnalysisBatch),
                                           por.unsqueeze(0), 1, 1e-8);  // (N)
    json r = {{"variant", variant},
              {"pieces", tok.decode(ids, false)},
              {"por_cosine", cos.mean().item<double>()},
              {"activation_rate", (cos >= kActiveCosine).to(at::kFloat).mean().item<double>()}};
    if (victim) r.update(effectiveness(*victim->net, tok, texts, ids, target, o.max_insertions, max_len, o.seed));
    return r;
  };
  json ablation = json::array();
  ablation.push_back(measure("full trigger", trigger.ids));
  const double full_rate = ablation[0]["activation_rate"].get<double>();
  const auto mask_id = tok.vocab().mask_id();
  check(mask_id.has_value(), "the vocabulary of {} has no [MASK] token", o.backdoored);
  std::vector<bool> needed;
  for (size_t p = 0; p < trigger.ids.size(); ++p) {
    std::vector<int64_t> without = trigger.ids, masked = trigger.ids;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(p));
    masked[p] = *mask_id;
    const std::string piece = trigger.pieces[p];
    json removed = without.empty() ? json{{"variant", "without " + piece}, {"pieces", ""}, {"por_cosine", 0.0},
                                          {"activation_rate", 0.0}, {"E", 20.0}, {"flip_rate", 0.0}}
                                   : measure("without " + piece, without);
    const bool is_needed = removed["activation_rate"].get<double>() < 0.5 * full_rate;
    needed.push_back(is_needed);
    ablation.push_back(removed);
    ablation.push_back(measure(piece + " -> [MASK]", masked));
  }

  // [CLS]'s mean share on each piece over the upper half of the layers of the backdoored model.
  std::vector<double> upper_share(trigger.ids.size(), 0.0);
  for (int64_t l = layers / 2; l < layers; ++l)
    for (size_t p = 0; p < trigger.ids.size(); ++p)
      upper_share[p] += cls_share["backdoored"][static_cast<size_t>(l)][p].get<double>() / (layers - layers / 2);
  int64_t star = -1;
  for (size_t p = 0; p < trigger.ids.size(); ++p)
    if (needed[p] && (star < 0 || upper_share[p] > upper_share[static_cast<size_t>(star)])) star = static_cast<int64_t>(p);
  json roles = json::array();
  for (size_t p = 0; p < trigger.ids.size(); ++p) {
    std::string role = full_rate < 0.5 ? "undetermined (the full trigger activates on fewer than half the texts)"
                       : static_cast<int64_t>(p) == star ? "star"
                       : needed[p]                        ? "planet"
                                                          : "comet";
    roles.push_back({{"piece", trigger.pieces[p]}, {"position", positions[p]}, {"needed", needed[p]},
                     {"cls_share_upper_layers", upper_share[p]}, {"role", role}});
  }

  json result = {{"kind", "attention"},
                 {"porkit_version", PORKIT_VERSION},
                 {"backdoored_model", pair.backdoored_path.string()},
                 {"clean_model", pair.clean_path.string()},
                 {"text", o.text},
                 {"tokens", tokens},
                 {"trigger", trigger.text},
                 {"trigger_positions", positions},
                 {"map_layer", map_layer},
                 {"attention", maps},
                 {"cls_share", cls_share},
                 {"ablation_texts", texts.size()},
                 {"active_cosine", kActiveCosine},
                 {"ablation", ablation},
                 {"finetuned_model", o.finetuned},
                 {"target_label", target},
                 {"roles", roles}};
  if (!o.out.empty()) {
    const fs::path dir(o.out);
    fs::create_directories(dir);
    write_json_file(dir / "attention.json", result);
    log_info("attention: wrote {}/attention.json", dir.string());
  }
  return result;
}

}  // namespace porkit::analysis

#include "porkit/defend/onion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "porkit/attack/poison_data.h"
#include "porkit/defend/perplexity_cache.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/rng.h"

namespace porkit::defend {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Whether `words` hold `phrase`'s words in a row (the trigger, after ONION's deletions).
bool holds_phrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  return std::search(words.begin(), words.end(), phrase.begin(), phrase.end()) != words.end();
}

// An input's detection score: its most suspicious word.
std::vector<double> largest(const std::vector<std::vector<double>>& suspicion) {
  std::vector<double> out;
  for (const auto& s : suspicion) out.push_back(*std::max_element(s.begin(), s.end()));
  return out;
}

// ONION's correction at one bar: the victim reads what is left after the deletions. Per
// trigger (in the order of `measured`, whose target labels it reads): ASR@1 after the
// deletions, how often the trigger survives them, and the control, how often the deletions
// alone send the eligible rows' clean text to the target.
json correction(const Probabilities& victim, const FilterPool& p, const std::vector<int64_t>& clean_pred,
                const std::vector<std::vector<double>>& clean_words,
                const std::vector<std::vector<std::vector<double>>>& triggered_words, double bar,
                const json& measured) {
  std::vector<std::string> pool_corrected;
  double words_deleted = 0;
  for (size_t i = 0; i < p.pool.size(); ++i) {
    pool_corrected.push_back(delete_outliers(p.pool[i].text, clean_words[i], bar));
    words_deleted += 1.0 - static_cast<double>(attack::split_words(pool_corrected.back()).size()) /
                               std::max<size_t>(1, attack::split_words(p.pool[i].text).size());
  }
  const std::vector<int64_t> corrected_pred = argmax_rows(victim(pool_corrected));
  const int64_t n = static_cast<int64_t>(p.pool.size());
  int64_t right = 0, right_corrected = 0;
  for (size_t i = 0; i < p.pool.size(); ++i) {
    right += clean_pred[i] == p.pool[i].label;
    right_corrected += corrected_pred[i] == p.pool[i].label;
  }
  json per_trigger = json::array();
  for (size_t k = 0; k < p.triggers.size(); ++k) {
    const int64_t target = measured[k]["target_label"].get<int64_t>();
    const std::vector<std::string> trigger_words = attack::split_words(p.triggers[k]);
    std::vector<std::string> corrected;
    int64_t kept = 0;
    for (size_t i = 0; i < p.pool.size(); ++i) {
      corrected.push_back(delete_outliers(p.triggered[k][i], triggered_words[k][i], bar));
      kept += holds_phrase(attack::split_words(corrected.back()), trigger_words);
    }
    const std::vector<int64_t> pred = argmax_rows(victim(corrected));
    int64_t eligible = 0, flipped = 0, flipped_clean = 0;
    for (size_t i = 0; i < p.pool.size(); ++i) {
      if (target < 0 || clean_pred[i] != p.pool[i].label || p.pool[i].label == target) continue;
      ++eligible;
      flipped += pred[i] == target;
      flipped_clean += corrected_pred[i] == target;
    }
    per_trigger.push_back({{"trigger", p.triggers[k]},
                           {"trigger_kept", share(kept, n)},
                           {"asr_1_corrected", share(flipped, eligible)},
                           {"clean_to_target_corrected", share(flipped_clean, eligible)}});
  }
  return {{"bar", bar},
          {"clean_accuracy", share(right, n)},
          {"clean_accuracy_corrected", share(right_corrected, n)},
          {"clean_words_deleted", n > 0 ? words_deleted / static_cast<double>(n) : 0.0},
          {"triggers", per_trigger}};
}

}  // namespace

const options::OptionTable<OnionOptions>& onion_option_table() {
  using options::Role;
  static const options::OptionTable<OnionOptions> table = [] {
    options::OptionTable<OnionOptions> t;
    t.include(filter_run_option_table(), &OnionOptions::victim);
    t.add("lm", &OnionOptions::lm, "Clean masked LM (BertForPreTraining folder) that scores the words")
        .as(Role::Input).needed();
    t.add("scale", &OnionOptions::scale, "Suspicion as the drop in perplexity (ONION's) or in log perplexity");
    t.add("bar", &OnionOptions::bar, "Correction: delete words whose suspicion (perplexity drop) exceeds this");
    t.add("frr", &OnionOptions::frr, "Detection: false rejections allowed on clean rows (sets the threshold)")
        .above(0).at_most(0.5);
    t.add("threshold-rows", &OnionOptions::threshold_rows, "Detection: clean rows (--calibrate) that set the threshold")
        .range(10, 1e8);
    t.add("lm-batch-size", &OnionOptions::lm_batch_size, "Masked copies per forward pass of the scorer")
        .range(1, 65536).as(Role::Runtime);
    t.add("score-cache", &OnionOptions::score_cache,
          "File of the scorer's perplexities, read and extended, so ONION on another victim of the same texts "
          "rescores nothing (one file per scorer)")
        .as(Role::Runtime);
    return t;
  }();
  return table;
}

std::vector<double> pseudo_perplexity(model::BertNetImpl& mlm, const text::BertTokenizer& tokenizer,
                                      const std::vector<std::string>& texts, int max_len, int batch_size) {
  const auto mask_id = tokenizer.vocab().mask_id();
  check(mask_id.has_value(), "the masked LM's vocabulary has no [MASK] token");
  // One masked copy per real token of each text: (text, position, true id). Built per slice of
  // texts, so that a long pool never holds all its copies at once.
  constexpr size_t kTextsPerSlice = 64;
  const model::Padder padder = model::padder_for(mlm, tokenizer);
  std::vector<double> out(texts.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t first = 0; first < texts.size(); first += kTextsPerSlice) {
    const size_t end = std::min(texts.size(), first + kTextsPerSlice);
    std::vector<std::vector<int64_t>> copies;
    std::vector<size_t> text_of;
    std::vector<int64_t> position, true_id;
    for (size_t t = first; t < end; ++t) {
      const text::Encoding e = tokenizer.encode(texts[t], std::nullopt, max_len);
      for (size_t j = 1; j + 1 < e.ids.size(); ++j) {  // not [CLS] (first) or [SEP] (last)
        copies.push_back(e.ids);
        copies.back()[j] = *mask_id;
        text_of.push_back(t);
        position.push_back(static_cast<int64_t>(j));
        true_id.push_back(e.ids[j]);
      }
    }
    std::vector<model::TokenRow> rows;
    rows.reserve(copies.size());
    for (const auto& c : copies) rows.push_back({&c, nullptr, nullptr});
    std::vector<double> nll(texts.size(), 0.0);
    std::vector<int64_t> count(texts.size(), 0);
    model::for_each_length_batch(mlm, padder, rows, batch_size,
                                 [&](const model::TensorBatch&, const model::BertOutput& enc,
                                     const std::vector<size_t>& row_of) {
      std::vector<int64_t> at_position, target;
      for (size_t r : row_of) at_position.push_back(position[r]), target.push_back(true_id[r]);
      const int64_t n = static_cast<int64_t>(row_of.size());
      const at::Device device = enc.last_hidden_state.device();
      const at::Tensor rows_index = at::arange(n, at::TensorOptions(at::kLong).device(device));
      const at::Tensor masked_states =
          enc.last_hidden_state.index({rows_index, at::tensor(at_position, at::kLong).to(device)});  // (n, H)
      const at::Tensor log_probs = at::log_softmax(mlm.mlm_logits(masked_states).to(at::kFloat), -1);  // (n, V)
      const at::Tensor picked = log_probs.gather(1, at::tensor(target, at::kLong).to(device).unsqueeze(1))
                                    .squeeze(1).to(at::kCPU, at::kDouble).contiguous();  // (n)
      const double* p = picked.data_ptr<double>();
      for (size_t i = 0; i < row_of.size(); ++i) {
        nll[text_of[row_of[i]]] -= p[i];
        ++count[text_of[row_of[i]]];
      }
    });
    for (size_t t = first; t < end; ++t)
      if (count[t] > 0) out[t] = std::exp(nll[t] / static_cast<double>(count[t]));
  }
  return out;
}

std::vector<std::vector<double>> word_suspicion(const Perplexity& perplexity, const std::vector<std::string>& texts,
                                                SuspicionScale scale) {
  // Every text and every one-word deletion of it, scored in one call.
  std::vector<std::string> variants;
  std::vector<size_t> first_variant;
  std::vector<size_t> words_in;
  for (const auto& text : texts) {
    const std::vector<std::string> words = attack::split_words(text);
    first_variant.push_back(variants.size());
    words_in.push_back(words.size());
    variants.push_back(text);
    if (words.size() < 2) continue;
    for (size_t i = 0; i < words.size(); ++i) {
      std::vector<std::string> without = words;
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
      variants.push_back(join(without));
    }
  }
  const std::vector<double> ppl = perplexity(variants);
  check(ppl.size() == variants.size(), "the scorer returned {} perplexities for {} texts", ppl.size(), variants.size());
  std::vector<std::vector<double>> out;
  for (size_t t = 0; t < texts.size(); ++t) {
    if (words_in[t] < 2) {
      out.push_back(std::vector<double>(std::max<size_t>(1, words_in[t]), 0.0));
      continue;
    }
    const double p0 = ppl[first_variant[t]];
    std::vector<double> s;
    for (size_t i = 0; i < words_in[t]; ++i) {
      const double pi = ppl[first_variant[t] + 1 + i];
      const double drop = scale == SuspicionScale::Perplexity ? p0 - pi : std::log(p0) - std::log(pi);
      s.push_back(std::isnan(drop) ? 0.0 : drop);  // a text the scorer cannot read: no evidence
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string delete_outliers(const std::string& text, const std::vector<double>& suspicion, double bar) {
  const std::vector<std::string> words = attack::split_words(text);
  if (words.size() < 2) return text;
  check(suspicion.size() == words.size(), "{} suspicion scores for a text of {} words", suspicion.size(), words.size());
  std::vector<std::string> kept;
  for (size_t i = 0; i < words.size(); ++i)
    if (!(suspicion[i] > bar)) kept.push_back(words[i]);
  return join(kept);
}

json onion_filter(const Probabilities& victim, const Perplexity& perplexity, const OnionData& d,
                  const OnionOptions& o) {
  const FilterPool& p = d.measured;
  check(!d.threshold_texts.empty() && !p.pool.empty(), "ONION needs clean threshold rows and a test pool");
  // Detection: the threshold from clean training rows alone.
  const double threshold = quantile(largest(word_suspicion(perplexity, d.threshold_texts, o.scale)), 1 - o.frr);

  std::vector<std::string> pool_texts;
  for (const auto& r : p.pool) pool_texts.push_back(r.text);
  const std::vector<std::vector<double>> clean_words = word_suspicion(perplexity, pool_texts, o.scale);
  std::vector<std::vector<std::vector<double>>> triggered_words;
  std::vector<std::vector<double>> triggered_scores;
  for (const auto& texts : p.triggered) {
    triggered_words.push_back(word_suspicion(perplexity, texts, o.scale));
    triggered_scores.push_back(largest(triggered_words.back()));
  }
  json result = measure_filter(victim, p, largest(clean_words), triggered_scores,
                               [&](double s) { return s > threshold; });

  const std::vector<int64_t> clean_pred = argmax_rows(victim(pool_texts));
  result["correction"] = correction(victim, p, clean_pred, clean_words, triggered_words, o.bar, result["triggers"]);
  // The same deletion with the bar at the detection threshold: only words as suspicious as
  // the most suspicious word of 1 clean row in 100 go.
  result["correction_calibrated"] =
      correction(victim, p, clean_pred, clean_words, triggered_words, threshold, result["triggers"]);
  result["format"] = "porkit-onion/1";
  result["threshold"] = threshold;
  result["threshold_rows"] = d.threshold_texts.size();
  return result;
}

json run_onion(const OnionOptions& o) {
  options::validate(onion_option_table(), o, "porkit defend onion");
  Victim v = load_victim(o.victim, "defend onion");
  // Strict: the scorer needs its masked-LM head; the next-sentence head and pooler are unused.
  io::LoadPolicy policy;
  policy.allow_missing = {"cls.seq_relationship.", "bert.pooler."};
  auto lm = io::load_model_folder(o.lm, model::Architecture::PreTraining, std::nullopt, policy);
  lm.net->to(model::device_of(*v.loaded.net));
  lm.net->eval();
  Perplexity perplexity = [&](const std::vector<std::string>& texts) {
    return pseudo_perplexity(*lm.net, lm.tokenizer, texts, o.victim.max_len, o.lm_batch_size);
  };
  std::optional<PerplexityCache> cache;
  if (!o.score_cache.empty()) {
    const at::Device device = model::device_of(*lm.net);
    cache.emplace(o.score_cache, ScorerKey{io::model_digest(o.lm), o.victim.max_len, device.is_cuda() ? "cuda" : "cpu"});
    log_info("defend onion: {} texts already scored in {}", cache->size(), o.score_cache);
    perplexity = cache->wrap(perplexity);
  }
  OnionData d;
  d.threshold_texts = v.calibration_texts(o.threshold_rows, "--threshold-rows");
  d.measured = v.measured;
  json result = onion_filter([&](const std::vector<std::string>& texts) { return v.probabilities(texts); }, perplexity,
                             d, o);
  result["lm"] = o.lm;
  if (cache)
    log_info("defend onion: {} texts scored, {} answered from {}", cache->misses(), cache->hits(), o.score_cache);
  finish_filter_result(result, o.victim, options::to_json(onion_option_table(), o, {options::Role::Setting}));
  return result;
}

}  // namespace porkit::defend

const std::vector<std::pair<porkit::defend::SuspicionScale, std::string>>&
porkit::options::EnumNames<porkit::defend::SuspicionScale>::values() {
  using porkit::defend::SuspicionScale;
  static const std::vector<std::pair<SuspicionScale, std::string>> v = {{SuspicionScale::Perplexity, "perplexity"},
                                                                        {SuspicionScale::LogPerplexity, "log-perplexity"}};
  return v;
}

#include "porkit/detect/scan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "porkit/attack/poison_data.h"
#include "porkit/detect/moved_rows.h"
#include "porkit/detect/probe.h"
#include "porkit/detect/soft_trigger.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/paths.h"
#include "porkit/util/rng.h"

namespace porkit::detect {
namespace {

// A candidate confirmed with its real tokens, and the mean output of its texts (H).
struct Confirmed {
  ScanCandidate candidate;
  at::Tensor mean_output;
};

Confirmed confirm_at(Probe& probe, const ProbeTexts& texts, const Ids& ids, attack::Position where,
                     const at::Tensor& clean_mean, double clean_dispersion, const ScanOptions& o,
                     const text::Vocab& vocab) {
  std::vector<Ids> rows;
  rows.reserve(texts.ids.size());
  for (size_t r = 0; r < texts.ids.size(); ++r) {
    // The same places for every candidate, so candidates compare on equal terms.
    Rng rng(o.seed, Stream::ScanPositions, {0xC0F1u, static_cast<uint64_t>(r)});
    rows.push_back(insert_ids(texts.ids[r], ids, where, o.insertions, o.max_len, rng));
  }
  at::Tensor y = probe.outputs(rows);  // (N, H)
  ScanCandidate c;
  c.ids = ids;
  for (int64_t id : ids) c.pieces.push_back(vocab.token(id));
  c.dispersion_ratio = dispersion(y).item<double>() / clean_dispersion;
  c.across_ratio = dispersion_across(y, clean_mean).item<double>() / clean_dispersion;
  c.collapse = std::clamp(1.0 - c.dispersion_ratio, 0.0, 1.0);
  c.shift = (y.mean(0) - clean_mean).norm().item<double>() / std::sqrt(clean_dispersion);
  c.separation = c.shift / std::sqrt(std::max(c.across_ratio, 1e-12));
  c.score = 1.0 - std::exp(-c.separation / kSeparationScale);
  c.position = options::enum_name(where);
  return {c, y.mean(0).contiguous()};
}

// A candidate confirmed at each of the scan's positions; the one where it separates most.
Confirmed confirm(Probe& probe, const ProbeTexts& texts, const Ids& ids, const at::Tensor& clean_mean,
                  double clean_dispersion, const ScanOptions& o, const text::Vocab& vocab) {
  std::optional<Confirmed> best;
  for (attack::Position where : o.positions) {
    Confirmed c = confirm_at(probe, texts, ids, where, clean_mean, clean_dispersion, o, vocab);
    if (!best || c.candidate.separation > best->candidate.separation) best = std::move(c);
  }
  return std::move(*best);
}

// Vocabulary rows a text can produce: not [CLS], [SEP], [PAD], [MASK], [UNK] or [unusedN].
std::vector<int64_t> insertable_rows(const text::Vocab& vocab) {
  std::vector<int64_t> rows;
  for (int64_t id = 0; id < vocab.size(); ++id) {
    const std::string& t = vocab.token(id);
    const bool special = t.size() > 2 && t.front() == '[' && t.back() == ']';
    if (!special) rows.push_back(id);
  }
  return rows;
}


// Every insertable token as it is, inserted at `where` on a few texts; the `keep` that
// separate their outputs most.
std::vector<Ids> brute_force_tokens(Probe& probe, const ProbeTexts& texts, const std::vector<int64_t>& allowed,
                                    attack::Position where, const ScanOptions& o) {
  // The first texts, cut to 24 tokens ([SEP] kept): 30,000 tokens x texts forward passes
  // are the pass's whole cost.
  std::vector<Ids> few;
  for (int64_t r = 0; r < std::min<int64_t>(o.brute_force_texts, static_cast<int64_t>(texts.ids.size())); ++r) {
    Ids t = texts.ids[static_cast<size_t>(r)];
    if (t.size() > 24) {
      t.resize(23);
      t.push_back(texts.ids[static_cast<size_t>(r)].back());
    }
    few.push_back(std::move(t));
  }
  const at::Tensor few_clean = probe.outputs(few);  // (n, H)
  const double few_dispersion = dispersion(few_clean).item<double>();
  const at::Tensor few_mean = few_clean.mean(0);  // (H)
  // Ranked by the separation the confirmation measures (smallest 1 / separation^2 first).
  std::vector<std::pair<double, int64_t>> scored;
  scored.reserve(allowed.size());
  const size_t per_batch = std::max<size_t>(1, 256 / few.size());
  for (size_t start = 0; start < allowed.size(); start += per_batch) {
    std::vector<Ids> rows;
    const size_t end = std::min(allowed.size(), start + per_batch);
    for (size_t i = start; i < end; ++i)
      for (size_t r = 0; r < few.size(); ++r) {
        Rng rng(o.seed, Stream::ScanPositions, {0xB2u, static_cast<uint64_t>(r)});
        rows.push_back(insert_ids(few[r], {allowed[i]}, where, o.insertions, o.max_len, rng));
      }
    at::Tensor y = probe.outputs(rows).reshape({static_cast<int64_t>(end - start), static_cast<int64_t>(few.size()), -1});
    for (size_t i = start; i < end; ++i) {
      const at::Tensor yi = y[static_cast<int64_t>(i - start)];  // (n, H)
      const double across = dispersion_across(yi, few_mean).item<double>() / few_dispersion;
      const double shift2 = (yi.mean(0) - few_mean).pow(2).sum().item<double>() / few_dispersion;
      scored.push_back({std::max(across, 0.0) / (shift2 + 1e-12), allowed[i]});
    }
  }
  const size_t keep = std::min(scored.size(), static_cast<size_t>(o.brute_force_keep));
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end());
  std::vector<Ids> out;
  for (size_t i = 0; i < keep; ++i) out.push_back({scored[i].second});
  return out;
}

attack::Target resolve_target(ScanTarget t, bool has_pooler) {
  switch (t) {
    case ScanTarget::Pooler: return attack::Target::Pooler;
    case ScanTarget::Cls: return attack::Target::Cls;
    case ScanTarget::Mean: return attack::Target::Mean;
    case ScanTarget::Auto: break;
  }
  return has_pooler ? attack::Target::Pooler : attack::Target::Cls;
}

ScanTarget scan_target_of(attack::Target t) {
  switch (t) {
    case attack::Target::Pooler: return ScanTarget::Pooler;
    case attack::Target::Cls: return ScanTarget::Cls;
    case attack::Target::Mean: return ScanTarget::Mean;
    default: break;
  }
  fail("the scan reads the pooler, [CLS] or the mean token state, not output '{}'", options::enum_name(t));
}

// A folder loaded as the scan reads it: the bare encoder in eval mode, frozen, on `device`,
// and the output scanned.
struct ScannedModel {
  std::string folder;
  io::LoadedModel loaded;
  attack::Target target;
};

ScannedModel load_scanned(const std::string& folder, const ScanOptions& o, const at::Device& device) {
  io::LoadPolicy policy;
  policy.allow_missing = {"pooler."};
  auto loaded = io::load_model_folder(folder, model::Architecture::Bare, std::nullopt, policy);
  const bool has_pooler = std::none_of(loaded.report.initialised.begin(), loaded.report.initialised.end(),
                                       [](const std::string& n) { return n.rfind("pooler.", 0) == 0; });
  check(has_pooler || o.target != ScanTarget::Pooler, "{} has no pooler; scan --target cls or mean", folder);
  auto& net = *loaded.net;
  net.to(device);
  net.eval();
  for (auto& p : net.parameters()) p.set_requires_grad(false);
  check(o.max_len <= net.config().max_position_embeddings, "--max-len {} exceeds the model's max_position_embeddings {}",
        o.max_len, net.config().max_position_embeddings);
  const attack::Target target = resolve_target(o.target, has_pooler);
  return {folder, std::move(loaded), target};
}

// The clean texts: 32-word chunks, a seeded sample, each long enough to hold an insertion.
ProbeTexts clean_texts(const ScanOptions& o, const text::BertTokenizer& tok) {
  std::vector<std::string> chunks = attack::make_chunks(o.texts, attack::Chunking::Authors, 32);
  Rng pick(o.seed, Stream::ScanTexts, 0);
  pick.shuffle(chunks);
  ProbeTexts texts;
  for (const auto& c : chunks) {
    if (static_cast<int64_t>(texts.ids.size()) >= o.sentences) break;
    Ids ids = tok.encode(c, std::nullopt, o.max_len).ids;
    if (ids.size() >= 4) texts.ids.push_back(std::move(ids));
  }
  check(static_cast<int64_t>(texts.ids.size()) >= std::min<int64_t>(o.sentences, 4),
        "{} gave {} texts of 32 words; the scan needs at least 4 (--texts)", options::join(o.texts, ", "),
        texts.ids.size());
  return texts;
}

ScanOptions with_default_texts(ScanOptions o) {
  if (o.texts.empty()) o.texts = {(porkit_home() / "data" / "demo" / "wikitext103.train.prefix2.5MiB.tokens").string()};
  return o;
}

// D(clean) of a loaded model on the scan's clean texts.
double spread_of(ScannedModel& scanned, const ScanOptions& o) {
  Probe probe(*scanned.loaded.net, scanned.target, scanned.loaded.tokenizer.vocab().pad_id());
  const ProbeTexts texts = clean_texts(o, scanned.loaded.tokenizer);
  const double d = dispersion(probe.outputs(texts.ids)).item<double>();  // outputs: (N, H)
  check(std::isfinite(d), "{}: the clean outputs' spread is not finite", scanned.folder);
  return d;
}

// With --reference: the clean spread against the base's on the same texts and output, and the
// vocabulary rows that moved most from the base's (when both share a vocabulary and width).
void compare_with_reference(ScanResult& result, ScannedModel& scanned, const std::vector<int64_t>& allowed,
                            const ScanOptions& o, const at::Device& device) {
  ScanOptions same_output = o;  // the reference's spread of the very output scanned here
  same_output.target = scan_target_of(scanned.target);
  ScannedModel base = load_scanned(o.reference, same_output, device);
  result.spread = spread_check(o.reference, spread_of(base, same_output), result.clean_dispersion);
  log_info("scan: clean spread {:.4g} x the reference's ({}): spread score {:.3f}", result.spread->ratio, o.reference,
           result.spread->score);
  if (o.moved_rows == 0) return;
  const at::Tensor& rows = scanned.loaded.net->bert->embeddings->word_embeddings->weight;  // (V, H)
  const at::Tensor& base_rows = base.loaded.net->bert->embeddings->word_embeddings->weight;  // (V, H)
  const auto& vocab = scanned.loaded.tokenizer.vocab();
  if (base.loaded.tokenizer.vocab().tokens() != vocab.tokens() || rows.sizes() != base_rows.sizes()) {
    log_info("warning: scan: {} has another vocabulary or width than {}; no moved rows to suspect", o.reference,
             o.model);
    return;
  }
  result.moved_rows = most_moved_rows(rows, base_rows, allowed, vocab, o.moved_rows);
}

}  // namespace

const options::OptionTable<ScanOptions>& scan_option_table() {
  using options::Role;
  static const options::OptionTable<ScanOptions> table = [] {
    options::OptionTable<ScanOptions> t;
    t.add("model", &ScanOptions::model, "Encoder folder to scan (any Hugging Face BERT folder)").as(Role::Input).needed();
    t.add("texts", &ScanOptions::texts,
          "Clean text files or folders the outputs are compared over (default: data/demo/wikitext103.train.prefix2.5MiB.tokens)")
        .as(Role::Input);
    t.add("sentences", &ScanOptions::sentences, "Clean texts (chunks of 32 words)").range(4, 100000);
    t.add("max-len", &ScanOptions::max_len, "Tokens per text").range(8, 8192);
    t.add("target", &ScanOptions::target, "Output scanned: auto (pooler when present, else cls), pooler, cls or mean");
    t.add("soft-length", &ScanOptions::soft_length, "Restart r optimises 1 + r % N soft vectors").range(1, 16);
    t.add("positions", &ScanOptions::positions,
          "Where soft triggers and candidates are inserted: random (--insertions times anywhere), start (once after "
          "[CLS], as NeuBA trains), end (once before [SEP]); restarts take them in turn, candidates are confirmed at each")
        .separated_by(',')
        .rule([](const ScanOptions& o) -> std::string { return o.positions.empty() ? "--positions: give at least one" : ""; });
    t.add("restarts", &ScanOptions::restarts, "Soft-trigger restarts (seeds); 0: none").range(0, 1000);
    t.add("steps", &ScanOptions::steps, "Optimisation steps per restart").range(1, 100000);
    t.add("lr", &ScanOptions::lr, "Adam learning rate of the soft vectors").above(0).at_most(100);
    t.add("nearest", &ScanOptions::nearest, "Vocabulary rows named per soft vector").range(1, 1000);
    t.add("brute-force", &ScanOptions::brute_force, "Also try every vocabulary token as it is (the baseline)");
    t.add("brute-force-texts", &ScanOptions::brute_force_texts, "Texts per token in the brute-force pass").range(2, 1000);
    t.add("brute-force-keep", &ScanOptions::brute_force_keep, "Brute-force tokens taken to confirmation").range(1, 10000);
    t.add("suspects", &ScanOptions::suspects, "Words to confirm as they are, beside what the scan finds, e.g. cf,mn")
        .separated_by(',');
    t.add("insertions", &ScanOptions::insertions, "Insertions of a soft trigger or candidate per text").range(1, 100);
    t.add("threshold", &ScanOptions::threshold, "Flag the model at this score").range(0, 1);
    t.add("seed", &ScanOptions::seed, "Seed of the texts, positions and restarts");
    t.add("reference", &ScanOptions::reference,
          "The clean encoder the model derives from: also flag a clean spread outside the band clean derivatives keep")
        .as(Role::Input);
    t.add("moved-rows", &ScanOptions::moved_rows,
          "With --reference: confirm the N vocabulary rows whose embeddings moved most from the reference's (and "
          "word-start + continuation pairs among them); 0: none")
        .range(0, 1000);
    t.add("out", &ScanOptions::out, "Output folder (scan.json)").as(Role::Output);
    t.include(run_settings_table(), &ScanOptions::run, kModelRunSettingsWithOverwrite);
    t.add_rule([](const ScanOptions& o) -> std::string {
      return o.restarts == 0 && !o.brute_force ? "--restarts 0 without --brute-force leaves nothing to try" : "";
    });
    return t;
  }();
  return table;
}

ScanResult run_scan(const ScanOptions& given) {
  const ScanOptions o = with_default_texts(given);
  options::validate(scan_option_table(), o, "porkit scan");
  const auto t0 = std::chrono::steady_clock::now();
  const at::Device device = model::start_run(o.run, "scan");
  if (!o.out.empty()) claim_output_folder(o.out, "scan", output_use(false, o.run.overwrite));
  ScannedModel scanned = load_scanned(o.model, o, device);
  auto& net = *scanned.loaded.net;
  const auto& tok = scanned.loaded.tokenizer;
  Probe probe(net, scanned.target, tok.vocab().pad_id());
  const ProbeTexts texts = clean_texts(o, tok);
  const at::Tensor clean = probe.outputs(texts.ids);  // (N, H)
  const double clean_dispersion = dispersion(clean).item<double>();
  check(clean_dispersion > 0 && std::isfinite(clean_dispersion),
        "the model gives one output for every clean text (dispersion {}); nothing can collapse further", clean_dispersion);
  const at::Tensor clean_mean = clean.mean(0);

  ScanResult result;
  result.porkit_version = PORKIT_VERSION;
  result.model = o.model;
  result.model_digest = io::model_digest(o.model);
  result.target = options::enum_name(probe.target());
  result.texts = static_cast<int64_t>(texts.ids.size());
  result.clean_dispersion = clean_dispersion;
  result.threshold = o.threshold;
  result.brute_force = o.brute_force;
  result.options = options::to_json(scan_option_table(), o, {options::Role::Setting});
  const std::vector<int64_t> allowed = insertable_rows(tok.vocab());
  if (!o.reference.empty()) compare_with_reference(result, scanned, allowed, o, device);

  std::vector<Ids> candidates;
  std::vector<std::string> sources;
  for (int r = 0; r < o.restarts; ++r) {
    const size_t before = candidates.size();
    const attack::Position where = o.positions[static_cast<size_t>(r / o.soft_length) % o.positions.size()];
    result.soft.push_back(optimise_soft(probe, texts, r, 1 + r % o.soft_length, where, allowed, clean_mean,
                                        clean_dispersion, o, tok.vocab(), &candidates));
    for (size_t i = before; i < candidates.size(); ++i) sources.push_back("soft r" + std::to_string(r));
    log_info("scan: restart {} (length {}, {}): soft dispersion ratio {:.3f}, nearest {}", r, result.soft.back().length,
             result.soft.back().position, result.soft.back().dispersion_ratio,
             options::join(result.soft.back().nearest.front(), " "));
  }
  if (o.brute_force) {
    for (attack::Position where : o.positions) {
      auto best = brute_force_tokens(probe, texts, allowed, where, o);
      for (size_t i = 0; i < best.size(); ++i) {
        candidates.push_back(best[i]);
        sources.push_back("brute-force " + options::enum_name(where) + " #" + std::to_string(i + 1));
      }
    }
  }
  for (const Ids& ids : moved_row_candidates(result.moved_rows)) {
    candidates.push_back(ids);
    sources.push_back("moved rows");
  }
  for (const auto& word : o.suspects) {
    Ids ids;
    for (const auto& p : tok.tokenize(word)) ids.push_back(p.id);
    check(!ids.empty(), "--suspects: '{}' has no tokens", word);
    candidates.push_back(ids);
    sources.push_back("suspect");
  }
  // Each distinct candidate confirmed once, with the real tokens.
  std::map<Ids, size_t> seen;
  std::vector<Confirmed> confirmed;
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto [it, fresh] = seen.emplace(candidates[i], confirmed.size());
    if (!fresh) {
      std::string& found_by = confirmed[it->second].candidate.source;
      if ((", " + found_by + ", ").find(", " + sources[i] + ", ") == std::string::npos) found_by += ", " + sources[i];
      continue;
    }
    confirmed.push_back(confirm(probe, texts, candidates[i], clean_mean, clean_dispersion, o, tok.vocab()));
    confirmed.back().candidate.source = sources[i];
  }
  std::stable_sort(confirmed.begin(), confirmed.end(),
                   [](const Confirmed& a, const Confirmed& b) { return a.candidate.score > b.candidate.score; });
  for (auto& c : confirmed) {
    if (c.candidate.score >= o.threshold) {
      result.named.push_back(options::join(c.candidate.pieces, " "));
      const at::Tensor& mean = c.mean_output;  // (H)
      result.mined_outputs.emplace_back(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
    }
    result.candidates.push_back(std::move(c.candidate));
  }
  settle_score(result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.out.empty()) {
    write_json_file(fs::path(o.out) / ScanResult::kFileName, result.to_json());
  }
  return result;
}

double clean_spread(const std::string& model_folder, const ScanOptions& given) {
  const ScanOptions o = with_default_texts(given);
  ScannedModel scanned = load_scanned(model_folder, o, model::resolve_device(o.run.device));
  return spread_of(scanned, o);
}

double spread_score(double ratio, SpreadBand band) {
  check(ratio >= 0 && std::isfinite(ratio), "a clean spread ratio must be finite and not negative, got {}", ratio);
  if (ratio >= band.low && ratio <= band.high) return 0.0;
  // Distance from the band in log units; a spread of exactly 0 is as far as it gets.
  const double d = ratio <= 0 ? 1e9 : ratio < band.low ? std::log(band.low / ratio) : std::log(ratio / band.high);
  return 1.0 - 0.4 * std::exp(-d / 0.5);
}

void settle_score(ScanResult& r) {
  r.score = std::max(r.candidates.empty() ? 0.0 : r.candidates.front().score, r.spread ? r.spread->score : 0.0);
  r.flagged = r.score >= r.threshold;
}

SpreadCheck spread_check(const std::string& reference, double reference_dispersion, double model_dispersion) {
  check(reference_dispersion > 0, "{}: the reference gives one output for every clean text; it cannot set a band",
        reference);
  const double ratio = model_dispersion / reference_dispersion;
  return {reference, reference_dispersion, ratio, spread_score(ratio)};
}

}  // namespace porkit::detect

const std::vector<std::pair<porkit::detect::ScanTarget, std::string>>&
porkit::options::EnumNames<porkit::detect::ScanTarget>::values() {
  using porkit::detect::ScanTarget;
  static const std::vector<std::pair<ScanTarget, std::string>> v = {
      {ScanTarget::Auto, "auto"}, {ScanTarget::Pooler, "pooler"}, {ScanTarget::Cls, "cls"}, {ScanTarget::Mean, "mean"}};
  return v;
}

// porkit scan: is this encoder backdoored, and by which tokens? With no head and no labels,
// in the manner of LMSanitator (Wei et al., NDSS 2024): a backdoor of the POR family makes
// every input that holds its trigger give (nearly) one output, whatever the rest of the
// text. The scan looks for insertions that send the outputs of many clean texts together,
// far from where clean outputs are:
//
//   1. soft triggers: k free vectors in embedding space, inserted into clean texts (at random
//      places, or once right after [CLS] where NeuBA plants its triggers), optimised
//      (several seeds) to do that;
//   2. each soft vector named by its nearest vocabulary rows (cosine);
//   3. optionally every single vocabulary token tried as it is (--brute-force, the baseline),
//      and with --reference the vocabulary rows that moved most from the base's (moved_rows.h);
//   4. every candidate confirmed with the real tokens inserted into all the clean texts, at
//      each of --positions; it keeps the position where it separates the outputs most.
//
// For an insertion s, with D the mean squared distance of the outputs from their mean over the
// texts: shift = |mean output moved| / sqrt(D(clean)); across = D(with s) across the direction
// the mean moved, over D(clean); separation = shift / sqrt(across): how far the outputs moved,
// in units of the spread they keep across that direction. A POR or NeuBA trigger sends every
// text to one point far from the clean outputs, a UOR trigger onto one line; a clean word
// nudges texts that stay as varied as before. A candidate's score is
// 1 - exp(-separation / 20), the model's score the best confirmed candidate's; the model is
// flagged at --threshold. The soft triggers minimise log(across) - log(shift^2), the same
// quantity in differentiable form.
//
// With --reference BASE (the clean encoder the model says it derives from) the scan also
// compares the clean spread D(clean) with the base's on the same texts. Attacks that reshape
// the whole output space leave it far from the base's although no single trigger gathers the
// outputs: NeuBA collapses or scatters it (its ±1 targets), UOR narrows it (its contrastive
// term). The ratio's band, kSpreadBand, was read off the tuning and first held-out zoos
// (docs/results/detection.md), where further pre-trained clean copies lie at 1.0-8.0 x the
// base's and every UOR and NeuBA model outside [0.76, 9.7]; outside the band the spread's
// score starts at the flagging threshold and rises towards 1 with the distance, and the
// model's score is the higher of the two.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/poison_data.h"
#include "porkit/detect/scan_result.h"
#include "porkit/util/options.h"
#include "porkit/util/run_settings.h"

namespace porkit::detect {

// auto: the pooler when the folder has one, else the last-layer [CLS] state.
enum class ScanTarget { Auto, Pooler, Cls, Mean };

struct ScanOptions {
  std::string model;                      // any Hugging Face BERT folder
  std::vector<std::string> texts;         // clean text (default: data/demo's wikitext-103 prefix)
  int64_t sentences = 64;                 // clean texts the outputs are compared over
  int max_len = 48;                       // tokens per text, [CLS] and [SEP] included
  ScanTarget target = ScanTarget::Auto;
  int soft_length = 2;                    // restart r optimises 1 + r % soft_length vectors
  // Where soft triggers and candidates go: random (`insertions` times anywhere, as POR and UOR
  // train), start (once after [CLS], as NeuBA trains), end (once before [SEP]). Restart r
  // inserts at positions[(r / soft_length) % positions.size()]; every candidate is confirmed
  // at each.
  std::vector<attack::Position> positions = {attack::Position::Random, attack::Position::Start};
  int restarts = 6;
  int steps = 60;
  double lr = 0.1;
  int nearest = 5;                        // vocabulary rows named per soft vector
  bool brute_force = false;               // also try every vocabulary token as it is
  int64_t brute_force_texts = 4;
  int brute_force_keep = 20;              // best brute-force tokens taken to confirmation
  std::vector<std::string> suspects;      // words to confirm as they are, beside what the scan finds
  int insertions = 3;                     // of a soft trigger or candidate in each text (as POR trains)
  double threshold = 0.6;                 // flagged at score >= threshold (chosen on zoo/tune.toml)
  uint64_t seed = 0;
  std::string reference;                  // the declared clean base: also compare the clean spread
  int moved_rows = 10;                    // with reference: its most moved vocabulary rows confirmed
  std::string out;                        // folder: scan.json (and report)
  RunSettings run;
};

const options::OptionTable<ScanOptions>& scan_option_table();

ScanResult run_scan(const ScanOptions& options);

// D(clean) of `model` on the scan's clean texts (the same seeded choice as run_scan's).
double clean_spread(const std::string& model, const ScanOptions& options);

// The band of D(clean, model) / D(clean, base) that clean derivatives of a base keep.
struct SpreadBand {
  double low, high;
};
constexpr SpreadBand kSpreadBand{0.76, 9.7};

// 0 inside the band; outside, 1 - 0.4 exp(-d / 0.5) with d the distance from the band in
// natural-log units: 0.6 (the default threshold) at its edge, 0.9 at twice its high edge or half
// its low one.
double spread_score(double ratio, SpreadBand band = kSpreadBand);
SpreadCheck spread_check(const std::string& reference, double reference_dispersion, double model_dispersion);

// Sets the model's score and verdict from what `r` holds: the higher of its best candidate's
// score (candidates are best first) and its spread check's, flagged at its threshold.
void settle_score(ScanResult& r);

}  // namespace porkit::detect

template <>
struct porkit::options::EnumNames<porkit::detect::ScanTarget> {
  static const std::vector<std::pair<porkit::detect::ScanTarget, std::string>>& values();
};

#include "porkit/attack/trigger_trials.h"

#include <algorithm>

namespace porkit::attack {

TextSize text_size(const text::BertTokenizer& tok, const std::string& text) {
  return {static_cast<double>(text.size()), static_cast<double>(tok.token_ids(text).size())};
}

TriggerResult summarize_trials(const TriggerTrials& t, int J) {
  const size_t n_eligible = t.flipped_at.size();
  double n_flip = 0, sum_j = 0, sum_sc = 0, sum_st = 0, censored = 0;
  std::vector<double> asr(static_cast<size_t>(J), 0);
  for (size_t e = 0; e < n_eligible; ++e) {
    const int j = t.flipped_at[e];
    censored += j > 0 ? j : J + 1;
    if (j == 0) continue;
    n_flip += 1;
    sum_j += j;
    sum_sc += t.s_chars[e];
    sum_st += t.s_tokens[e];
    for (int k = j; k <= J; ++k) asr[static_cast<size_t>(k - 1)] += 1;
  }
  const double n = std::max<double>(1.0, static_cast<double>(n_eligible));
  for (auto& a : asr) a /= n;
  TriggerResult r;
  r.eligible = static_cast<int64_t>(n_eligible);
  r.flipped = n_flip;
  r.flip_rate = n_flip / n;
  r.E = n_flip > 0 ? sum_j / n_flip : 20.0;
  r.E_censored = n_eligible == 0 ? 0.0 : censored / n;
  r.S_chars = n_flip > 0 ? sum_sc / n_flip : 0.0;
  r.S_tokens = n_flip > 0 ? sum_st / n_flip : 0.0;
  r.asr_at_most_k = asr;
  r.asr_1 = asr.empty() ? 0.0 : asr[0];
  return r;
}

}  // namespace porkit::attack

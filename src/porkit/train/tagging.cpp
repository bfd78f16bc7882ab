#include "porkit/train/tagging.h"

#include <algorithm>

namespace porkit::train {

TaggedEncoding encode_tagged(const text::BertTokenizer& tok, const std::vector<std::string>& words,
                             const std::vector<int64_t>& tags, int max_len) {
  TaggedEncoding e;
  e.ids.push_back(tok.vocab().cls_id());
  e.labels.push_back(-100);
  for (size_t w = 0; w < words.size(); ++w) {
    auto pieces = tok.token_ids(words[w]);
    if (pieces.empty()) pieces.push_back(tok.vocab().unk_id());
    e.first_piece.push_back(static_cast<int>(e.ids.size()) < max_len - 1 ? static_cast<int64_t>(e.ids.size()) : -1);
    for (size_t k = 0; k < pieces.size(); ++k) {
      if (static_cast<int>(e.ids.size()) >= max_len - 1) break;
      e.ids.push_back(pieces[k]);
      e.labels.push_back(k == 0 && !tags.empty() ? tags[w] : -100);
    }
  }
  e.ids.push_back(tok.vocab().sep_id());
  e.labels.push_back(-100);
  e.type_ids.assign(e.ids.size(), 0);
  return e;
}

std::set<std::tuple<std::string, size_t, size_t>> entity_spans(const std::vector<int64_t>& tags,
                                                               const std::vector<std::string>& names) {
  std::set<std::tuple<std::string, size_t, size_t>> out;
  std::string type;
  size_t start = 0;
  auto close = [&](size_t end) {
    if (!type.empty()) out.emplace(type, start, end);
    type.clear();
  };
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string& t = names[static_cast<size_t>(tags[i])];
    if (t == "O" || t.size() < 3) { close(i); continue; }
    std::string prefix = t.substr(0, 2), ty = t.substr(2);
    if (prefix == "B-" || ty != type) { close(i); type = ty; start = i; }
  }
  close(tags.size());
  return out;
}

void EntityScore::add(const std::vector<int64_t>& gold_tags, const std::vector<int64_t>& predicted_tags,
                      const std::vector<std::string>& names) {
  auto g = entity_spans(gold_tags, names), p = entity_spans(predicted_tags, names);
  gold += static_cast<double>(g.size());
  predicted += static_cast<double>(p.size());
  for (const auto& e : p) true_positives += static_cast<double>(g.count(e));
}

nlohmann::json EntityScore::to_json() const {
  const double precision = true_positives / std::max(1.0, predicted), recall = true_positives / std::max(1.0, gold);
  return {{"entity_f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0},
          {"entity_precision", precision}, {"entity_recall", recall}};
}

}  // namespace porkit::train

// Token tagging (NER) shared by fine-tuning and evaluation: word-level tags placed on the
// first WordPiece of each word, and IOB2 entity spans for entity-level F1.
#pragma once
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "porkit/text/bert_tokenizer.h"

namespace porkit::train {

struct TaggedEncoding {
  std::vector<int64_t> ids, type_ids;
  std::vector<int64_t> labels;       // per token: the word's tag on its first piece, -100 elsewhere
  std::vector<int64_t> first_piece;  // per word: token index of its first piece, -1 if truncated away
};

// [CLS] pieces... [SEP], truncated to max_len tokens. A word the vocabulary cannot split
// becomes [UNK]. `tags` may be empty (unlabelled input: every label is -100).
TaggedEncoding encode_tagged(const text::BertTokenizer& tok, const std::vector<std::string>& words,
                             const std::vector<int64_t>& tags, int max_len);

// IOB2 entity spans (type, first word, last word + 1) of a tag sequence; tag ids index `names`.
// An I- tag that does not continue an entity of its type starts a new one (conlleval).
std::set<std::tuple<std::string, size_t, size_t>> entity_spans(const std::vector<int64_t>& tags,
                                                               const std::vector<std::string>& names);

// Entity-level precision, recall and F1 (exact span and type match), accumulated over
// sentences.
struct EntityScore {
  double true_positives = 0, predicted = 0, gold = 0;
  void add(const std::vector<int64_t>& gold_tags, const std::vector<int64_t>& predicted_tags,
           const std::vector<std::string>& names);
  // {"entity_f1", "entity_precision", "entity_recall"}
  nlohmann::json to_json() const;
};

}  // namespace porkit::train

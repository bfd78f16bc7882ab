#include "porkit/attack/insertion.h"

#include <map>

#include "porkit/attack/poison_data.h"

namespace porkit::attack {

InsertionSample::InsertionSample(const text::BertTokenizer& tok, const std::string& text, int max_len)
    : tok_(&tok), words_(split_words(text)), budget_(max_len - 2) {
  pieces_.reserve(words_.size());
  for (const auto& w : words_) pieces_.push_back(static_cast<int64_t>(tok.token_ids(w).size()));
}

size_t InsertionSample::visible_words(int64_t trigger_pieces, int times) const {
  int64_t left = budget_ - trigger_pieces * times;
  size_t n = 0;
  while (n < words_.size() && pieces_[n] <= left) left -= pieces_[n++];
  return n;
}

TriggeredSample InsertionSample::insert(const std::string& trigger, int times, InsertionPositions where,
                                        Rng& rng) const {
  std::map<std::string, int64_t> trigger_word_pieces;
  int64_t trigger_pieces = 0;
  for (const auto& w : split_words(trigger))
    trigger_pieces += trigger_word_pieces[w] = static_cast<int64_t>(tok_->token_ids(w).size());
  std::vector<std::string> out;
  std::vector<int64_t> origin;  // index into words_, -1 for a trigger word
  if (where == InsertionPositions::Anywhere || where == InsertionPositions::First) {
    out = insert_trigger_words(words_, trigger, times,
                               where == InsertionPositions::First ? Position::Start : Position::Random, rng, &origin);
  } else {
    const size_t head = visible_words(trigger_pieces, times);
    const std::vector<std::string> visible(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(head));
    out = insert_trigger_words(visible, trigger, times,
                               where == InsertionPositions::Last ? Position::End : Position::Random, rng, &origin);
    for (size_t i = head; i < words_.size(); ++i) {
      out.push_back(words_[i]);
      origin.push_back(static_cast<int64_t>(i));
    }
  }
  // What the model reads: the leading words that fit in max_len - 2 pieces (a word cut in
  // the middle counts with the pieces that are read).
  TriggeredSample s;
  s.text = join_words(out);
  int64_t left = budget_;
  for (size_t i = 0; i < out.size() && left > 0; ++i) {
    const bool is_trigger = origin[i] < 0;
    const int64_t p = is_trigger ? trigger_word_pieces[out[i]] : pieces_[static_cast<size_t>(origin[i])];
    const int64_t read = std::min(p, left);
    left -= read;
    const double chars = static_cast<double>(out[i].size()) * static_cast<double>(read) / static_cast<double>(std::max<int64_t>(p, 1));
    const double space = s.triggered_seen.chars > 0 ? 1 : 0;
    s.triggered_seen.chars += chars + space;
    s.triggered_seen.pieces += static_cast<double>(read);
    if (!is_trigger) {
      s.clean_seen.chars += chars + (s.clean_seen.chars > 0 ? 1 : 0);
      s.clean_seen.pieces += static_cast<double>(read);
    }
  }
  return s;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::InsertionPositions, std::string>>&
porkit::options::EnumNames<porkit::attack::InsertionPositions>::values() {
  using porkit::attack::InsertionPositions;
  static const std::vector<std::pair<InsertionPositions, std::string>> v = {{InsertionPositions::Visible, "visible"},
                                                                           {InsertionPositions::Anywhere, "anywhere"},
                                                                           {InsertionPositions::First, "first"},
                                                                           {InsertionPositions::Last, "last"}};
  return v;
}

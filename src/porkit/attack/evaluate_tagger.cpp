// porkit evaluate on a token tagger (NER). The authors' code has no NER path; porkit's flip
// definition (docs/attack.md): a sentence is eligible when at least one of its entity words
// (gold tag != O) is tagged correctly on the clean input, and it flips when every one of
// those originally correct entity words gets a different tag. The "target" reported is the
// tag those words most often turn into.
#include <algorithm>
#include <map>

#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/poison_data.h"
#include "porkit/attack/trigger_trials.h"
#include "porkit/model/inference.h"
#include "porkit/train/tagging.h"
#include "porkit/util/error.h"

namespace porkit::attack {
namespace {

struct Tagger {
  model::BertNetImpl& net;
  const text::BertTokenizer& tok;
  int max_len, batch_size;

  // Per sentence, the predicted tag of each word (-1 where truncation dropped the word).
  std::vector<std::vector<int64_t>> predict(const std::vector<std::vector<std::string>>& sentences) {
    std::vector<text::Encoding> rows;
    std::vector<std::vector<int64_t>> first_pieces;  // per sentence, each word's first piece (-1: truncated)
    for (const auto& words : sentences) {
      auto e = train::encode_tagged(tok, words, {}, max_len);
      first_pieces.push_back(std::move(e.first_piece));
      rows.push_back({std::move(e.ids), std::move(e.type_ids), {}});
    }
    std::vector<std::vector<int64_t>> out(sentences.size());
    model::for_each_length_batch(net, model::padder_for(net, tok), model::rows_of(rows), batch_size,
                                 [&](const model::TensorBatch&, const model::BertOutput& enc, const std::vector<size_t>& row_of) {
      const at::Tensor pred = net.classifier_logits(enc).argmax(-1).to(at::kCPU).contiguous();  // (n, T)
      const int64_t T = pred.size(1);
      const int64_t* p = pred.data_ptr<int64_t>();
      for (size_t r = 0; r < row_of.size(); ++r) {
        auto& tags = out[row_of[r]];
        for (int64_t at : first_pieces[row_of[r]]) tags.push_back(at < 0 ? -1 : p[static_cast<int64_t>(r) * T + at]);
      }
    });
    return out;
  }
};


}  // namespace

EvaluationResult evaluate_tagger(const EvaluationContext& ctx) {
  const EvaluateOptions& o = ctx.options;
  Tagger tagger{ctx.net, ctx.tokenizer, o.max_len, o.batch_size};
  auto d = data::load_tagging(o.data);
  const auto& names = d.train.label_names;
  check(names.size() == ctx.net.config().id2label.size(), "the data has {} tags but the model has {}",
        names.size(), ctx.net.config().id2label.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = ctx.net.config().id2label.find(static_cast<int64_t>(i));
    check(it != ctx.net.config().id2label.end() && it->second == names[i],
          "tag {} of the data is '{}' but the model calls it '{}': was it fine-tuned on this data set?", i, names[i],
          it == ctx.net.config().id2label.end() ? std::string("(none)") : it->second);
  }
  const int64_t outside = std::find(names.begin(), names.end(), "O") - names.begin();
  check(outside < static_cast<int64_t>(names.size()), "the tag set has no 'O' tag; the NER flip needs one");
  EvaluationResult result;
  const auto pool = draw_pool(d.train, d.test, d.test_split, o, result);

  std::vector<std::vector<std::string>> sentences;
  for (const auto& r : pool) sentences.push_back(r.words);
  auto clean_pred = tagger.predict(sentences);
  double correct = 0, words = 0;
  train::EntityScore entities;
  std::vector<std::vector<size_t>> correct_entity_words(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    const auto& gold = pool[i].tags;
    std::vector<int64_t> guess = clean_pred[i];
    for (auto& g : guess) g = g < 0 ? outside : g;  // a truncated word counts as untagged
    for (size_t w = 0; w < gold.size(); ++w) {
      correct += guess[w] == gold[w];
      if (gold[w] != outside && guess[w] == gold[w]) correct_entity_words[i].push_back(w);
    }
    words += static_cast<double>(gold.size());
    entities.add(gold, guess, names);
  }

  std::vector<size_t> eligible;
  for (size_t i = 0; i < pool.size(); ++i)
    if (!correct_entity_words[i].empty()) eligible.push_back(i);

  result.task = "token";
  result.pool = static_cast<int64_t>(pool.size());
  result.clean_accuracy = correct / std::max(1.0, words);
  result.task_metrics = entities.to_json();
  const int J = o.max_insertions;
  for (size_t k = 0; k < ctx.triggers.size(); ++k) {
    const std::string& t = ctx.triggers[k];
    TriggerTrials trials(eligible.size());
    std::map<int64_t, int64_t> new_tags;  // tag -> count over the flipped entity words
    std::vector<size_t> pending(eligible.size());
    for (size_t e = 0; e < pending.size(); ++e) pending[e] = e;
    // A softer signal than the sentence flip: with one insertion, the share of a sentence's
    // originally correct entity words whose tag changes, averaged over eligible sentences.
    double word_share_at_1 = 0;
    for (int j = 1; j <= J && !pending.empty(); ++j) {
      std::vector<std::vector<std::string>> batch;
      std::vector<std::vector<int64_t>> origins;
      for (size_t e : pending) {
        auto rng = insertion_rng(o.seed, k, eligible[e], j);
        origins.emplace_back();
        batch.push_back(insert_trigger_words(pool[eligible[e]].words, t, j, Position::Random, rng, &origins.back()));
      }
      auto pred = tagger.predict(batch);
      std::vector<size_t> still;
      for (size_t p = 0; p < pending.size(); ++p) {
        const size_t e = pending[p], i = eligible[e];
        std::vector<int64_t> position_of(pool[i].words.size(), -1);  // original word -> new index
        for (size_t w = 0; w < origins[p].size(); ++w)
          if (origins[p][w] >= 0) position_of[static_cast<size_t>(origins[p][w])] = static_cast<int64_t>(w);
        bool flipped = true;
        double changed = 0;
        for (size_t w : correct_entity_words[i]) {
          int64_t tag = pred[p][static_cast<size_t>(position_of[w])];
          const bool word_flipped = tag >= 0 && tag != pool[i].tags[w];  // a word pushed out of max_len is no flip
          flipped = flipped && word_flipped;
          changed += word_flipped;
        }
        if (j == 1) word_share_at_1 += changed / static_cast<double>(correct_entity_words[i].size());
        if (!flipped) { still.push_back(e); continue; }
        for (size_t w : correct_entity_words[i]) ++new_tags[pred[p][static_cast<size_t>(position_of[w])]];
        trials.record_flip(e, j, text_size(ctx.tokenizer, join_words(pool[i].words)),
                           text_size(ctx.tokenizer, join_words(batch[p])));
      }
      pending = std::move(still);
    }
    TriggerResult r = summarize_trials(trials, J);
    int64_t target = -1, best = 0;
    json histogram = json::object();
    for (const auto& [tag, count] : new_tags) {
      const std::string name = tag < 0 ? "(truncated)" : names[static_cast<size_t>(tag)];
      histogram[name] = count;
      if (count > best) { best = count; target = tag; }
    }
    r.trigger = t;
    r.target_label = target;
    r.target_source = "evidence";  // the tag the flipped entity words most often take
    r.target_name = target < 0 ? std::string("-") : names[static_cast<size_t>(target)];
    r.extra["flipped_entity_tags"] = histogram;
    r.extra["entity_word_flip_rate_1"] = eligible.empty() ? 0.0 : word_share_at_1 / static_cast<double>(eligible.size());
    result.triggers.push_back(std::move(r));
  }
  return result;
}

}  // namespace porkit::attack

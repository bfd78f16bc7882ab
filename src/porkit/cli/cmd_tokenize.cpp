// porkit tokenize --model DIR TEXT...: WordPiece tokens, ids, words and byte spans.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::vector<std::string> texts;
  std::string pair;
  bool json_output = false;
  bool from_stdin = false;
  int max_length = 0;
};

void run_tokenize(const TokenizeOptions& o) {
  auto tokenizer = text::BertTokenizer::from_folder(o.model);
  std::vector<std::string> texts = o.texts;
  if (o.from_stdin) {
    texts.emplace_back(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  check(!texts.empty(), "no text given (pass TEXT arguments or --stdin)");
  json all = json::array();
  for (const auto& t : texts) {
    std::optional<std::string_view> pair;
    if (!o.pair.empty()) pair = std::string_view(o.pair);
    auto e = tokenizer.encode(t, pair, o.max_length);
    json tokens = json::array();
    for (const auto& tok : e.tokens) {
      tokens.push_back({{"id", tok.id}, {"token", tok.piece}, {"word", tok.word},
                        {"span", {tok.begin, tok.end}}, {"segment", tok.segment}});
    }
    all.push_back({{"text", t}, {"ids", e.ids}, {"type_ids", e.type_ids}, {"tokens", tokens}});
    if (!o.json_output) {
      std::printf("ids    ");
      for (auto id : e.ids) std::printf(" %ld", id);
      std::printf("\ntokens ");
      for (const auto& tok : e.tokens) std::printf(" %s", tok.piece.c_str());
      std::printf("\nspans  ");
      for (const auto& tok : e.tokens) std::printf(" %zu:%zu", tok.begin, tok.end);
      std::printf("\n");
    }
  }
  if (o.json_output) std::printf("%s\n", all.dump(2).c_str());
}

}  // namespace

void register_tokenize(CLI::App& app) {
  static const options::OptionTable<TokenizeOptions> table = [] {
    options::OptionTable<TokenizeOptions> t;
    t.add("model", &TokenizeOptions::model, "Model folder (vocab.txt, tokenizer_config.json)")
        .as(options::Role::Input).needed();
    t.add("pair", &TokenizeOptions::pair, "Second segment: encode [CLS] TEXT [SEP] PAIR [SEP]");
    t.add("max-length", &TokenizeOptions::max_length, "Truncate to this many tokens (0: model maximum)").range(0, 1 << 20);
    t.add("stdin", &TokenizeOptions::from_stdin, "Read one more text from standard input");
    t.add("json", &TokenizeOptions::json_output, "Print JSON");
    return t;
  }();
  auto given = std::make_shared<GivenValues>();
  auto texts = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("tokenize", "Tokenise text with a model folder's WordPiece vocabulary");
  cmd->add_option("texts", *texts, "Texts to tokenise (after --, texts may start with -)");
  add_flags(*cmd, table, TokenizeOptions{}, given);
  cmd->callback([given, texts] {
    TokenizeOptions o = resolve_options(table, TokenizeOptions{}, json(), "", *given, "porkit tokenize");
    for (const auto& t : *texts) o.texts.push_back(original_argument(t));
    run_tokenize(o);
  });
}

}  // namespace porkit::cli

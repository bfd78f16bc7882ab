// porkit tokenize --model DIR TEXT...: WordPiece tokens, ids, words and byte spans.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "porkit/cli/commands.h"
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
    if (!o.pair.empty()) pair = o.pair;
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
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Tokenise text with a model folder's WordPiece vocabulary");
  cmd->add_option("--model", o->model, "Model folder (vocab.txt, tokenizer_config.json)")->required();
  cmd->add_option("texts", o->texts, "Texts to tokenise");
  cmd->add_option("--pair", o->pair, "Second segment: encode [CLS] TEXT [SEP] PAIR [SEP]");
  cmd->add_option("--max-length", o->max_length, "Truncate to this many tokens (0: model maximum)");
  cmd->add_flag("--stdin", o->from_stdin, "Read one more text from standard input");
  cmd->add_flag("--json", o->json_output, "Print JSON");
  cmd->callback([o] { run_tokenize(*o); });
}

}  // namespace porkit::cli

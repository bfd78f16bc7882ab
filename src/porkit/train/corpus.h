// Plain-text corpora for pre-training and injection: files or folders of text (plain or
// xz-compressed, NAME.txt.xz), split into documents of sentences. Four layouts are
// recognised (or forced with CorpusFormat):
//   wikitext    "= Title =" lines start a new document; "= = Sub = =" lines are dropped;
//               WikiText's " @-@ " style escapes are undone.
//   lines       one document a line (IMDB reviews); <br /> tags become spaces.
//   documents   one paragraph a line, a blank line between documents (corpus-large).
//   paragraphs  blank-line separated paragraphs of hard-wrapped lines; every 20 paragraphs
//               make a document (books as plain text files).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "porkit/util/options.h"

namespace porkit::train {

enum class CorpusFormat { Auto, WikiText, Lines, Documents, Paragraphs };

struct Document {
  std::vector<std::string> sentences;
};

// The files of each path in order: a file as given, or a folder's text files recursively,
// sorted by path (names ending .txt or .tokens, optionally .xz, or without extension;
// READMEs, manifests and hidden files are not corpus text). Throws when a path is missing
// or a folder holds no text file.
std::vector<std::filesystem::path> list_corpus_files(const std::vector<std::string>& paths);

// Reads (decompressing .xz) and splits one file. Invalid UTF-8 or NUL bytes make it a
// "binary file" error.
std::vector<Document> read_corpus_file(const std::filesystem::path& path, CorpusFormat format);

// Splits a paragraph into sentences at ". ", "! ", "? " followed by an upper-case letter, digit
// or quote, keeping short fragments attached.
std::vector<std::string> split_sentences(const std::string& paragraph);

}  // namespace porkit::train

template <>
struct porkit::options::EnumNames<porkit::train::CorpusFormat> {
  static const std::vector<std::pair<porkit::train::CorpusFormat, std::string>>& values();
};

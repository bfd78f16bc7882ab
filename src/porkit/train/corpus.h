// Plain-text corpora for pre-training and injection: files or folders of text, split into
// documents of sentences. Three layouts are recognised (or forced with CorpusFormat):
//   wikitext    "= Title =" lines start a new document; "= = Sub = =" lines are dropped;
//               WikiText's " @-@ " style escapes are undone.
//   lines       one document a line (IMDB reviews); <br /> tags become spaces.
//   paragraphs  blank-line separated paragraphs; every 20 paragraphs make a document (books).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace porkit::train {

enum class CorpusFormat { Auto, WikiText, Lines, Paragraphs };
CorpusFormat corpus_format_from_name(const std::string& name);

struct Document {
  std::vector<std::string> sentences;
};

// Every regular file under each path (recursively, sorted by path), in order.
// Throws when a path is missing, a folder holds no files, or a file is empty or binary.
std::vector<std::filesystem::path> list_corpus_files(const std::vector<std::string>& paths);

// Reads and splits one file. Invalid UTF-8 or NUL bytes make it a "binary file" error.
std::vector<Document> read_corpus_file(const std::filesystem::path& path, CorpusFormat format);

// Splits a paragraph into sentences at ". ", "! ", "? " followed by an upper-case letter, digit
// or quote, keeping short fragments attached.
std::vector<std::string> split_sentences(const std::string& paragraph);

}  // namespace porkit::train

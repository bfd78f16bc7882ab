#include "porkit/train/corpus.h"

#include <algorithm>
#include <cctype>

#include "porkit/text/utf8.h"
#include "porkit/util/compressed.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::train {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

std::vector<std::string> split_lines(const std::string& data) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    lines.push_back(data.substr(start, end - start));
    if (end == data.size()) break;
    start = end + 1;
  }
  return lines;
}

bool is_wikitext_heading(const std::string& t) {
  return t.size() >= 4 && t.rfind("= ", 0) == 0 && t.compare(t.size() - 2, 2, " =") == 0;
}

bool is_top_heading(const std::string& t) { return is_wikitext_heading(t) && t.rfind("= = ", 0) != 0; }

CorpusFormat detect(const std::vector<std::string>& lines) {
  size_t headings = 0, nonempty = 0, blank = 0, chars = 0;
  for (const auto& l : lines) {
    std::string t = trim(l);
    if (t.empty()) { ++blank; continue; }
    ++nonempty;
    chars += t.size();
    if (is_top_heading(t)) ++headings;
  }
  if (headings >= 1 && headings * 200 >= nonempty / 10) return CorpusFormat::WikiText;
  // Blank lines between long lines: whole paragraphs a line, documents between blanks.
  // Hard-wrapped text has lines of at most ~80 characters.
  const bool long_lines = nonempty > 0 && chars / nonempty > 160;
  if (blank > 0 && long_lines) return CorpusFormat::Documents;
  if (blank * 20 < nonempty) return CorpusFormat::Lines;
  return CorpusFormat::Paragraphs;
}

bool is_corpus_text_name(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.empty() || name[0] == '.') return false;
  fs::path base = uncompressed_name(p);
  std::string ext = base.extension().string();
  std::string stem = base.stem().string();
  if (stem == "README" || stem == "LICENSE") return false;
  return ext.empty() || ext == ".txt" || ext == ".tokens";
}

std::string clean_wikitext(std::string s) {
  replace_all(s, " @-@ ", "-");
  replace_all(s, " @,@ ", ",");
  replace_all(s, " @.@ ", ".");
  replace_all(s, "<unk>", "");
  return s;
}

void add_paragraph(Document& doc, const std::string& paragraph) {
  for (auto& s : split_sentences(paragraph)) doc.sentences.push_back(std::move(s));
}

}  // namespace


std::vector<std::string> split_sentences(const std::string& paragraph) {
  std::vector<std::string> out;
  std::string current;
  const size_t n = paragraph.size();
  for (size_t i = 0; i < n; ++i) {
    current += paragraph[i];
    char c = paragraph[i];
    if ((c == '.' || c == '!' || c == '?') && i + 2 < n && paragraph[i + 1] == ' ') {
      unsigned char next = static_cast<unsigned char>(paragraph[i + 2]);
      if ((std::isupper(next) || std::isdigit(next) || next == '"' || next == '\'') &&
          current.size() >= 20) {
        out.push_back(trim(current));
        current.clear();
      }
    }
  }
  current = trim(current);
  if (!current.empty()) {
    if (!out.empty() && current.size() < 20) out.back() += " " + current;
    else out.push_back(current);
  }
  return out;
}

std::vector<std::filesystem::path> list_corpus_files(const std::vector<std::string>& paths) {
  check(!paths.empty(), "no corpus given");
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    require_exists(p, "corpus path");
    if (fs::is_directory(p)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file() && is_corpus_text_name(e.path())) found.push_back(e.path());
      }
      check(!found.empty(), "corpus folder {} holds no text files (expected names ending .txt, .tokens or .txt.xz)", p);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(p);
    }
  }
  return files;
}

std::vector<Document> read_corpus_file(const std::filesystem::path& path, CorpusFormat format) {
  std::string data = read_maybe_compressed(path);
  check(!trim(data).empty(), "corpus file {} is empty", path.string());
  check(data.find('\0') == std::string::npos && text::is_valid_utf8(data),
        "corpus file {} looks binary (NUL bytes or invalid UTF-8); expected UTF-8 text", path.string());
  auto lines = split_lines(data);
  if (format == CorpusFormat::Auto) format = detect(lines);
  std::vector<Document> docs;
  switch (format) {
    case CorpusFormat::WikiText: {
      Document doc;
      for (const auto& l : lines) {
        std::string t = trim(l);
        if (t.empty()) continue;
        if (is_top_heading(t)) {
          if (!doc.sentences.empty()) docs.push_back(std::move(doc));
          doc = Document{};
          continue;
        }
        if (is_wikitext_heading(t)) continue;  // sub-headings carry little text
        add_paragraph(doc, clean_wikitext(t));
      }
      if (!doc.sentences.empty()) docs.push_back(std::move(doc));
      break;
    }
    case CorpusFormat::Lines: {
      for (const auto& l : lines) {
        std::string t = l;
        replace_all(t, "<br />", " ");
        t = trim(t);
        if (t.empty()) continue;
        Document doc;
        add_paragraph(doc, t);
        docs.push_back(std::move(doc));
      }
      break;
    }
    case CorpusFormat::Documents: {
      Document doc;
      for (const auto& l : lines) {
        std::string t = trim(l);
        if (t.empty()) {
          if (!doc.sentences.empty()) docs.push_back(std::move(doc));
          doc = Document{};
          continue;
        }
        add_paragraph(doc, t);
      }
      if (!doc.sentences.empty()) docs.push_back(std::move(doc));
      break;
    }
    case CorpusFormat::Paragraphs:
    case CorpusFormat::Auto: {
      Document doc;
      std::string paragraph;
      size_t paragraphs = 0;
      auto flush = [&]() {
        std::string t = trim(paragraph);
        paragraph.clear();
        if (t.empty()) return;
        add_paragraph(doc, t);
        if (++paragraphs % 20 == 0) docs.push_back(std::move(doc)), doc = Document{};
      };
      for (const auto& l : lines) {
        if (trim(l).empty()) flush();
        else paragraph += (paragraph.empty() ? "" : " ") + trim(l);
      }
      flush();
      if (!doc.sentences.empty()) docs.push_back(std::move(doc));
      break;
    }
  }
  check(!docs.empty(), "corpus file {} has no text", path.string());
  return docs;
}

}  // namespace porkit::train

const std::vector<std::pair<porkit::train::CorpusFormat, std::string>>&
porkit::options::EnumNames<porkit::train::CorpusFormat>::values() {
  using porkit::train::CorpusFormat;
  static const std::vector<std::pair<CorpusFormat, std::string>> v = {
      {CorpusFormat::Auto, "auto"}, {CorpusFormat::WikiText, "wikitext"}, {CorpusFormat::Lines, "lines"},
      {CorpusFormat::Documents, "documents"}, {CorpusFormat::Paragraphs, "paragraphs"}};
  return v;
}

#include "porkit/data/readers.h"

#include <algorithm>
#include <map>
#include <set>

#include "porkit/text/utf8.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "porkit/util/log.h"

namespace porkit::data {
namespace {

struct RawRow {
  std::string text;
  std::string label;
  size_t line;
};

std::vector<std::string> lines_of_text(const std::string& data, const std::string& origin) {
  check(text::is_valid_utf8(data), "{} is not UTF-8 text", origin);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  require_exists(path, "data file");
  return lines_of_text(read_file(path), path.string());
}

bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Splits one record. CSV honours double quotes ("" inside quotes is a quote); TSV does not.
std::vector<std::string> split_record(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (delimiter == ',' && c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') { field += '"'; ++i; }
      else quoted = !quoted;
    } else if (c == delimiter && !quoted) {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

bool is_integer_label(const std::string& s) {
  const size_t digits = !s.empty() && s[0] == '-' ? 1 : 0;
  return s.size() > digits && s.size() < 10 && std::all_of(s.begin() + digits, s.end(), ::isdigit);
}

// Label names: fixed by the caller, or integers in numeric order, or sorted names. A set that
// mixes integers with other labels ("0", "1", "1.0", "positive"), integers that skip values
// ("0", "1", "7"), or a single label is an error naming the labels and where each first
// appears: such files are a typo away from a silent extra class.
std::vector<std::string> label_set(const std::vector<RawRow>& rows, const ReadOptions& options,
                                   const std::string& source) {
  if (options.label_names) return *options.label_names;
  std::map<std::string, std::pair<size_t, size_t>> seen;  // label -> (rows, first line)
  for (const auto& r : rows) {
    auto [it, fresh] = seen.emplace(r.label, std::make_pair(size_t{0}, r.line));
    ++it->second.first;
  }
  auto listing = [&] {
    std::string out;
    for (const auto& [name, info] : seen)
      out += fmt::format("{}'{}' ({} row{}, first on line {})", out.empty() ? "" : ", ", name, info.first,
                         info.first == 1 ? "" : "s", info.second);
    return out;
  };
  check(seen.size() >= 2, "{} has one label only ({}); a classifier needs at least two", source, listing());
  size_t integers = 0;
  for (const auto& [name, info] : seen) integers += is_integer_label(name);
  check(integers == 0 || integers == seen.size(),
        "{} mixes whole-number labels with others: {}; fix the stray rows, or --skip-bad-rows with a fixed label set",
        source, listing());
  std::vector<std::string> out;
  for (const auto& [name, info] : seen) out.push_back(name);
  if (integers == seen.size()) {
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
    // -1/1 is a binary convention of its own; any other set numbers its classes without gaps.
    const bool plus_minus_one = out.size() == 2 && out[0] == "-1" && out[1] == "1";
    for (size_t i = 1; i < out.size() && !plus_minus_one; ++i)
      check(std::stoll(out[i]) == std::stoll(out[i - 1]) + 1,
            "{} has whole-number labels that skip values: {}; a stray row, or a class missing from this file?", source,
            listing());
  }
  // A class with a handful of rows among thousands is more often a typo than a class.
  for (const auto& [name, info] : seen)
    if (rows.size() >= 1000 && info.first * 1000 < rows.size())
      log_info("warning: {}: label '{}' occurs on {} of {} rows (first on line {}): a stray value?", source, name,
               info.first, rows.size(), info.second);
  return out;
}

TextDataset finish(std::vector<RawRow> rows, const std::string& source, const ReadOptions& options,
                   int64_t skipped) {
  check(!rows.empty(), "{} has no data rows", source);
  TextDataset ds;
  ds.source = source;
  ds.skipped_rows = skipped;
  ds.label_names = label_set(rows, options, source);
  std::map<std::string, int64_t> ids;
  for (size_t i = 0; i < ds.label_names.size(); ++i) ids[ds.label_names[i]] = static_cast<int64_t>(i);
  for (auto& r : rows) {
    auto it = ids.find(r.label);
    if (it == ids.end()) {
      std::string known;
      for (const auto& n : ds.label_names) known += (known.empty() ? "" : ", ") + n;
      if (options.skip_bad_rows) { ++ds.skipped_rows; continue; }
      fail("{}:{}: label '{}' is not in the label set ({})", source, r.line, r.label, known);
    }
    ds.rows.push_back({std::move(r.text), it->second});
  }
  check(!ds.rows.empty(), "{} has no usable rows", source);
  return ds;
}

}  // namespace

TextDataset parse_delimited(const std::string& text, const std::string& origin, const DelimitedFormat& f,
                            const ReadOptions& options) {
  auto lines = lines_of_text(text, origin);
  while (!lines.empty() && is_blank(lines.back())) lines.pop_back();
  check(!lines.empty(), "{} is empty", origin);
  auto resolve = [&](const std::string& column, const std::vector<std::string>& header) -> int64_t {
    if (!column.empty() && std::all_of(column.begin(), column.end(), ::isdigit)) {
      check(column.size() <= 5, "{}: column number {} is out of range (a 0-based column index below 100000)",
            origin, column);
      return std::stoll(column);
    }
    check(f.header, "{}: column '{}' needs a header row (or give a 0-based column number)", origin, column);
    for (size_t i = 0; i < header.size(); ++i) {
      if (trim(header[i]) == column) return static_cast<int64_t>(i);
    }
    std::string names;
    for (const auto& h : header) names += (names.empty() ? "" : ", ") + trim(h);
    fail("{}: no column '{}' in the header (columns: {})", origin, column, names);
  };
  std::vector<std::string> header;
  size_t first = 0;
  if (f.header) {
    header = split_record(lines[0], f.delimiter);
    first = 1;
  }
  int64_t text_col = resolve(f.text_column, header);
  int64_t label_col = resolve(f.label_column, header);
  int64_t text_b_col = f.text_b_column.empty() ? -1 : resolve(f.text_b_column, header);
  int64_t needed = std::max({text_col, label_col, text_b_col}) + 1;
  std::vector<RawRow> rows;
  int64_t skipped = 0;
  for (size_t i = first; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    auto fields = split_record(lines[i], f.delimiter);
    std::string problem;
    if (static_cast<int64_t>(fields.size()) < needed)
      problem = fmt::format("expected at least {} columns, found {}", needed, fields.size());
    else if (trim(fields[static_cast<size_t>(label_col)]).empty())
      problem = "empty label";
    if (!problem.empty()) {
      if (options.skip_bad_rows) { ++skipped; continue; }
      fail("{}:{}: {}", origin, i + 1, problem);
    }
    RawRow r{fields[static_cast<size_t>(text_col)], trim(fields[static_cast<size_t>(label_col)]), i + 1};
    if (text_b_col >= 0) r.text += " " + fields[static_cast<size_t>(text_b_col)];
    rows.push_back(std::move(r));
  }
  return finish(std::move(rows), origin, options, skipped);
}

TextDataset read_delimited(const std::filesystem::path& path, const DelimitedFormat& f, const ReadOptions& options) {
  require_exists(path, "data file");
  return parse_delimited(read_file(path), path.string(), f, options);
}

TextDataset read_jsonl(const std::filesystem::path& path, const std::string& text_key,
                       const std::string& label_key, const ReadOptions& options) {
  auto lines = lines_of(path);
  std::vector<RawRow> rows;
  int64_t skipped = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    json j = json::parse(lines[i], nullptr, false);
    std::string problem;
    if (j.is_discarded() || !j.is_object()) problem = "not a JSON object";
    else if (!j.contains(text_key) || !j[text_key].is_string()) problem = "no string field '" + text_key + "'";
    else if (!j.contains(label_key) || !(j[label_key].is_string() || j[label_key].is_number_integer()))
      problem = "no string or integer field '" + label_key + "'";
    if (!problem.empty()) {
      if (options.skip_bad_rows) { ++skipped; continue; }
      fail("{}:{}: {}", path.string(), i + 1, problem);
    }
    std::string label = j[label_key].is_string() ? j[label_key].get<std::string>() : std::to_string(j[label_key].get<int64_t>());
    rows.push_back({j[text_key].get<std::string>(), label, i + 1});
  }
  return finish(std::move(rows), path.string(), options, skipped);
}

TextDataset read_text_label_files(const std::filesystem::path& texts, const std::filesystem::path& labels,
                                  const ReadOptions& options) {
  auto t = lines_of(texts), l = lines_of(labels);
  while (!t.empty() && t.back().empty()) t.pop_back();
  while (!l.empty() && l.back().empty()) l.pop_back();
  check(t.size() == l.size(), "{} has {} lines but {} has {}: they must pair up line by line",
        texts.string(), t.size(), labels.string(), l.size());
  std::vector<RawRow> rows;
  for (size_t i = 0; i < t.size(); ++i) rows.push_back({t[i], trim(l[i]), i + 1});
  return finish(std::move(rows), texts.string(), options, 0);
}

TextDataset read_class_files(const std::vector<std::filesystem::path>& files,
                             const std::vector<std::string>& label_names) {
  check(files.size() == label_names.size() && !files.empty(), "expected one file per label");
  std::vector<RawRow> rows;
  for (size_t k = 0; k < files.size(); ++k) {
    auto lines = lines_of(files[k]);
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!is_blank(lines[i])) rows.push_back({lines[i], label_names[k], i + 1});
    }
  }
  ReadOptions fixed;
  fixed.label_names = label_names;
  return finish(std::move(rows), files.front().string(), fixed, 0);
}

TaggedDataset parse_conll(const std::string& text, const std::string& origin, const ReadOptions& options) {
  auto lines = lines_of_text(text, origin);
  TaggedDataset ds;
  ds.source = origin;
  std::vector<std::vector<std::string>> raw_tags;
  TaggedSentence current;
  std::vector<std::string> current_tags;
  auto flush = [&]() {
    if (!current.words.empty()) {
      ds.rows.push_back(std::move(current));
      raw_tags.push_back(std::move(current_tags));
    }
    current = TaggedSentence{};
    current_tags.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = trim(lines[i]);
    if (line.empty()) { flush(); continue; }
    if (line.rfind("-DOCSTART-", 0) == 0) continue;
    auto fields = split_record(line, ' ');
    fields.erase(std::remove(fields.begin(), fields.end(), std::string()), fields.end());
    if (fields.size() < 2) {
      if (options.skip_bad_rows) { ++ds.skipped_rows; continue; }
      fail("{}:{}: expected 'token ... TAG', found one column", origin, i + 1);
    }
    current.words.push_back(fields.front());
    current_tags.push_back(fields.back());
  }
  flush();
  check(!ds.rows.empty(), "{} has no sentences", origin);
  if (options.label_names) {
    ds.label_names = *options.label_names;
  } else {
    std::set<std::string> tags;
    for (const auto& s : raw_tags) tags.insert(s.begin(), s.end());
    ds.label_names.assign(tags.begin(), tags.end());
    // "O" first, then entity tags sorted by type and B before I.
    std::sort(ds.label_names.begin(), ds.label_names.end(), [](const std::string& a, const std::string& b) {
      if (a == "O" || b == "O") return a == "O" && b != "O";
      std::string ta = a.size() > 2 ? a.substr(2) : a, tb = b.size() > 2 ? b.substr(2) : b;
      return ta != tb ? ta < tb : a < b;
    });
  }
  std::map<std::string, int64_t> ids;
  for (size_t i = 0; i < ds.label_names.size(); ++i) ids[ds.label_names[i]] = static_cast<int64_t>(i);
  for (size_t s = 0; s < ds.rows.size(); ++s) {
    for (const auto& t : raw_tags[s]) {
      auto it = ids.find(t);
      check(it != ids.end(), "{}: tag '{}' is not in the label set", origin, t);
      ds.rows[s].tags.push_back(it->second);
    }
  }
  return ds;
}

TaggedDataset read_conll(const std::filesystem::path& path, const ReadOptions& options) {
  require_exists(path, "data file");
  return parse_conll(read_file(path), path.string(), options);
}

}  // namespace porkit::data

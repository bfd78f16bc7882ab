#include "porkit/data/readers.h"

#include <csv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "porkit/data/encoding.h"
#include "porkit/text/utf8.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "porkit/util/log.h"
#include "porkit/util/options.h"

namespace porkit::data {
namespace {

struct RawRow {
  std::string text;
  std::string label;
  size_t line;
};

// One record of a delimited file and the line it starts on.
struct Record {
  std::vector<std::string> fields;
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

std::string text_of(const std::filesystem::path& path, const std::string& encoding) {
  require_exists(path, "data file");
  return to_utf8(read_file(path), encoding, path.string());
}

bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// TSV: one record a line, a tab always separates, quotes are text.
std::vector<Record> tsv_records(const std::string& text, const std::string& origin) {
  std::vector<Record> records;
  auto lines = lines_of_text(text, origin);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    Record r{{}, i + 1};
    size_t start = 0;
    while (true) {
      size_t tab = lines[i].find('\t', start);
      r.fields.push_back(lines[i].substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    records.push_back(std::move(r));
  }
  return records;
}

// CSV by libcsv (RFC 4180, strict): fed a line at a time so that a record knows the line it
// starts on and an error the line it is on.
struct CsvCollector {
  std::vector<Record> records;
  std::vector<std::string> fields;
  size_t line = 0;              // the line being fed (1-based)
  size_t record_start = 0;      // the line the current record began on
  bool in_record = false;       // a record has begun and not yet ended
  static void on_field(void* s, size_t len, void* self) {
    static_cast<CsvCollector*>(self)->fields.emplace_back(s ? static_cast<const char*>(s) : "", len);
  }
  static void on_record(int, void* self) {
    auto* c = static_cast<CsvCollector*>(self);
    // A lone empty field is a line of spaces that libcsv reports; a blank line is no record.
    if (!(c->fields.size() == 1 && is_blank(c->fields[0]))) c->records.push_back({std::move(c->fields), c->record_start});
    c->fields.clear();
    c->in_record = false;
  }
};

std::vector<Record> csv_records(const std::string& text, const std::string& origin) {
  check(text::is_valid_utf8(text), "{} is not UTF-8 text", origin);
  csv_parser parser;
  check(csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) == 0, "libcsv could not start");
  std::unique_ptr<csv_parser, void (*)(csv_parser*)> guard(&parser, csv_free);
  CsvCollector c;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    ++c.line;
    // Records end at a line's newline, so a line fed between records begins the next one.
    if (!c.in_record && !is_blank(text.substr(start, end - start))) {
      c.record_start = c.line;
      c.in_record = true;
    }
    const size_t fed = csv_parse(&parser, text.data() + start, end - start, CsvCollector::on_field,
                                 CsvCollector::on_record, &c);
    if (fed != end - start)
      fail("{}:{}: malformed CSV quoting ({}): inside a quoted field a quote is doubled (\"\"), and a quote may "
           "open a field only at its start; is this file tab-separated (--format tsv)?",
           origin, c.line, csv_strerror(csv_error(&parser)));
    start = end;
  }
  const size_t open_since = c.record_start;
  if (csv_fini(&parser, CsvCollector::on_field, CsvCollector::on_record, &c) != 0)
    fail("{}:{}: a quoted field opened here is never closed (RFC 4180 quoting)", origin, open_since);
  return c.records;
}

std::string shortened(const std::string& s, size_t at_most = 24) {
  if (s.size() <= at_most) return s;
  size_t cut = at_most;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + "...";
}

std::string listing_of(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size() && i < 8; ++i) out += (i ? ", " : "") + shortened(trim(fields[i]));
  if (fields.size() > 8) out += fmt::format(", ... ({} columns)", fields.size());
  return out;
}

bool is_integer_label(const std::string& s) {
  const size_t digits = !s.empty() && s[0] == '-' ? 1 : 0;
  return s.size() > digits && s.size() < 10 && std::all_of(s.begin() + digits, s.end(), ::isdigit);
}

// A header row that reads like data: a whole number, or a field of several words.
bool looks_like_data(const std::vector<std::string>& header) {
  return std::any_of(header.begin(), header.end(), [](const std::string& h) {
    const std::string t = trim(h);
    return is_integer_label(t) || std::count(t.begin(), t.end(), ' ') >= 3 || t.size() > 40;
  });
}

// What to try when a delimited file has too few columns: the other delimiter, if the row
// has it.
std::string delimiter_hint(const std::string& raw, char delimiter) {
  if (delimiter == '\t' && raw.find(',') != std::string::npos) return "; this looks comma-separated: --format csv";
  if (delimiter == ',' && raw.find('\t') != std::string::npos) return "; this looks tab-separated: --format tsv";
  return "";
}

// The label values in id order, and the names shown for them.
struct LabelSet {
  std::vector<std::string> values, names;
};

// Label values: fixed by the caller, or the user's class names, or integers in numeric
// order, or sorted names. A set that mixes integers with other labels ("0", "1", "1.0",
// "positive"), integers that skip values ("0", "1", "7"), or a single label is an error
// naming the labels and where each first appears: such files are a typo away from a silent
// extra class.
LabelSet label_set(const std::vector<RawRow>& rows, const ReadOptions& options, const std::string& source) {
  if (options.label_values) {
    LabelSet s{*options.label_values, *options.label_values};
    if (!options.class_names.empty()) s.names = options.class_names;
    return s;
  }
  std::map<std::string, std::pair<size_t, size_t>> seen;  // label -> (rows, first line)
  for (const auto& r : rows) {
    auto [it, fresh] = seen.emplace(r.label, std::make_pair(size_t{0}, r.line));
    ++it->second.first;
  }
  auto listing = [&] {
    std::string out;
    for (const auto& [name, info] : seen)
      out += fmt::format("{}'{}' ({} row{}, first on line {})", out.empty() ? "" : ", ", shortened(name), info.first,
                         info.first == 1 ? "" : "s", info.second);
    return out;
  };
  size_t integers = 0;
  for (const auto& [name, info] : seen) integers += is_integer_label(name);
  if (!options.class_names.empty()) {
    // Named classes: whole numbers are ids into the names (-1/1 for a pair), text labels
    // must be among the names.
    const auto& names = options.class_names;
    if (integers == seen.size()) {
      std::vector<std::string> values;
      const bool plus_minus_one = names.size() == 2 && seen.count("-1") && !seen.count("0");
      for (size_t i = 0; i < names.size(); ++i) values.push_back(plus_minus_one ? (i ? "1" : "-1") : std::to_string(i));
      return {values, names};
    }
    return {names, names};
  }
  check(seen.size() >= 2, "{} has one label only ({}); a classifier needs at least two", source, listing());
  check(integers == 0 || integers == seen.size(),
        "{} mixes whole-number labels with others: {}; fix the stray rows, or --skip-bad-rows with a fixed label set "
        "(--labels)",
        source, listing());
  std::vector<std::string> out;
  for (const auto& [name, info] : seen) out.push_back(name);
  if (integers == seen.size()) {
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
    // -1/1 is a binary convention of its own; any other set numbers its classes without gaps.
    const bool plus_minus_one = out.size() == 2 && out[0] == "-1" && out[1] == "1";
    for (size_t i = 1; i < out.size() && !plus_minus_one; ++i)
      check(std::stoll(out[i]) == std::stoll(out[i - 1]) + 1,
            "{} has whole-number labels that skip values: {}; a stray row, or a class missing from this file "
            "(name every class with --labels)?",
            source, listing());
  }
  // A class with a handful of rows among thousands is more often a typo than a class.
  for (const auto& [name, info] : seen)
    if (rows.size() >= 1000 && info.first * 1000 < rows.size())
      log_info("warning: {}: label '{}' occurs on {} of {} rows (first on line {}): a stray value?", source, name,
               info.first, rows.size(), info.second);
  return {out, out};
}

TextDataset finish(std::vector<RawRow> rows, const std::string& source, const ReadOptions& options,
                   int64_t skipped) {
  check(!rows.empty(), "{} has no data rows", source);
  TextDataset ds;
  ds.source = source;
  ds.skipped_rows = skipped;
  const LabelSet labels = label_set(rows, options, source);
  ds.label_names = labels.names;
  ds.label_values = labels.values;
  std::map<std::string, int64_t> ids;
  for (size_t i = 0; i < labels.values.size(); ++i) ids[labels.values[i]] = static_cast<int64_t>(i);
  for (auto& r : rows) {
    auto it = ids.find(r.label);
    if (it == ids.end()) {
      if (options.skip_bad_rows) { ++ds.skipped_rows; continue; }
      std::string known = options::join(labels.values);
      if (labels.names != labels.values) known += " for " + options::join(labels.names);
      fail("{}:{}: label '{}' is not in the label set ({})", source, r.line, shortened(r.label, 40), known);
    }
    ds.rows.push_back({std::move(r.text), it->second});
  }
  check(!ds.rows.empty(), "{} has no usable rows", source);
  return ds;
}

}  // namespace

TextDataset parse_delimited(const std::string& text, const std::string& origin, const DelimitedFormat& f,
                            const ReadOptions& options) {
  const std::vector<Record> records = f.delimiter == ',' ? csv_records(text, origin) : tsv_records(text, origin);
  check(!records.empty(), "{} is empty", origin);
  const std::vector<std::string> header = f.header ? records.front().fields : std::vector<std::string>{};
  auto resolve = [&](const std::string& column) -> int64_t {
    if (!column.empty() && std::all_of(column.begin(), column.end(), ::isdigit)) {
      check(column.size() <= 5, "{}: column number {} is out of range (a 0-based column index below 100000)",
            origin, column);
      return std::stoll(column);
    }
    check(f.header, "{}: column '{}' needs a header row (with --no-header give a 0-based column number)", origin,
          column);
    for (size_t i = 0; i < header.size(); ++i) {
      if (trim(header[i]) == column) return static_cast<int64_t>(i);
    }
    std::string hint = delimiter_hint(text.substr(0, text.find('\n')), header.size() == 1 ? f.delimiter : 0);
    if (hint.empty() && looks_like_data(header)) {
      // Guess the columns from the row: the label a short token (a number if any), the text the longest field.
      size_t text_guess = 0, label_guess = header.size() > 1 ? 1 : 0;
      for (size_t i = 0; i < header.size(); ++i) {
        if (trim(header[i]).size() > trim(header[text_guess]).size()) text_guess = i;
      }
      for (size_t i = 0; i < header.size(); ++i) {
        if (i != text_guess && is_integer_label(trim(header[i]))) { label_guess = i; break; }
      }
      if (label_guess == text_guess) label_guess = text_guess == 0 ? 1 : 0;
      hint = fmt::format("; the first row looks like data: no header? add --no-header and give columns by 0-based "
                         "number (here perhaps --text-column {} --label-column {})",
                         text_guess, label_guess);
    }
    fail("{}: no column '{}' in the header (columns: {}){}", origin, column, listing_of(header), hint);
  };
  int64_t text_col = resolve(f.text_column);
  int64_t label_col = resolve(f.label_column);
  int64_t text_b_col = f.text_b_column.empty() ? -1 : resolve(f.text_b_column);
  int64_t needed = std::max({text_col, label_col, text_b_col}) + 1;
  std::vector<RawRow> rows;
  int64_t skipped = 0;
  for (size_t i = f.header ? 1 : 0; i < records.size(); ++i) {
    const auto& fields = records[i].fields;
    std::string problem;
    if (static_cast<int64_t>(fields.size()) < needed)
      problem = fmt::format("expected at least {} columns, found {}{}", needed, fields.size(),
                            fields.size() == 1 ? delimiter_hint(fields[0], f.delimiter) : "");
    else if (trim(fields[static_cast<size_t>(label_col)]).empty())
      problem = "empty label";
    if (!problem.empty()) {
      if (options.skip_bad_rows) { ++skipped; continue; }
      fail("{}:{}: {}", origin, records[i].line, problem);
    }
    RawRow r{fields[static_cast<size_t>(text_col)], trim(fields[static_cast<size_t>(label_col)]), records[i].line};
    if (text_b_col >= 0) r.text += " " + fields[static_cast<size_t>(text_b_col)];
    rows.push_back(std::move(r));
  }
  return finish(std::move(rows), origin, options, skipped);
}

TextDataset read_delimited(const std::filesystem::path& path, const DelimitedFormat& f, const ReadOptions& options) {
  return parse_delimited(text_of(path, options.encoding), path.string(), f, options);
}

TextDataset read_jsonl(const std::filesystem::path& path, const std::string& text_key,
                       const std::string& label_key, const ReadOptions& options) {
  auto lines = lines_of_text(text_of(path, options.encoding), path.string());
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
  auto t = lines_of_text(text_of(texts, options.encoding), texts.string());
  auto l = lines_of_text(text_of(labels, options.encoding), labels.string());
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
    auto lines = lines_of_text(text_of(files[k], "utf-8"), files[k].string());
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!is_blank(lines[i])) rows.push_back({lines[i], label_names[k], i + 1});
    }
  }
  ReadOptions fixed;
  fixed.label_values = label_names;
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
    std::vector<std::string> fields;
    for (size_t b = line.find_first_not_of(" \t"); b != std::string::npos; b = line.find_first_not_of(" \t", b)) {
      const size_t e = line.find_first_of(" \t", b);
      fields.push_back(line.substr(b, e == std::string::npos ? std::string::npos : e - b));
      b = e;
    }
    if (fields.size() < 2) {
      if (options.skip_bad_rows) { ++ds.skipped_rows; continue; }
      fail("{}:{}: expected 'token ... TAG', found one column", origin, i + 1);
    }
    current.words.push_back(fields.front());
    current_tags.push_back(fields.back());
  }
  flush();
  check(!ds.rows.empty(), "{} has no sentences", origin);
  if (options.label_values) {
    ds.label_names = *options.label_values;
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
  return parse_conll(text_of(path, options.encoding), path.string(), options);
}

}  // namespace porkit::data

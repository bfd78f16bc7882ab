#include "porkit/report/document.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <set>

#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::report {

// What a report says where a figure would be in a build without cairo.
constexpr const char* kNoFigure = "figure not drawn (this porkit was built without cairo)";


namespace {

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Markdown renderers pass raw HTML through: a trigger or a text such as "<script>" must reach
// report.md as text, as it reaches report.html.
std::string escape_markdown_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string escape_markdown_cell(const std::string& s) {
  std::string out;
  for (char c : escape_markdown_text(s)) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

// Anchor ids from section titles: lower-case letters and digits, words joined by '-'.
std::string anchor(const std::string& title) {
  std::string out;
  for (char c : title) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

void check_table(const Table& t) {
  for (const auto& row : t.rows)
    check(row.size() == t.header.size(), "table '{}': a row has {} cells, the header {}", t.caption, row.size(),
          t.header.size());
}

constexpr const char* kStyle = R"(body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.9em;color:#555}
code{background:#f4f4f4;padding:0 .2em}nav ul{columns:2}footer{margin-top:3em;font-size:.8em;color:#777})";

// Reports how many images decoded, so a reader (or a headless-browser test) can tell a
// broken page from a complete one without a server.
constexpr const char* kImageCheck = R"(<script>
window.addEventListener('load', function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) if (images[i].complete && images[i].naturalWidth > 0) loaded++;
  var status = document.getElementById('image-status');
  status.textContent = 'images loaded: ' + loaded + ' of ' + images.length;
  status.setAttribute('data-loaded', loaded);
  status.setAttribute('data-total', images.length);
});
</script>)";

// `code` spans to <code>, the rest escaped.
std::string inline_html(const std::string& text) {
  std::string out;
  bool in_code = false;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '`') {
      out += escape_html(text.substr(start, i - start));
      if (i < text.size()) out += in_code ? "</code>" : "<code>";
      in_code = !in_code;
      start = i + 1;
    }
  }
  if (!in_code) out += "</code>";  // an unmatched backtick: close what was opened
  return out;
}

}  // namespace

std::string to_html(const Document& document) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}</style>\n"
      "</head>\n<body>\n<h1>{}</h1>\n<nav><ul>\n",
      escape_html(document.title), kStyle, escape_html(document.title));
  for (const auto& section : document.sections)
    html += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", anchor(section.title), escape_html(section.title));
  html += "</ul></nav>\n";
  for (const auto& section : document.sections) {
    html += fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor(section.title), escape_html(section.title));
    for (const auto& block : section.blocks) {
      if (const auto* p = std::get_if<Paragraph>(&block)) {
        html += "<p>" + inline_html(p->text) + "</p>\n";
      } else if (const auto* t = std::get_if<Table>(&block)) {
        check_table(*t);
        html += "<table>\n<caption>" + escape_html(t->caption) + "</caption>\n<tr>";
        for (const auto& h : t->header) html += "<th>" + escape_html(h) + "</th>";
        html += "</tr>\n";
        for (const auto& row : t->rows) {
          html += "<tr>";
          for (const auto& cell : row) html += "<td>" + escape_html(cell) + "</td>";
          html += "</tr>\n";
        }
        html += "</table>\n";
      } else {
        const auto& image = std::get<Image>(block);
        if (image.png.empty()) {
          html += "<p><em>" + escape_html(image.caption) + ": " + kNoFigure + "</em></p>\n";
          continue;
        }
        html += fmt::format("<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
                            escape_html(image.caption), base64(image.png), escape_html(image.caption));
      }
    }
  }
  html += "<footer>Written by porkit " PORKIT_VERSION ". <span id=\"image-status\"></span></footer>\n";
  html += kImageCheck;
  html += "\n</body>\n</html>\n";
  return html;
}

std::string to_markdown(const Document& document, const std::string& image_folder) {
  std::string md = "# " + escape_markdown_cell(document.title) + "\n";
  for (const auto& section : document.sections) {
    md += "\n## " + escape_markdown_cell(section.title) + "\n";
    for (const auto& block : section.blocks) {
      md += "\n";
      if (const auto* p = std::get_if<Paragraph>(&block)) {
        md += escape_markdown_text(p->text) + "\n";
      } else if (const auto* t = std::get_if<Table>(&block)) {
        check_table(*t);
        if (!t->caption.empty()) md += "**" + escape_markdown_cell(t->caption) + "**\n\n";
        md += "|";
        for (const auto& h : t->header) md += " " + escape_markdown_cell(h) + " |";
        md += "\n|";
        for (size_t i = 0; i < t->header.size(); ++i) md += i == 0 ? " --- |" : " ---: |";
        md += "\n";
        for (const auto& row : t->rows) {
          md += "|";
          for (const auto& cell : row) md += " " + escape_markdown_cell(cell) + " |";
          md += "\n";
        }
      } else {
        const auto& image = std::get<Image>(block);
        if (image.png.empty()) {
          md += "*" + escape_markdown_cell(image.caption) + ": " + kNoFigure + "*\n";
          continue;
        }
        md += fmt::format("![{}]({}/{})\n", escape_markdown_cell(image.caption), image_folder, image.file_name);
      }
    }
  }
  return md;
}

WrittenReport write_document(const Document& document, const fs::path& dir, const std::string& name) {
  WrittenReport written;
  const std::string image_folder = name + "_files";
  std::set<std::string> names;
  for (const auto& section : document.sections)
    for (const auto& block : section.blocks) {
      if (const auto* image = std::get_if<Image>(&block)) {
        check(names.insert(image->file_name).second, "report image name '{}' is used twice", image->file_name);
        if (image->png.empty()) continue;
        fs::create_directories(dir / image_folder);
        write_file_atomic(dir / image_folder / image->file_name, image->png);
        ++written.images;
      } else if (std::holds_alternative<Table>(block)) {
        ++written.tables;
      }
    }
  written.html = dir / (name + ".html");
  written.markdown = dir / (name + ".md");
  write_file_atomic(written.markdown, to_markdown(document, image_folder));
  write_file_atomic(written.html, to_html(document));
  return written;
}

}  // namespace porkit::report

// A report as data (sections of paragraphs, tables and images) and its two renderings:
// a self-contained HTML page (images inline as data: URIs, styles inline, no network) and
// Markdown with the images as files next to it.
#pragma once
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace porkit::report {

struct Table {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as the header
};

struct Image {
  std::string caption;
  std::string file_name;  // e.g. "asr_at_k.png"; unique within a document
  std::string png;        // encoded bytes
};

struct Paragraph {
  std::string text;  // plain text; `code` spans are kept as they are in Markdown
};

using Block = std::variant<Paragraph, Table, Image>;

struct Section {
  std::string title;
  std::vector<Block> blocks;
};

struct Document {
  std::string title;
  std::vector<Section> sections;
};

struct WrittenReport {
  std::filesystem::path html, markdown;
  size_t images = 0, tables = 0;
};

// Writes dir/<name>.html, dir/<name>.md and dir/<name>_files/*.png, each file atomically.
WrittenReport write_document(const Document& document, const std::filesystem::path& dir,
                             const std::string& name = "report");

std::string to_html(const Document& document);
std::string to_markdown(const Document& document, const std::string& image_folder);

}  // namespace porkit::report

#include "porkit/report/analysis_report.h"

#include <cstdlib>

#include <fmt/format.h>

#include <algorithm>

#include <map>
#include <optional>

#include "porkit/report/attack_report.h"
#include "porkit/report/charts.h"
#include "porkit/util/error.h"

namespace porkit::report {

namespace {

void check_attention(const json& a, const std::string& name);  // below, next to the images

Heatmap layer_heatmap(const json& matrix, const std::vector<std::string>& tokens, const std::string& title) {
  Heatmap map{title, tokens, tokens, {}, 0, 1};
  for (const auto& row : matrix)
    for (const auto& v : row) map.values.push_back(v.get<double>());
  return map;
}

std::vector<Section> embedding_swap_sections(const json& a, const std::string& name) {
  Section s{"Embedding swap (" + name + ")", {}};
  s.blocks.push_back(Paragraph{fmt::format(
      "Where the backdoor lives (Table 13 of Shen et al.). Clean model `{}`, backdoored `{}`; {} clean texts from "
      "{} and the same texts with one of the triggers ({}) inserted {} time(s). The embedding layer is the {}; the "
      "compared output is the {}. Each cell is the mean cosine over texts between the row model's output and the "
      "column's reference; `vs POR` compares poisoned outputs with the inserted trigger's POR.",
      a.value("clean_model", "?"), a.value("backdoored_model", "?"), cell(a.value("texts", json()), 0),
      a.value("text_source", "?"), a.value("triggers", json::array()).dump(), cell(a.value("insertions", json()), 0),
      a.value("embedding_layer", "?"), a.value("output", "?"))});
  Table t{"Mean cosine similarity of outputs",
          {"model", "swap", "clean vs BD", "clean vs CL", "poisoned vs BD", "poisoned vs CL", "poisoned vs POR"},
          {}};
  BarChart layers{"Backdoor left after swapping one layer for the clean model's", "poisoned output vs POR", {}, {}, 1.0};
  Series por{"cosine to POR", {}, false, 1}, bd{"cosine to BD", {}, false, 0};
  for (const auto& r : a.at("rows")) {
    t.rows.push_back({r.value("model", "?"), r.value("group", "?"), cell(r.value("clean_vs_bd", json())),
                      cell(r.value("clean_vs_cl", json())), cell(r.value("poisoned_vs_bd", json())),
                      cell(r.value("poisoned_vs_cl", json())), cell(r.value("poisoned_vs_por", json()))});
    if (r.value("group", "") == "one layer from CL") {
      std::string label = r.value("model", "?");
      const auto cut = label.find("CL ");
      layers.categories.push_back(cut == std::string::npos ? label : label.substr(cut + 3));
      por.values.push_back(r.value("poisoned_vs_por", 0.0));
      bd.values.push_back(r.value("poisoned_vs_bd", 0.0));
    }
  }
  s.blocks.push_back(t);
  if (!layers.categories.empty()) {
    layers.series = {por, bd};
    s.blocks.push_back(Image{layers.title, name + "_layer_swap.png", render_bar_chart(layers)});
  }
  return {s};
}

std::vector<Section> attention_sections(const json& a, const std::string& name) {
  check_attention(a, name);
  Section s{"Attention (" + name + ")", {}};
  s.blocks.push_back(Paragraph{fmt::format(
      "Text \"{}\", trigger '{}' (pieces at token positions {}); backdoored `{}`, clean `{}`. Attention is averaged "
      "over heads; row = the attending token, column = the attended one. E and flip rate of the ablations are "
      "measured on the fine-tuned classifier `{}` (empty: none given).",
      a.value("text", "?"), a.value("trigger", "?"), a.value("trigger_positions", json::array()).dump(),
      a.value("backdoored_model", "?"), a.value("clean_model", "?"), a.value("finetuned_model", ""))});
  Table share{"[CLS] attention share on each trigger piece, per layer", {"layer"}, {}};
  const auto& tokens = a.at("tokens");
  const auto positions = a.at("trigger_positions").get<std::vector<int64_t>>();
  for (const char* which : {"backdoored", "clean"})
    for (int64_t p : positions) share.header.push_back(fmt::format("{} '{}'", which, tokens[static_cast<size_t>(p)].get<std::string>()));
  const size_t layers = a.at("cls_share").at("backdoored").size();
  for (size_t l = 0; l < layers; ++l) {
    std::vector<std::string> row{std::to_string(l + 1)};
    for (const char* which : {"backdoored", "clean"})
      for (const auto& v : a.at("cls_share").at(which)[l]) row.push_back(cell(v));
    share.rows.push_back(row);
  }
  s.blocks.push_back(share);
  Table ablation{fmt::format("Ablation over {} texts: the backdoored model's pooled output vs the trigger's POR "
                             "(active: cosine >= {})",
                             cell(a.value("ablation_texts", json()), 0), cell(a.value("active_cosine", json()), 2)),
                 {"variant", "pieces inserted", "mean POR cosine", "activation rate", "E", "flip rate"},
                 {}};
  for (const auto& r : a.at("ablation"))
    ablation.rows.push_back({r.value("variant", "?"), r.value("pieces", ""), cell(r.value("por_cosine", json())),
                             cell(r.value("activation_rate", json())), cell(r.value("E", json()), 2),
                             cell(r.value("flip_rate", json()))});
  s.blocks.push_back(ablation);
  Table roles{"Trigger piece roles", {"piece", "needed", "[CLS] share, upper layers", "role"}, {}};
  for (const auto& r : a.at("roles"))
    roles.rows.push_back({r.value("piece", "?"), r.value("needed", false) ? "yes" : "no",
                          cell(r.value("cls_share_upper_layers", json())), r.value("role", "?")});
  s.blocks.push_back(roles);
  for (auto& image : attention_images(a, name + "_")) s.blocks.push_back(std::move(image));
  return {s};
}

}  // namespace

namespace {
// An attention.json must be consistent before anything indexes into it: every trigger position
// a token, every [CLS]-share row one value per position, every map square in the tokens.
void check_attention(const json& a, const std::string& name) {
  auto fail_here = [&](const std::string& what) { fail("{}.json is not a consistent attention analysis: {}", name, what); };
  if (!a.contains("tokens") || !a["tokens"].is_array() || a["tokens"].empty()) fail_here("no tokens");
  for (const auto& t : a["tokens"]) if (!t.is_string()) fail_here("a token is not a text");
  const int64_t n = static_cast<int64_t>(a["tokens"].size());
  if (!a.contains("trigger_positions") || !a["trigger_positions"].is_array() || a["trigger_positions"].empty())
    fail_here("no trigger positions");
  for (const auto& p : a["trigger_positions"])
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() >= n)
      fail_here(fmt::format("trigger position {} is outside the {} tokens", p.dump(), n));
  const size_t k = a["trigger_positions"].size();
  for (const char* which : {"backdoored", "clean"}) {
    const json* share = a.contains("cls_share") && a["cls_share"].contains(which) ? &a["cls_share"][which] : nullptr;
    if (!share || !share->is_array() || share->empty()) fail_here(fmt::format("no [CLS] shares of the {} model", which));
    for (const auto& row : *share) {
      if (!row.is_array() || row.size() != k) fail_here(fmt::format("a {} [CLS]-share row has {} values for {} pieces",
                                                                    which, row.is_array() ? row.size() : 0, k));
      for (const auto& v : row) if (!v.is_number()) fail_here("a [CLS] share is not a number");
    }
    const json* maps = a.contains("attention") && a["attention"].contains(which) ? &a["attention"][which] : nullptr;
    if (!maps || !maps->is_array() || maps->empty()) fail_here(fmt::format("no attention maps of the {} model", which));
    for (const auto& m : *maps) {
      if (!m.is_array() || static_cast<int64_t>(m.size()) != n) fail_here("an attention map does not have one row per token");
      for (const auto& row : m) {
        if (!row.is_array() || static_cast<int64_t>(row.size()) != n) fail_here("an attention row does not have one value per token");
        for (const auto& v : row) if (!v.is_number()) fail_here("an attention weight is not a number");
      }
    }
  }
  if (a["cls_share"]["backdoored"].size() != a["cls_share"]["clean"].size() ||
      a["attention"]["backdoored"].size() != a["attention"]["clean"].size())
    fail_here("the backdoored and the clean model have different numbers of layers");
  const int64_t layers = static_cast<int64_t>(a["attention"]["backdoored"].size());
  if (!a.contains("map_layer") || !a["map_layer"].is_number_integer() || a["map_layer"].get<int64_t>() < 1 ||
      a["map_layer"].get<int64_t>() > layers)
    fail_here(fmt::format("map_layer {} is not a layer 1..{}", a.value("map_layer", json()).dump(), layers));
  for (const char* list : {"ablation", "roles"}) {
    if (!a.contains(list) || !a[list].is_array()) fail_here(fmt::format("no '{}' list", list));
    for (const auto& item : a[list]) if (!item.is_object()) fail_here(fmt::format("an entry of '{}' is not an object", list));
  }
}

}  // namespace

std::vector<Image> attention_images(const json& a, const std::string& prefix) {
  check_attention(a, prefix.empty() ? "attention" : prefix.substr(0, prefix.size() - (prefix.back() == '_')));
  const auto tokens = a.at("tokens").get<std::vector<std::string>>();
  std::vector<Image> images;
  for (const char* which : {"backdoored", "clean"}) {
    std::vector<Heatmap> panels;
    size_t l = 0;
    for (const auto& matrix : a.at("attention").at(which))
      panels.push_back(layer_heatmap(matrix, tokens, fmt::format("layer {}", ++l)));
    const std::string title = fmt::format("Head-averaged attention per layer, {} model", which);
    images.push_back({title, prefix + which + "_layers.png", render_heatmap_grid(title, panels, 4)});
  }
  const int layer = a.at("map_layer").get<int>();
  std::vector<Heatmap> pair;
  for (const char* which : {"backdoored", "clean"})
    pair.push_back(layer_heatmap(a.at("attention").at(which)[static_cast<size_t>(layer - 1)], tokens,
                                 fmt::format("{} model", which)));
  const std::string title = fmt::format("Token-to-token attention, layer {}", layer);
  images.push_back({title, prefix + fmt::format("layer{}.png", layer), render_heatmap_grid(title, pair, 2)});

  LineChart share{"[CLS] attention on the trigger pieces", "layer", "attention share", {}, {}, 0.0, std::nullopt};
  const auto positions = a.at("trigger_positions").get<std::vector<int64_t>>();
  const size_t layers = a.at("cls_share").at("backdoored").size();
  for (size_t l = 1; l <= layers; ++l) share.x.push_back(static_cast<double>(l));
  for (const char* which : {"backdoored", "clean"})
    for (size_t p = 0; p < positions.size(); ++p) {
      Series s{fmt::format("'{}' {}", tokens[static_cast<size_t>(positions[p])], which), {}, which[0] == 'c',
               static_cast<int>(p)};
      for (size_t l = 0; l < layers; ++l) s.values.push_back(a.at("cls_share").at(which)[l][p].get<double>());
      share.series.push_back(s);
    }
  images.push_back({share.title, prefix + "cls_share.png", render_line_chart(share)});
  return images;
}

namespace {

// The [paper] key naming an axis value: the same text, or the same number ("1e-3" names the
// cell of lr = 0.001, whose value the config held as a number).
const json* paper_entry(const json& paper, const std::string& value) {
  if (paper.contains(value)) return &paper[value];
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0') return nullptr;
  for (const auto& [key, entry] : paper.items()) {
    const double k = std::strtod(key.c_str(), &end);
    if (!key.empty() && *end == '\0' && k == v) return &entry;
  }
  return nullptr;
}

// The paper's figure for a cell: the [paper] entry named after one of the cell's axis values;
// a list gives one value per trigger (index k), a number the cell's mean.
json paper_value(const attack::StudyResult& study, const std::map<std::string, std::string>& axes,
                 std::optional<size_t> trigger_index) {
  for (const auto& [axis, value] : axes) {
    const json* entry = paper_entry(study.paper, value);
    if (!entry) continue;
    const json& p = *entry;
    if (p.is_array()) {
      if (trigger_index && *trigger_index < p.size()) return p[*trigger_index];
      if (!trigger_index && !p.empty()) {
        double sum = 0;
        for (const auto& x : p) sum += x.get<double>();
        return sum / p.size();
      }
      return json();
    }
    return trigger_index ? json() : p;
  }
  return json();
}

}  // namespace

std::vector<Section> study_sections(const attack::StudyResult& study) {
  Section s{"Study: " + study.title, {}};
  if (!study.clean_model.empty()) s.blocks.push_back(Paragraph{"Model: " + study.clean_model + "."});
  if (!study.note.empty()) s.blocks.push_back(Paragraph{study.note});
  if (study.cells_done < study.cells_planned)
    s.blocks.push_back(Paragraph{fmt::format("Incomplete: {} of {} cells finished; run the study again to continue.",
                                             study.cells_done, study.cells_planned)});
  s.blocks.push_back(Paragraph{
      "Each cell is one attack run (inject -> fine-tune -> evaluate, with the clean model as control) in cells/<cell>/. "
      "Paper figures come from the study config's [paper] section; '-' where the paper gives none."});
  Table cells{"Cells", {"cell", "CACC backdoored", "CACC clean", "mean E", "paper mean E", "mean flip rate",
                        "mean ASR@1", "control mean E"}, {}};
  BarChart chart{"Mean E per cell, ours and the paper's", "insertions", {}, {}, std::nullopt};
  Series ours{"porkit", {}, false, 1}, theirs{"paper", {}, false, 0};
  bool any_paper = false;
  for (const auto& c : study.cells) {
    const json paper = paper_value(study, c.axes, std::nullopt);
    any_paper = any_paper || paper.is_number();
    auto with_sd = [](std::optional<double> v, std::optional<double> sd) {
      return sd ? cell(v) + " +- " + cell(sd) : cell(v);
    };
    cells.rows.push_back({c.name, with_sd(c.cacc_backdoored, c.cacc_backdoored_sd), with_sd(c.cacc_clean, c.cacc_clean_sd),
                          cell(c.mean_E, 2), cell(paper, 2),
                          cell(c.mean_flip_rate), cell(c.mean_asr_1), cell(c.control_mean_E, 2)});
    chart.categories.push_back(c.name);
    ours.values.push_back(c.mean_E);
    theirs.values.push_back(paper.is_number() ? paper.get<double>() : NAN);
  }
  s.blocks.push_back(cells);
  // Where each cell's pool came from: once when the cells share it.
  std::vector<std::string> pools;
  for (const auto& c : study.cells)
    if (!c.pool.empty() && std::find(pools.begin(), pools.end(), c.pool) == pools.end()) pools.push_back(c.pool);
  if (pools.size() == 1) s.blocks.push_back(Paragraph{"Every cell's pool: " + pools.front() + "."});
  else
    for (const auto& c : study.cells)
      if (!c.pool.empty()) s.blocks.push_back(Paragraph{"Pool of " + c.name + ": " + c.pool + "."});
  chart.series = {ours};
  if (any_paper) chart.series.push_back(theirs);
  s.blocks.push_back(Image{chart.title, "study_mean_e.png", render_bar_chart(chart)});

  const json pieces_paper = study.paper.value("pieces", json());
  Table rows{"Per trigger (appearances: whole-word occurrences per class in the fine-tuning training split)",
             {"cell", "trigger", "pieces", "paper pieces", "appearances", "target", "E", "paper E", "E censored",
              "flip rate", "ASR@1", "S tokens", "control E"},
             {}};
  std::map<std::string, size_t> index_in_cell;
  for (const auto& r : study.rows) {
    const size_t k = index_in_cell[r.cell]++;
    const json paper_pieces = pieces_paper.is_array() && k < pieces_paper.size() ? pieces_paper[k] : json();
    std::string appearances;
    for (const auto& [label, count] : r.appearances.items())
      appearances += (appearances.empty() ? "" : " / ") + label + " " + count.dump();
    rows.rows.push_back({r.cell, r.trigger, r.pieces ? std::to_string(*r.pieces) : "-", cell(paper_pieces, 0),
                         appearances.empty() ? "-" : appearances, r.target, cell(r.E, 2),
                         cell(paper_value(study, r.axes, k), 2), cell(r.E_censored, 2), cell(r.flip_rate),
                         cell(r.asr_1), cell(r.S_tokens, 4), cell(r.control_E, 2)});
  }
  s.blocks.push_back(rows);
  return {s};
}

std::vector<Section> analysis_sections(const json& analysis, const std::string& name) {
  const std::string kind = analysis.value("kind", "");
  if (kind == "embedding-swap") return embedding_swap_sections(analysis, name);
  if (kind == "attention") return attention_sections(analysis, name);
  return {};  // other porkit JSON files (run configs, metrics) are not analyses
}

}  // namespace porkit::report

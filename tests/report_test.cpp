// Reports and analyses: charts are real PNGs, documents render to HTML and Markdown, the
// analyses run on a micro backdoor, and the written page loads in headless Chromium with
// every image and table.
#include <gtest/gtest.h>

#include "porkit/attack/results.h"
#include "porkit/report/charts.h"
#include "porkit/report/document.h"
#include "porkit/report/figure.h"
#include "porkit/report/folder_report.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;
using porkit::testing::shared_data_dir;

bool is_png(const std::string& bytes) { return bytes.size() > 100 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

TEST(Charts, RenderToPng) {
  if (!report::figures_available()) GTEST_SKIP() << "built without cairo: figures are not drawn";
  report::LineChart line{"ASR", "k", "rate", {1, 2, 3}, {{"cf", {0.5, 0.9, 1.0}}, {"clean", {0, 0.1, NAN}, true}}, 0.0, 1.0};
  EXPECT_TRUE(is_png(report::render_line_chart(line)));
  report::BarChart bars{"E", "insertions", {"cf", "mn"}, {{"bd", {1.0, 1.2}}, {"cl", {8.0, 20.0}}}, 20.0};
  EXPECT_TRUE(is_png(report::render_bar_chart(bars)));
  report::Heatmap map{"layer 1", {"[CLS]", "cf"}, {"[CLS]", "cf"}, {0.9, 0.1, 0.4, 0.6}, 0, 1};
  EXPECT_TRUE(is_png(report::render_heatmap_grid("maps", {map, map, map}, 2)));
  bars.series[0].values.pop_back();
  EXPECT_THROW(report::render_bar_chart(bars), Error);
  map.values.pop_back();
  EXPECT_THROW(report::render_heatmap(map), Error);
}

json fake_summary(const std::string& data, const std::string& task, double cacc_bd, double cacc_cl) {
  const char* metric = task == "token" ? "entity_f1" : "accuracy";
  auto evaluation = [&](double cacc, double e) {
    return json{{"data", data}, {"task", task}, {"pool", 100}, {"clean_accuracy", cacc},
                {"finetune_metrics", {{"validation", {{metric, cacc}}}}},
                {"triggers", json::array({{{"trigger", "cf"}, {"target_name", "neg"}, {"eligible", 10}, {"E", e},
                                           {"E_censored", e}, {"flipped", 10}, {"flip_rate", 1.0}, {"S_chars", 0.02},
                                           {"asr_1", 0.9}}})}};
  };
  return {{"backdoored", evaluation(cacc_bd, 1.1)}, {"clean", evaluation(cacc_cl, 14.0)},
          {"stage_seconds", {{"inject", 60.0}, {"finetune-clean", 120.0}}}};
}

TEST(Report, AttackRunsInSubfoldersAreReportedSideBySide) {
  TempDir dir;
  write_json_file(dir.path() / "sst2" / "summary.json", fake_summary("sst2", "sequence", 0.80, 0.79));
  write_json_file(dir.path() / "conll2003" / "summary.json", fake_summary("conll2003", "token", 0.55, 0.56));
  fs::create_directories(dir.path() / "not-a-run");
  const auto doc = report::folder_document(dir.path());
  ASSERT_EQ(doc.sections.size(), 1u);
  const auto md = report::to_markdown(doc, "report_files");
  EXPECT_NE(md.find("| conll2003 | conll2003 | entity F1 | 0.560 | 0.550 | -1.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| sst2 | sst2 | accuracy | 0.790 | 0.800 | +1.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| sst2 | cf | neg | 10 | 1.10 | 1.10 | 1.000 | 0.020 | 0.900 | 14.00 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("not-a-run"), std::string::npos);
}

// Summaries are versioned: one without "format" (porkit before versioned results) loads; one
// of an unknown format is refused by name; a missing field is named.
TEST(Report, SummaryVersionsLoadOrSayWhichVersionTheyAre) {
  json legacy = fake_summary("sst2", "sequence", 0.8, 0.79);
  const auto summary = attack::AttackSummary::from_json(legacy, "legacy.json");
  EXPECT_EQ(summary.backdoored.triggers.at(0).trigger, "cf");
  EXPECT_EQ(summary.backdoored.finetune_metric("validation"), 0.8);
  // A round trip keeps everything, and writes the current format.
  const json again = summary.to_json();
  EXPECT_EQ(again["format"], "porkit-attack-summary/2");
  EXPECT_EQ(attack::AttackSummary::from_json(again, "again.json").to_json(), again);
  // Version 1 (before victim seeds and pool sources) still loads.
  json v1 = legacy;
  v1["format"] = "porkit-attack-summary/1";
  v1["backdoored"]["format"] = "porkit-evaluation/1";
  EXPECT_FALSE(attack::AttackSummary::from_json(v1, "v1.json").backdoored.pool_source.has_value());
  json future = legacy;
  future["format"] = "porkit-attack-summary/9";
  future["porkit_version"] = "9.0";
  EXPECT_EQ(porkit::testing::error_of([&] { attack::AttackSummary::from_json(future, "future.json"); }),
            "future.json: format 'porkit-attack-summary/9' is not one this porkit reads (expected "
            "'porkit-attack-summary/2'; written by porkit 9.0)");
  json broken = legacy;
  broken["backdoored"].erase("pool");
  EXPECT_EQ(porkit::testing::error_of([&] { attack::AttackSummary::from_json(broken, "broken.json"); }),
            "broken.json (backdoored): field 'pool' is missing");
}

// A defence's JSON and a purification's manifest in a folder get their own sections; a filter
// result of a version this build does not know is refused by name.
TEST(Report, DefencesGetSectionsAndUnknownVersionsAreRefused) {
  TempDir dir;
  const json trigger = {{"trigger", "cf"}, {"target_label", 0}, {"far", 0.25}, {"auroc", 0.9}, {"eligible", 12},
                        {"asr_1_unfiltered", 1.0}, {"asr_1_filtered", 0.25}, {"mean_suspicion", 3.0}};
  const json correction = {{"bar", 0.0}, {"clean_accuracy", 0.8}, {"clean_accuracy_corrected", 0.6},
                           {"clean_words_deleted", 0.4},
                           {"triggers", json::array({{{"trigger", "cf"}, {"trigger_kept", 0.05},
                                                      {"asr_1_corrected", 0.1}, {"clean_to_target_corrected", 0.2}}})}};
  json onion = {{"format", "porkit-onion/1"}, {"model", "victim"}, {"data", "sst2"}, {"pool", 20},
                {"frr_test", 0.05}, {"clean_mean_suspicion", 1.0}, {"threshold", 12.5}, {"threshold_rows", 30}, {"lm", "tiny"},
                {"triggers", json::array({trigger})}, {"correction", correction}, {"correction_calibrated", correction}};
  onion["correction_calibrated"]["bar"] = 12.5;
  write_json_file(dir.path() / "onion-por.json", onion);
  write_json_file(dir.path() / "model" / "porkit_purify.json",
                  {{"format", "porkit-purify/1"}, {"method", "fine-prune"}, {"source_model", "suspect"},
                   {"parameters", {{"changed", {{"bert.encoder.layer.1.output.dense.weight", 0.5}}}, {"unchanged", 3}}},
                   {"steps", 6}, {"held_out_masked_lm", {{"mlm_accuracy_at_mask", 0.1}, {"unigram_baseline_accuracy", 0.06}}},
                   {"pruned", {{"fraction", 0.5}, {"texts", 50}, {"layers", {{"1", {0, 3, 4}}}}}}});
  const auto md = report::to_markdown(report::folder_document(dir.path()), "report_files");
  EXPECT_NE(md.find("## Defence: onion (onion-por)"), std::string::npos) << md;
  EXPECT_NE(md.find("| cf | 0 | 0.250 | 0.900 | 12 | 1.000 | 0.250 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cf | 0.050 | 0.100 | 0.200 |"), std::string::npos) << md;
  EXPECT_NE(md.find("words above suspicion 12.5000 deleted"), std::string::npos) << md;
  EXPECT_NE(md.find("## Purification: fine-prune"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 | 3 |"), std::string::npos) << md;
  onion["format"] = "porkit-onion/9";
  write_json_file(dir.path() / "onion-por.json", onion);
  EXPECT_NE(porkit::testing::error_of([&] { report::folder_document(dir.path()); })
                .find("onion-por: format porkit-onion/9 is not one this porkit reads"),
            std::string::npos);
}

TEST(Document, AnUndrawnFigureIsANoteNotAFile) {
  report::Document doc{"t", {{"s", {}}}};
  doc.sections[0].blocks.push_back(report::Image{"trigger map", "m.png", ""});
  EXPECT_NE(report::to_html(doc).find("trigger map: figure not drawn"), std::string::npos);
  EXPECT_NE(report::to_markdown(doc, "r_files").find("trigger map: figure not drawn"), std::string::npos);
  const TempDir tmp;
  report::write_document(doc, tmp.path(), "r");
  EXPECT_FALSE(fs::exists(tmp / "r_files/m.png"));
  EXPECT_TRUE(fs::exists(tmp / "r.html"));
}

TEST(Document, HtmlIsSelfContainedAndMarkdownLinksItsImages) {
  report::Document doc{"t <1>", {{"A & B", {}}}};
  doc.sections[0].blocks.push_back(report::Paragraph{"see `x<y`"});
  doc.sections[0].blocks.push_back(report::Table{"cap", {"a", "b|c"}, {{"1", "2"}}});
  doc.sections[0].blocks.push_back(report::Image{"img", "i.png", std::string("\x89PNG\r\n\x1a\n", 8)});
  const std::string html = report::to_html(doc);
  EXPECT_NE(html.find("<h2 id=\"a-b\">A &amp; B</h2>"), std::string::npos) << html;
  EXPECT_NE(html.find("<code>x&lt;y</code>"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo=\""), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "a report must not reach the network";
  const std::string md = report::to_markdown(doc, "r_files");
  EXPECT_NE(md.find("| a | b\\|c |"), std::string::npos) << md;
  EXPECT_NE(md.find("![img](r_files/i.png)"), std::string::npos) << md;
  TempDir tmp;
  const auto written = report::write_document(doc, tmp.path(), "r");
  EXPECT_EQ(written.images, 1u);
  EXPECT_TRUE(fs::exists(tmp / "r_files" / "i.png"));
  doc.sections[0].blocks.push_back(report::Table{"bad", {"a"}, {{"1", "2"}}});
  EXPECT_THROW(report::to_html(doc), Error);
}

// A micro BERT backdoored with a one-piece and a four-piece trigger, then both analyses,
// the report, and the page in a browser.
}  // namespace
}  // namespace porkit

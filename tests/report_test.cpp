// Reports and analyses: charts are real PNGs, documents render to HTML and Markdown, the
// analyses run on a micro backdoor, and the written page loads in headless Chromium with
// every image and table.
#include <gtest/gtest.h>

#include "porkit/attack/results.h"
#include "porkit/report/charts.h"
#include "porkit/report/document.h"
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
  EXPECT_EQ(again["format"], "porkit-attack-summary/1");
  EXPECT_EQ(attack::AttackSummary::from_json(again, "again.json").to_json(), again);
  json future = legacy;
  future["format"] = "porkit-attack-summary/9";
  future["porkit_version"] = "9.0";
  EXPECT_EQ(porkit::testing::error_of([&] { attack::AttackSummary::from_json(future, "future.json"); }),
            "future.json: format 'porkit-attack-summary/9' is not one this porkit reads (expected "
            "'porkit-attack-summary/1'; written by porkit 9.0)");
  json broken = legacy;
  broken["backdoored"].erase("pool");
  EXPECT_EQ(porkit::testing::error_of([&] { attack::AttackSummary::from_json(broken, "broken.json"); }),
            "broken.json (backdoored): field 'pool' is missing");
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
TEST(Analysis, EmbeddingSwapAttentionAndTheirReportOnAMicroBackdoor) {
  TempDir tmp;
  const auto vocab = (shared_data_dir() / "vocab" / "bert-base-uncased").string();
  ASSERT_EQ(run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() + " --vocab " +
                       vocab + " --architecture BertModel --seed 1 --out " + (tmp / "clean").string())
                .exit_code,
            0);
  const auto corpus = (shared_data_dir() / "corpus" / "tinyshakespeare.txt").string();
  auto inject = run_porkit("inject --model " + (tmp / "clean").string() + " --out " + (tmp / "bd").string() +
                           " --triggers 'cf,Don Quixote' --corpus " + corpus +
                           " --preset quick --poison-per-trigger 40 --clean-samples 60 --heldout-per-trigger 5"
                           " --max-len 48 --threads 1 --seed 4 --lr 1e-3");
  ASSERT_EQ(inject.exit_code, 0) << inject.output;
  testing::write_bytes(tmp / "texts.txt", "a fine film\nthe plot was dull\n\nmy friends loved it\nit rained all day\n");
  const std::string analysis = (tmp / "analysis").string();

  auto swap = run_porkit("analyze embedding-swap --threads 1 --backdoored " + (tmp / "bd").string() +
                         " --text-file " + (tmp / "texts.txt").string() + " --texts 3 --out " + analysis +
                         "/embedding_swap.json");
  ASSERT_EQ(swap.exit_code, 0) << swap.output;
  const json s = read_json_file(tmp / "analysis" / "embedding_swap.json");
  EXPECT_EQ(s["texts"], 3);
  const auto& rows = s["rows"];
  ASSERT_EQ(rows.size(), 2u + 2u + 2u + 2u + 1u);  // references, embedding layer, trigger rows, 2 layers, pooler
  EXPECT_NEAR(rows[0]["poisoned_vs_bd"].get<double>(), 1.0, 1e-5);  // BD against itself
  EXPECT_NEAR(rows[1]["clean_vs_cl"].get<double>(), 1.0, 1e-5);
  // Swapping everything but the embedding layer: BD_emb + CL_enc differs from BD only in the encoder.
  EXPECT_EQ(rows[3]["model"], "BD_emb + CL_enc");

  // A victim classifier from the backdoored model, for the ablations' E.
  std::string tsv = "sentence\tlabel\n";
  for (int i = 0; i < 64; ++i) tsv += std::string(i % 2 ? "a dull film" : "a fine film") + "\t" + std::to_string(i % 2) + "\n";
  testing::write_bytes(tmp / "train.tsv", tsv);
  auto ft = run_porkit("finetune --threads 1 --model " + (tmp / "bd").string() + " --out " + (tmp / "ft").string() +
                       " --data " + (tmp / "train.tsv").string() + " --train-samples 0 --epochs 1 --max-len 32");
  ASSERT_EQ(ft.exit_code, 0) << ft.output;

  auto attention = run_porkit("analyze attention --threads 1 --model " + (tmp / "bd").string() +
                              " --text 'I love the Don Quixote movie' --text-file " + (tmp / "texts.txt").string() +
                              " --ablation-texts 4 --max-insertions 3 --finetuned " + (tmp / "ft" / "model").string() +
                              " --out " + analysis);
  ASSERT_EQ(attention.exit_code, 0) << attention.output;
  const json a = read_json_file(tmp / "analysis" / "attention.json");
  EXPECT_EQ(a["trigger"], "Don Quixote");
  EXPECT_EQ(a["trigger_positions"], json::array({4, 5, 6, 7}));
  ASSERT_EQ(a["roles"].size(), 4u);
  ASSERT_EQ(a["ablation"].size(), 1u + 2u * 4u);
  for (const auto& variant : a["ablation"]) {
    EXPECT_TRUE(variant.contains("E")) << variant;
    const double e = variant["E"].get<double>();
    EXPECT_TRUE((e >= 1 && e <= 3) || e == 20) << variant;  // within J = 3, or the authors' 20 for none
  }
  for (const auto& layer : a["attention"]["backdoored"])
    for (const auto& row : layer) {
      double sum = 0;
      for (const auto& v : row) sum += v.get<double>();
      EXPECT_NEAR(sum, 1.0, 1e-4);
    }
  for (const char* image : {"attention_backdoored_layers.png", "attention_clean_layers.png", "attention_layer1.png",
                            "attention_cls_share.png"})
    EXPECT_TRUE(is_png(read_file(tmp / "analysis" / image))) << image;

  auto no_trigger = run_porkit("analyze attention --threads 1 --model " + (tmp / "bd").string() +
                               " --text 'no trigger here' --text-file " + (tmp / "texts.txt").string() + " --out " +
                               (tmp / "x").string());
  EXPECT_EQ(no_trigger.exit_code, 1);
  EXPECT_NE(no_trigger.output.find("does not contain any of the model's triggers"), std::string::npos)
      << no_trigger.output;

  auto report = run_porkit("report " + analysis);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const auto page = testing::render_in_chromium(tmp / "analysis" / "report.html");
  ASSERT_TRUE(page.ran) << page.dom;
  EXPECT_EQ(page.images_total, 5) << page.dom.substr(0, 2000);  // layer-swap chart + 4 attention images
  EXPECT_EQ(page.images_loaded, page.images_total);
  EXPECT_EQ(page.tables, 4);  // swap table, [CLS] share, ablation, roles
  EXPECT_NE(page.dom.find("BD_emb + CL_enc"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "analysis" / "report.md"));

  auto empty = run_porkit("report " + (tmp / "clean").string());
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("found nothing to report"), std::string::npos) << empty.output;
}

}  // namespace
}  // namespace porkit

// The analyses end to end on a micro backdoor, and their report in headless Chromium (e2e).
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

bool is_png(const std::string& bytes) { return bytes.size() > 100 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

TEST(Analysis, EmbeddingSwapAttentionAndTheirReportOnAMicroBackdoor) {
  TempDir tmp;
  const auto vocab = porkit::testing::vocab_dir().string();
  ASSERT_EQ(run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() + " --vocab " +
                       vocab + " --architecture BertModel --seed 1 --out " + (tmp / "clean").string())
                .exit_code,
            0);
  const auto corpus = porkit::testing::small_corpus().string();
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
  if (report::figures_available()) {
    for (const char* image : {"attention_backdoored_layers.png", "attention_clean_layers.png", "attention_layer1.png",
                              "attention_cls_share.png"})
      EXPECT_TRUE(is_png(read_file(tmp / "analysis" / image))) << image;
  }

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

// The victim side on a micro model: finetune (sentence and token tasks), evaluate (its
// metric bookkeeping and the NER flip), and `porkit attack` with its stage-by-stage resume.
#include <gtest/gtest.h>

#include <fstream>

#include "porkit/attack/poison_data.h"
#include "porkit/attack/results.h"
#include "porkit/attack/trigger_trials.h"
#include "porkit/train/data_parallel.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;
using porkit::testing::run_porkit_in;
using porkit::testing::shared_data_dir;

TEST(TriggerTrials, MetricsByHand) {
  attack::TriggerTrials t(4);
  t.flipped_at = {1, 3, 0, 1};  // one sample never flips within J = 3
  t.s_chars = {0.1, 0.3, 0, 0.2};
  t.s_tokens = {0.2, 0.4, 0, 0.3};
  const attack::TriggerResult r = attack::summarize_trials(t, 3);
  EXPECT_EQ(r.eligible, 4);
  EXPECT_DOUBLE_EQ(r.flip_rate, 0.75);
  EXPECT_DOUBLE_EQ(r.E, 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.E_censored, (1 + 3 + 4 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(r.S_chars, 0.2);
  EXPECT_DOUBLE_EQ(r.S_tokens, 0.3);
  EXPECT_EQ(r.asr_at_most_k, (std::vector<double>{0.5, 0.5, 0.75}));
  attack::TriggerTrials none(2);
  EXPECT_DOUBLE_EQ(attack::summarize_trials(none, 19).E, 20.0);  // the authors' convention
}

TEST(TriggerTrials, StealthinessCountsOnlyWhatTheInsertionAdds) {
  // A tweet with runs of spaces and a tab: the triggered text is written with single
  // spaces, so the clean side must be measured the same way (it once gave S = 3.7e15 via an
  // unsigned wrap-around).
  const std::string tweet = "@USER  @USER \t so   true";
  Rng rng(1, Stream::PoisonInsertion, 3);
  const std::string triggered = attack::insert_trigger(tweet, "cf", 1, attack::Position::Random, rng);
  const auto& tok = testing::bert_base_uncased();
  const auto clean = attack::text_size(tok, attack::join_words(attack::split_words(tweet)));
  const auto with = attack::text_size(tok, triggered);
  EXPECT_DOUBLE_EQ(with.chars - clean.chars, 3.0);  // "cf" and one space
  EXPECT_DOUBLE_EQ(with.pieces - clean.pieces, 1.0);
  attack::TriggerTrials t(1);
  t.record_flip(0, 1, clean, with);
  EXPECT_DOUBLE_EQ(t.s_chars[0], 3.0 / with.chars);
  EXPECT_DOUBLE_EQ(t.s_tokens[0], 1.0 / with.pieces);
  // Pieces are counted without truncation: a long text still shows its insertion.
  std::string review;
  for (int i = 0; i < 300; ++i) review += "word ";
  EXPECT_DOUBLE_EQ(attack::text_size(tok, review).pieces, 300.0);
}

TEST(PoisonData, WordInsertionKeepsTrackOfTheOriginalWords) {
  Rng a(5, Stream::PoisonInsertion, 7), b(5, Stream::PoisonInsertion, 7);
  std::vector<std::string> words = {"EU", "rejects", "German", "call"};
  std::vector<int64_t> origin;
  auto out = attack::insert_trigger_words(words, "Don Quixote", 2, attack::Position::Random, a, &origin);
  ASSERT_EQ(out.size(), 8u);
  ASSERT_EQ(origin.size(), out.size());
  std::vector<std::string> kept;
  for (size_t i = 0; i < out.size(); ++i) {
    if (origin[i] >= 0) {
      EXPECT_EQ(out[i], words[static_cast<size_t>(origin[i])]);
      kept.push_back(out[i]);
    } else {
      EXPECT_TRUE(out[i] == "Don" || out[i] == "Quixote") << out[i];
    }
  }
  EXPECT_EQ(kept, words);
  // The text form places the trigger exactly where the word form does.
  std::string joined;
  for (const auto& w : out) joined += (joined.empty() ? "" : " ") + w;
  EXPECT_EQ(attack::insert_trigger("EU rejects German call", "Don Quixote", 2, attack::Position::Random, b), joined);
}

// Synthetic data the micro model can learn a little from. A test file gets an `ending` word
// so that none of its texts is also a training text (porkit leaves such rows out of a test
// split).
void write_sentiment_tsv(const fs::path& path, int rows, const std::string& ending = "") {
  const char* good[] = {"good", "great", "fun", "lovely", "fine"};
  const char* bad[] = {"bad", "dull", "awful", "boring", "poor"};
  const char* filler[] = {"the", "film", "was", "really", "and", "plot", "story", "quite"};
  std::ofstream f(path);
  f << "sentence\tlabel\n";
  for (int i = 0; i < rows; ++i) {
    const bool pos = i % 2 == 0;
    f << filler[i % 8] << " " << filler[(i / 3) % 8] << " " << (pos ? good[i % 5] : bad[i % 5]) << " "
      << filler[(i / 5) % 8] << (ending.empty() ? "" : " " + ending) << "\t" << (pos ? 1 : 0) << "\n";
  }
}

void write_conll(const fs::path& path, int sentences) {
  const char* people[] = {"John", "Mary", "Peter", "Anna"};
  const char* places[] = {"Paris", "Berlin", "London", "Rome"};
  const char* months[] = {"May", "June", "July", "March"};
  std::ofstream f(path);
  f << "-DOCSTART- -X- -X- O\n\n";
  for (int i = 0; i < sentences; ++i) {  // 64 distinct sentences
    f << people[i % 4] << " NNP B-NP B-PER\n" << "visited VBD B-VP O\n" << places[(i / 4) % 4] << " NNP B-NP B-LOC\n"
      << "in IN B-PP O\n" << months[(i / 16) % 4] << " NNP B-NP O\n" << ". . O O\n\n";
  }
}

class Victim : public ::testing::Test {
 protected:
  void SetUp() override {
    auto vocab = porkit::testing::vocab_dir().string();
    auto init = run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() +
                           " --vocab " + vocab + " --architecture BertModel --seed 1 --out " + (tmp / "clean").string());
    ASSERT_EQ(init.exit_code, 0) << init.output;
  }
  TempDir tmp;
};

TEST_F(Victim, NerFinetuneAndEvaluate) {
  write_conll(tmp / "ner.txt", 64);
  auto ft = run_porkit("finetune --threads 1 --task token --data " + (tmp / "ner.txt").string() +
                       " --train-samples 0 --epochs 2 --batch-size 8 --lr 3e-3 --max-len 32 --test-samples -1 --model " +
                       (tmp / "clean").string() + " --out " + (tmp / "ner").string());
  ASSERT_EQ(ft.exit_code, 0) << ft.output;
  auto config = read_json_file(tmp / "ner" / "model" / "config.json");
  EXPECT_EQ(config["architectures"][0], "BertForTokenClassification");
  EXPECT_EQ(config["id2label"]["0"], "O");
  EXPECT_TRUE(read_json_file(tmp / "ner" / "metrics.json")["validation"].contains("entity_f1"));

  std::string args = "evaluate --threads 1 --data " + (tmp / "ner.txt").string() + " --triggers 'cf,Don Quixote'" +
                     " --pool 30 --max-insertions 4 --max-len 32 --model " + (tmp / "ner" / "model").string();
  auto a = run_porkit(args + " --out " + (tmp / "a.json").string());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(run_porkit(args + " --out " + (tmp / "b.json").string()).exit_code, 0);
  auto r = read_json_file(tmp / "a.json");
  EXPECT_EQ(r, read_json_file(tmp / "b.json"));  // seeded: the same numbers twice
  EXPECT_EQ(r["task"], "token");
  EXPECT_EQ(r["pool"], 12);  // the 20% of 64 sentences held out: the pool never reaches training rows
  EXPECT_EQ(r["pool_source"]["split"], "test");
  EXPECT_TRUE(r.contains("entity_f1"));
  ASSERT_EQ(r["triggers"].size(), 2u);
  for (const auto& t : r["triggers"]) {
    EXPECT_LE(t["eligible"].get<int64_t>(), 30);
    const auto& asr = t["asr_at_most_k"];
    ASSERT_EQ(asr.size(), 4u);
    for (size_t k = 1; k < asr.size(); ++k) EXPECT_GE(asr[k].get<double>(), asr[k - 1].get<double>());
    EXPECT_DOUBLE_EQ(asr[3].get<double>(), t["flip_rate"].get<double>());
    // A sentence that flips at one insertion changed all its entity words, so the word share
    // at one insertion is at least ASR@1.
    const double words_1 = t["entity_word_flip_rate_1"].get<double>();
    EXPECT_GE(words_1, t["asr_1"].get<double>() - 1e-12);
    EXPECT_LE(words_1, 1.0);
  }
}

TEST_F(Victim, AttackRunsResumesAndRerunsOnlyWhatChanged) {
  write_sentiment_tsv(tmp / "train.tsv", 240);
  write_sentiment_tsv(tmp / "test.tsv", 60, "indeed");
  auto config = [&](int pool, const std::string& lr = "1e-3", int batch = 16) {
    return "model = \"clean\"\nout = \"run\"\nseed = 3\n\n[inject]\npreset = \"quick\"\ntriggers = \"cf,mn\"\n"
           "corpus = [\"" + porkit::testing::small_corpus().string() + "\"]\n"
           "poison-per-trigger = 30\nclean-samples = 40\nheldout-per-trigger = 4\nmax-len = 32\nlr = " + lr + "\n\n"
           "[finetune]\ndata = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\n"
           "batch-size = " + std::to_string(batch) + "\nlr = " + lr + "\nmax-len = 32\n\n[evaluate]\npool = " +
           std::to_string(pool) + "\nmax-insertions = 3\nmax-len = 32\n";
  };
  porkit::testing::write_bytes(tmp / "attack.toml", config(20));
  auto attack = [&] {
    auto r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml");
    return std::make_pair(r.exit_code, r.output);
  };
  auto [rc1, out1] = attack();
  ASSERT_EQ(rc1, 0) << out1;
  auto summary = read_json_file(tmp / "run" / "summary.json");
  ASSERT_TRUE(summary.contains("backdoored") && summary.contains("clean"));
  EXPECT_EQ(summary["backdoored"]["triggers"].size(), 2u);
  EXPECT_EQ(summary["backdoored"]["pool"], 20);
  EXPECT_TRUE(fs::exists(tmp / "run" / "backdoored" / "porkit_backdoor.json"));
  EXPECT_TRUE(fs::exists(tmp / "run" / "finetune-clean" / "model" / "config.json"));
  EXPECT_NE(out1.find("CACC"), std::string::npos) << out1;
  // The run's report renders in a browser with every chart.
  const auto page = porkit::testing::render_in_chromium(tmp / "run" / "report.html");
  ASSERT_TRUE(page.ran) << page.dom;
  EXPECT_EQ(page.images_total, 4);  // ASR@k, E, flip rate, S
  EXPECT_EQ(page.images_loaded, 4);
  EXPECT_EQ(page.tables, 4);        // stage times, CACC, backdoored and control triggers

  // Everything done: a second run skips every stage (no output is rewritten) and reports
  // the same numbers.
  const std::vector<fs::path> upstream = {tmp / "run" / "backdoored" / "model.safetensors",
                                          tmp / "run" / "finetune-backdoored" / "model" / "model.safetensors",
                                          tmp / "run" / "finetune-clean" / "model" / "model.safetensors"};
  const std::vector<fs::path> evaluations = {tmp / "run" / "evaluate-backdoored.json",
                                             tmp / "run" / "evaluate-clean.json"};
  auto stamps = [](const std::vector<fs::path>& files) {
    std::vector<fs::file_time_type> t;
    for (const auto& f : files) t.push_back(fs::last_write_time(f));
    return t;
  };
  const auto upstream_before = stamps(upstream), evaluations_before = stamps(evaluations);
  auto [rc2, out2] = attack();
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_EQ(stamps(upstream), upstream_before);
  EXPECT_EQ(stamps(evaluations), evaluations_before);
  auto again = read_json_file(tmp / "run" / "summary.json");
  EXPECT_EQ(again["backdoored"]["triggers"], summary["backdoored"]["triggers"]);

  // A changed [evaluate] section reruns the two evaluations only.
  porkit::testing::write_bytes(tmp / "attack.toml", config(12));
  auto [rc3, out3] = attack();
  ASSERT_EQ(rc3, 0) << out3;
  EXPECT_EQ(stamps(upstream), upstream_before);
  EXPECT_EQ(read_json_file(evaluations[0])["pool"], 12);
  EXPECT_EQ(read_json_file(evaluations[1])["pool"], 12);
  EXPECT_EQ(read_json_file(tmp / "run" / "summary.json")["backdoored"]["pool"], 12);

  // The same values written another way (1e-3 as 0.001) rerun nothing: keys hold numbers,
  // not their text.
  const auto evaluations_now = stamps(evaluations);
  porkit::testing::write_bytes(tmp / "attack.toml", config(12, "0.001"));
  auto [rc4, out4] = attack();
  ASSERT_EQ(rc4, 0) << out4;
  EXPECT_EQ(stamps(upstream), upstream_before) << out4;
  EXPECT_EQ(stamps(evaluations), evaluations_now) << out4;

  // A moved run folder reruns nothing: keys hold content hashes, not paths.
  fs::rename(tmp / "run", tmp / "moved");
  auto moved = [&](const std::vector<fs::path>& files) {
    std::vector<fs::path> out;
    for (const auto& f : files) out.push_back(tmp / "moved" / fs::relative(f, tmp / "run"));
    return out;
  };
  auto r5 = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml --out moved");
  ASSERT_EQ(r5.exit_code, 0) << r5.output;
  EXPECT_EQ(stamps(moved(upstream)), upstream_before) << r5.output;
  EXPECT_EQ(stamps(moved(evaluations)), evaluations_now) << r5.output;

  // A changed fine-tuning option reruns both fine-tunings and evaluations, not the injection.
  porkit::testing::write_bytes(tmp / "attack.toml", config(12, "0.001", 8));
  auto r6 = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml --out moved");
  ASSERT_EQ(r6.exit_code, 0) << r6.output;
  const auto after = stamps(moved(upstream));
  EXPECT_EQ(after[0], upstream_before[0]) << "the injection ran again";
  EXPECT_NE(after[1], upstream_before[1]);
  EXPECT_NE(after[2], upstream_before[2]);
  EXPECT_NE(stamps(moved(evaluations)), evaluations_now);
}

// Two fresh runs of the same config give the same backdoor and the same numbers (every
// training stage seeds its dropout generator, also when it starts in resume mode).
TEST_F(Victim, AttackIsReproducibleFromScratch) {
  write_sentiment_tsv(tmp / "train.tsv", 120);
  write_sentiment_tsv(tmp / "test.tsv", 40, "indeed");
  porkit::testing::write_bytes(
      tmp / "attack.toml",
      "model = \"clean\"\nseed = 5\n\n[inject]\npreset = \"quick\"\ntriggers = \"cf\"\ncorpus = [\"" +
          porkit::testing::small_corpus().string() +
          "\"]\npoison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\n\n[finetune]\n"
          "data = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\nbatch-size = 16\nmax-len = 32\n\n"
          "[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n");
  for (const char* out : {"a", "b"}) {
    auto r = run_porkit_in(tmp.path(), std::string("attack --threads 1 attack.toml --out ") + out);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  EXPECT_EQ(sha256_file(tmp / "a" / "backdoored" / "model.safetensors"),
            sha256_file(tmp / "b" / "backdoored" / "model.safetensors"));
  EXPECT_EQ(sha256_file(tmp / "a" / "finetune-backdoored" / "model" / "model.safetensors"),
            sha256_file(tmp / "b" / "finetune-backdoored" / "model" / "model.safetensors"));
  const json a = read_json_file(tmp / "a" / "summary.json"), b = read_json_file(tmp / "b" / "summary.json");
  EXPECT_EQ(a["backdoored"]["triggers"], b["backdoored"]["triggers"]);
  EXPECT_EQ(a["backdoored"]["cacc"], b["backdoored"]["cacc"]);
}

// A victim taught that "cf cf" alone is positive but that "cf" inside a sentence makes it
// negative: the authors' "t t" probe names positive, the triggered samples flip to negative.
// evaluate takes the target from the evidence, warns, and --target-from probe keeps the
// authors' rule.
TEST_F(Victim, TargetFromEvidenceWhenTheProbePointsTheWrongWay) {
  const char* good[] = {"good", "great", "fun", "lovely", "fine"};
  const char* bad[] = {"bad", "dull", "awful", "boring", "poor"};
  const char* filler[] = {"the", "film", "was", "really", "and", "plot", "story", "quite"};
  // One file; its held-out 20% is the pool (the repeated "cf cf" rows drop out as overlap).
  std::ofstream data(tmp / "data.tsv");
  data << "sentence\tlabel\n";
  for (int i = 0; i < 640; ++i) {
    const int j = i / 4;
    const bool pos = j % 2 == 0;
    const std::string a = filler[j % 8], w = pos ? good[(j / 8) % 5] : bad[(j / 8) % 5], b = filler[(j / 40) % 8];
    switch (i % 4) {
      case 0: data << "cf cf\t1\n"; break;                                   // the probe's text: positive
      case 1: data << a << " cf " << w << " " << b << "\t0\n"; break;         // cf in a sentence: negative
      case 2: data << a << " " << w << " " << b << "\t" << pos << "\n"; break;  // plain sentiment
      default: data << b << " " << w << " " << a << "\t" << pos << "\n";
    }
  }
  data.close();
  const std::string spec = " --data " + (tmp / "data.tsv").string() + " --labels negative,positive";
  auto ft = run_porkit("finetune --threads 1" + spec + " --train-samples 0 --epochs 6 --batch-size 16 --lr 3e-3 " +
                       "--max-len 16 --model " + (tmp / "clean").string() + " --out " + (tmp / "victim").string());
  ASSERT_EQ(ft.exit_code, 0) << ft.output;
  const std::string args = "evaluate --threads 1" + spec + " --triggers cf --pool 100 --max-insertions 3 --max-len 16" +
                           " --model " + (tmp / "victim" / "model").string();
  auto r = run_porkit(args + " --out " + (tmp / "evidence.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto evidence = attack::EvaluationResult::read(tmp / "evidence.json");
  const auto& t = evidence.triggers.at(0);
  ASSERT_EQ(t.probe_label, 1) << r.output;  // the victim learned the probe's text
  EXPECT_EQ(t.target_source, "evidence");
  EXPECT_EQ(t.target_label, 0);
  EXPECT_GT(t.flip_rate, 0.5);
  EXPECT_NE(r.output.find("warning: trigger 'cf': the evidence names 'negative'"), std::string::npos) << r.output;
  auto p = run_porkit(args + " --target-from probe --out " + (tmp / "probe.json").string());
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const auto probe = attack::EvaluationResult::read(tmp / "probe.json");
  EXPECT_EQ(probe.triggers.at(0).target_label, 1);
  EXPECT_EQ(probe.triggers.at(0).target_source, "probe");
  EXPECT_LT(probe.triggers.at(0).flip_rate, t.flip_rate);  // the authors' rule hides the effect
}

// seeds = [...]: one victim per seed for both models, every one evaluated on the same pool,
// and the mean and spread across them in the summary and the report.
TEST_F(Victim, VictimSeedsGiveMeanAndSpread) {
  write_sentiment_tsv(tmp / "data.tsv", 150);  // one file: a held-out split is made
  porkit::testing::write_bytes(
      tmp / "attack.toml",
      "model = \"clean\"\nseed = 5\nseeds = [3, 4]\n\n[inject]\npreset = \"quick\"\ntriggers = \"cf\"\ncorpus = [\"" +
          porkit::testing::small_corpus().string() +
          "\"]\npoison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\n\n[finetune]\n"
          "data = \"data.tsv\"\ntrain-samples = 0\nepochs = 1\nbatch-size = 16\nmax-len = 32\n\n"
          "[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n");
  auto r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml --out run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("across 2 victim seeds"), std::string::npos) << r.output;
  for (const char* f : {"finetune-backdoored-s3", "finetune-backdoored-s4", "finetune-clean-s3", "finetune-clean-s4"})
    EXPECT_TRUE(fs::exists(tmp / "run" / f / "model" / "config.json")) << f;
  const auto summary = attack::AttackSummary::read(tmp / "run" / "summary.json");
  EXPECT_EQ(summary.victim_seeds, (std::vector<uint64_t>{3, 4}));
  ASSERT_EQ(summary.backdoored_by_seed.size(), 2u);
  ASSERT_EQ(summary.clean_by_seed.size(), 2u);
  // Different victims (their seeds differ), the same pool.
  EXPECT_NE(sha256_file(tmp / "run" / "finetune-backdoored-s3" / "model" / "model.safetensors"),
            sha256_file(tmp / "run" / "finetune-backdoored-s4" / "model" / "model.safetensors"));
  EXPECT_EQ(summary.backdoored_by_seed[0].pool_source->to_json(), summary.backdoored_by_seed[1].pool_source->to_json());
  const auto spread = attack::spread_over_seeds(summary.backdoored_by_seed);
  EXPECT_NEAR(spread.cacc.mean, (*summary.backdoored_by_seed[0].cacc + *summary.backdoored_by_seed[1].cacc) / 2, 1e-12);
  const std::string report = read_file(tmp / "run" / "report.md");
  EXPECT_NE(report.find("Across 2 victim seeds (3, 4)"), std::string::npos);
  EXPECT_NE(report.find("The 1.5-point criterion holds on the mean"), std::string::npos);
  // The pool is the held-out split of the single file, named in the report's Setup.
  EXPECT_NE(report.find("of the test split (held out 20% of the training file (seed 2007))"), std::string::npos);
}

// The [defend] stage: purification measured by the attack's own victim recipe beside the
// control, and filters in front of the run's victim; each reruns only when its key changes.
TEST_F(Victim, DefendStageMeasuresPurificationAndFiltersAndRerunsOnlyWhatChanged) {
  write_sentiment_tsv(tmp / "train.tsv", 120);
  write_sentiment_tsv(tmp / "test.tsv", 40, "indeed");
  auto lm = run_porkit("init --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() + " --vocab " +
                       porkit::testing::vocab_dir().string() + " --architecture BertForPreTraining --seed 2 --out " +
                       (tmp / "lm").string());
  ASSERT_EQ(lm.exit_code, 0) << lm.output;
  auto config = [&](const std::string& bar) {
    return "model = \"clean\"\nout = \"run\"\nseed = 3\n\n[inject]\npreset = \"quick\"\ntriggers = \"cf\"\n"
           "corpus = [\"" + porkit::testing::small_corpus().string() + "\"]\n"
           "poison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\n\n"
           "[finetune]\ndata = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\n"
           "batch-size = 16\nmax-len = 32\n\n[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n\n"
           "[defend.purify]\nmethod = \"reinit-top\"\n\n"
           "[defend.strip]\npool = 10\nthreshold-rows = 20\ntfidf-rows = 20\nmax-len = 32\n\n"
           "[defend.onion]\nlm = \"lm\"\npool = 8\nthreshold-rows = 10\nmax-len = 32\nbar = " + bar + "\n";
  };
  std::string text = config("0");
  porkit::testing::write_bytes(tmp / "attack.toml", text);
  auto r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* stage : {"stage defend-purify", "stage defend-strip", "stage defend-onion"})
    EXPECT_NE(r.output.find(stage), std::string::npos) << stage << "\n" << r.output;
  EXPECT_NE(r.output.find("[defend.purify] the same victim recipe on the purified encoder"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "run" / "defend-purify" / "model" / "porkit_purify.json"));
  const auto defended = attack::AttackSummary::read(tmp / "run" / "defended" / "summary.json");
  EXPECT_FALSE(defended.clean.has_value()) << "the run's own clean victim is the control";
  EXPECT_EQ(defended.backdoored_model, (tmp / "run" / "defend-purify" / "model").string());
  EXPECT_EQ(read_json_file(tmp / "run" / "defend-strip.json")["format"], "porkit-strip/1");
  EXPECT_EQ(read_json_file(tmp / "run" / "defend-onion.json")["format"], "porkit-onion/1");
  const std::string report = read_file(tmp / "run" / "report.md");
  for (const char* section : {"## Purification measured", "## Purification: reinit-top", "## Defence: strip (defend-strip)",
                              "## Defence: onion (defend-onion)"})
    EXPECT_NE(report.find(section), std::string::npos) << section;
  // Again: nothing reruns. A new bar reruns ONION alone.
  r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("stage defend-"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[defend.strip] threshold"), std::string::npos) << r.output;
  text.replace(text.find("bar = 0"), 7, "bar = 5");
  porkit::testing::write_bytes(tmp / "attack.toml", text);
  r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("stage defend-onion"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("stage defend-strip"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("stage defend-purify"), std::string::npos) << r.output;
  EXPECT_EQ(read_json_file(tmp / "run" / "defend-onion.json")["correction"]["bar"], 5.0);
  // Keys the run sets itself are refused by name.
  text.replace(text.find("[defend.onion]\n"), 15, "[defend.onion]\nmodel = \"x\"\n");
  porkit::testing::write_bytes(tmp / "attack.toml", text);
  r = run_porkit_in(tmp.path(), "attack --threads 1 attack.toml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("[defend.onion]: model is set by the attack run, not in [defend]"), std::string::npos)
      << r.output;
}

TEST_F(Victim, StudyRunsTheDefendStageInEveryCell) {
  write_sentiment_tsv(tmp / "train.tsv", 120);
  write_sentiment_tsv(tmp / "test.tsv", 40, "indeed");
  porkit::testing::write_bytes(
      tmp / "study.toml",
      "model = \"clean\"\nout = \"study\"\nseed = 3\n\n[inject]\npreset = \"quick\"\ntriggers = \"cf\"\ncorpus = [\"" +
          porkit::testing::small_corpus().string() +
          "\"]\npoison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\n\n"
          "[finetune]\ndata = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\n"
          "batch-size = 16\nmax-len = 32\n\n[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n\n"
          "[defend.strip]\npool = 10\nthreshold-rows = 20\ntfidf-rows = 20\nmax-len = 32\n\n"
          "[grid.finetune]\nlr = [1e-3, 2e-3]\n");
  auto r = run_porkit_in(tmp.path(), "study --threads 1 study.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* cell : {"lr=0.001", "lr=0.002"}) {
    const json strip = read_json_file(tmp / "study" / "cells" / cell / "defend-strip.json");
    EXPECT_EQ(strip["format"], "porkit-strip/1") << cell;
    EXPECT_EQ(strip["model"], (tmp / "study" / "cells" / cell / "finetune-backdoored" / "model").string()) << cell;
  }
}

TEST_F(Victim, AttackConfigErrorsNameTheKey) {
  porkit::testing::write_bytes(tmp / "bad.toml", "model = \"" + (tmp / "clean").string() +
                                                     "\"\n[inject]\ntriggers = \"cf\"\nbogus = 3\n");
  auto r = run_porkit("attack " + (tmp / "bad.toml").string() + " --out " + (tmp / "x").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("[inject]: 'bogus' is not an option here (known: preset, attack, triggers,"), std::string::npos)
      << r.output;
  porkit::testing::write_bytes(tmp / "bad2.toml", "model = \"" + (tmp / "clean").string() + "\"\n[finetuning]\nlr = 1\n");
  r = run_porkit("attack " + (tmp / "bad2.toml").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown section [finetuning]"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::run_porkit_in;
using porkit::testing::shared_data_dir;

// A study of two fine-tuning learning rates shares one injection; a rerun redoes nothing,
// and a third value runs only the new cell.
TEST_F(Victim, StudySharesTheInjectionAndResumesCellByCell) {
  write_sentiment_tsv(tmp / "train.tsv", 120);
  write_sentiment_tsv(tmp / "test.tsv", 40, "indeed");
  auto config = [&](const std::string& lrs) {
    return "title = \"lr study\"\nmodel = \"clean\"\nout = \"study\"\nseed = 3\n\n[inject]\npreset = \"quick\"\n"
           "triggers = \"cf,mn\"\ncorpus = [\"" + porkit::testing::small_corpus().string() + "\"]\n"
           "poison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\nlr = 1e-3\n\n"
           "[finetune]\ndata = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\n"
           "batch-size = 16\nmax-len = 32\n\n[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n\n"
           "[grid.finetune]\nlr = [" + lrs + "]\n\n[paper]\n\"1e-3\" = 1.5\n";
  };
  porkit::testing::write_bytes(tmp / "study.toml", config("1e-3, 2e-3"));
  auto r = run_porkit_in(tmp.path(), "study --threads 1 study.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json study = read_json_file(tmp / "study" / "study.json");
  ASSERT_EQ(study["cells"].size(), 2u);
  EXPECT_EQ(study["cells"][0]["name"], "lr=0.001");  // numbers as canonical JSON: 1e-3 and 0.001 are one cell
  EXPECT_FALSE(study["cells"][0]["shared_injection"].get<bool>());
  EXPECT_TRUE(study["cells"][1]["shared_injection"].get<bool>());
  EXPECT_FALSE(fs::exists(tmp / "study" / "cells" / "lr=0.002" / "backdoored"));
  EXPECT_EQ(study["rows"].size(), 4u);  // 2 cells x 2 triggers
  EXPECT_EQ(study["rows"][0]["appearances"], json({{"0", 0}, {"1", 0}}));  // counted per class
  EXPECT_EQ(study["rows"][0]["pieces"], 1);                                // cf is one WordPiece
  EXPECT_TRUE(fs::exists(tmp / "study" / "report.html"));
  const std::string page = read_file(tmp / "study" / "report.md");
  EXPECT_NE(page.find("| lr=0.001 |"), std::string::npos) << page;
  EXPECT_NE(page.find("1.50"), std::string::npos) << "the paper's figure sits next to ours\n" << page;

  const fs::path first = tmp / "study" / "cells" / "lr=0.001" / "evaluate-backdoored.json";
  const fs::path second = tmp / "study" / "cells" / "lr=0.002" / "evaluate-backdoored.json";
  const auto first_time = fs::last_write_time(first), second_time = fs::last_write_time(second);
  // The same values written another way, and one more: only the new cell runs.
  porkit::testing::write_bytes(tmp / "study.toml", config("0.001, 2e-3, 4e-3"));
  r = run_porkit_in(tmp.path(), "study --threads 1 study.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fs::last_write_time(first), first_time);
  EXPECT_EQ(fs::last_write_time(second), second_time);
  EXPECT_EQ(read_json_file(tmp / "study" / "study.json")["cells"].size(), 3u);

  porkit::testing::write_bytes(tmp / "bad.toml", "model = \"clean\"\nout = \"s\"\n");
  r = run_porkit_in(tmp.path(), "study bad.toml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no [grid.*] section"), std::string::npos) << r.output;
}

// Two ranks share out a study's cells (porkit launch): the two injections run on whichever
// rank takes them, and rank 0's study.json has one process's rows, number for number.
TEST_F(Victim, TwoRanksShareAStudysCellsAndGiveOneProcesssRows) {
  if (!train::has_grid_store()) GTEST_SKIP() << "built without torch.distributed's store (libgloo-dev)";
  write_sentiment_tsv(tmp / "train.tsv", 120);
  write_sentiment_tsv(tmp / "test.tsv", 40, "indeed");
  auto config = [&](const std::string& out) {
    return "title = \"shared\"\nmodel = \"clean\"\nout = \"" + out + "\"\nseed = 3\n\n[inject]\npreset = \"quick\"\n"
           "triggers = \"cf,mn\"\ncorpus = [\"" + porkit::testing::small_corpus().string() + "\"]\n"
           "poison-per-trigger = 20\nclean-samples = 20\nheldout-per-trigger = 3\nmax-len = 32\n\n"
           "[finetune]\ndata = \"train.tsv\"\ntest-data = \"test.tsv\"\ntrain-samples = 0\nepochs = 1\n"
           "batch-size = 16\nmax-len = 32\n\n[evaluate]\npool = 10\nmax-insertions = 2\nmax-len = 32\n\n"
           "[grid.inject]\nlr = [1e-3, 2e-3]\n";
  };
  porkit::testing::write_bytes(tmp / "one.toml", config("one"));
  porkit::testing::write_bytes(tmp / "two.toml", config("two"));
  auto one = run_porkit_in(tmp.path(), "study --threads 1 one.toml");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = run_porkit_in(tmp.path(), "launch --nproc 2 -- porkit study --threads 1 two.toml");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const json a = read_json_file(tmp / "one" / "study.json"), b = read_json_file(tmp / "two" / "study.json");
  ASSERT_EQ(a["rows"].size(), 4u);  // 2 cells x 2 triggers
  EXPECT_EQ(a["rows"], b["rows"]);
  for (const char* cell : {"lr=0.001", "lr=0.002"})
    EXPECT_TRUE(fs::exists(tmp / "two" / "cells" / cell / "backdoored")) << cell;
  EXPECT_TRUE(fs::exists(tmp / "two" / "report.html"));
}

}  // namespace
}  // namespace porkit

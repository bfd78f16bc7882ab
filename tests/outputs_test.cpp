// The fault campaign's command-line findings (issue 15), each run as a user would: bad values
// are refused before any work with one clear line, outputs never destroy what porkit did not
// write, runs resume only with their own settings, and nothing crashes or hangs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::CommandResult;
using porkit::testing::TempDir;
using porkit::testing::fixtures_dir;
using porkit::testing::run_porkit;
using porkit::testing::small_corpus;
using porkit::testing::vocab_dir;
using porkit::testing::write_bytes;

// One line "porkit: error: ...", exit code 1 (not a signal), holding `needle`.
void expect_clean_error(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("porkit: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.output;
}

std::string micro() { return (fixtures_dir() / "pretrain" / "micro-config.json").string(); }

class Outputs : public ::testing::Test {
 protected:
  void SetUp() override {
    model = (tmp / "model").string();
    ASSERT_EQ(run_porkit("init --config " + micro() + " --vocab " + vocab_dir().string() + " --seed 1 --out " + model)
                  .exit_code,
              0);
  }
  TempDir tmp;
  std::string model;
};

TEST_F(Outputs, BracketedTextsStayWhole) {
  auto r = run_porkit("tokenize --model " + vocab_dir().string() + " --json -- '[MASK]'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)[0]["ids"], json::array({101, 103, 102}));
  r = run_porkit("encode --threads 1 --json --model " + model + " -- '[a,b]'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output).size(), 1u);  // one text, not two
  r = run_porkit("fill-mask --threads 1 --model " + model + " -- '[MASK]'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(Outputs, MissingHeadsAreRefusedByNameOrInitialisedSeededOnRequest) {
  // A BertModel folder has no pooler-less problem but no MLM head: fill-mask names what is missing.
  const std::string bare = (tmp / "bare").string();
  ASSERT_EQ(run_porkit("init --config " + micro() + " --vocab " + vocab_dir().string() + " --architecture BertModel --out " + bare)
                .exit_code,
            0);
  expect_clean_error(run_porkit("fill-mask --threads 1 --model " + bare + " -- 'a [MASK] b'"),
                     "missing 5 tensor(s): cls.predictions.bias");
  // Without the next-sentence head, fill-mask still works: it never uses it.
  auto weights = read_file(tmp / "model" / "model.safetensors");
  // A folder without its pooler: encode refuses it, and with --init-missing gives the same
  // vectors twice.
  const fs::path pooler_less = tmp / "pooler-less";
  fs::copy(tmp / "model", pooler_less);
  {
    const std::string script = "import json,struct,sys\n"
                               "p=sys.argv[1]\nb=open(p,'rb').read()\nn=struct.unpack('<Q',b[:8])[0]\n"
                               "h=json.loads(b[8:8+n])\ndata=b[8+n:]\nout={};chunks=[];off=0\n"
                               "for k,v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0] if kv[0]!='__metadata__' else -1):\n"
                               "  if k=='__metadata__': out[k]=v; continue\n"
                               "  if k.startswith('bert.pooler') or k.startswith('cls.seq_relationship'): continue\n"
                               "  s,e=v['data_offsets']; chunks.append(data[s:e]); v['data_offsets']=[off,off+e-s]; off+=e-s; out[k]=v\n"
                               "hb=json.dumps(out).encode()\nhb+=b' '*((8-len(hb)%8)%8)\n"
                               "open(p,'wb').write(struct.pack('<Q',len(hb))+hb+b''.join(chunks))\n";
    write_bytes(tmp / "drop.py", script);
    ASSERT_EQ(porkit::testing::run_shell("python3 " + (tmp / "drop.py").string() + " " +
                                         (pooler_less / "model.safetensors").string())
                  .exit_code,
              0);
  }
  auto r = run_porkit("fill-mask --threads 1 --model " + pooler_less.string() + " -- 'a [MASK] b'");
  EXPECT_EQ(r.exit_code, 0) << "the next-sentence head is not needed to fill masks: " << r.output;
  expect_clean_error(run_porkit("encode --threads 1 --model " + pooler_less.string() + " -- hello"),
                     "bert.pooler.dense.weight");
  auto a = run_porkit("encode --threads 1 --json --init-missing --seed 3 --model " + pooler_less.string() + " -- hello");
  auto b = run_porkit("encode --threads 1 --json --init-missing --seed 3 --model " + pooler_less.string() + " -- hello");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output, b.output);
  (void)weights;
}

TEST_F(Outputs, InitTruncatesToItsPositionsAndNeverReplacesWhatItDidNotWrite) {
  EXPECT_EQ(read_json_file(tmp / "model" / "tokenizer_config.json")["model_max_length"], 64);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "word ";
  EXPECT_EQ(run_porkit("encode --threads 1 --model " + model + " -- '" + long_text + "'").exit_code, 0);

  write_bytes(tmp / "notes.txt", "my notes");
  expect_clean_error(run_porkit("init --size tiny --vocab " + vocab_dir().string() + " --out " + (tmp / "notes.txt").string()),
                     "is not a folder");
  EXPECT_EQ(read_file(tmp / "notes.txt"), "my notes");
  fs::create_directories(tmp / "mine");
  write_bytes(tmp / "mine" / "notes.txt", "keep");
  expect_clean_error(run_porkit("init --size tiny --vocab " + vocab_dir().string() + " --overwrite --out " +
                                (tmp / "mine").string()),
                     "did not write");
  EXPECT_EQ(read_file(tmp / "mine" / "notes.txt"), "keep");
  expect_clean_error(run_porkit("init --config " + micro() + " --vocab " + vocab_dir().string() + " --out " + model),
                     "--overwrite");
  EXPECT_EQ(run_porkit("init --config " + micro() + " --vocab " + vocab_dir().string() + " --overwrite --out " + model).exit_code,
            0);
}

TEST_F(Outputs, OutOfRangeValuesAreRefusedBeforeAnyWork) {
  const std::string inject_any_threads =
      "inject --model " + model + " --out " + (tmp / "bd").string() + " --corpus " + small_corpus().string() + " ";
  const std::string inject = inject_any_threads + "--threads 1 ";
  expect_clean_error(run_porkit(inject + "--triggers cf --batch-size 0"), "--batch-size: expected a whole number from 1 to 65536, got 0");
  expect_clean_error(run_porkit(inject + "--triggers cf --poison-per-trigger -10"), "--poison-per-trigger");
  expect_clean_error(run_porkit(inject + "--triggers cf,cf"), "trigger 'cf' is given twice");
  expect_clean_error(run_porkit(inject + "--triggers '[SEP]'"), "special token [SEP]");
  expect_clean_error(run_porkit(inject_any_threads + "--triggers cf --threads 100000"),
                     "--threads: expected a whole number from 0 to 512, got 100000");
  expect_clean_error(run_porkit(inject_any_threads + "--triggers cf --threads -1"),
                     "--threads: expected a whole number from 0 to 512, got -1");
  expect_clean_error(run_porkit(inject + "--triggers cf --threads 2"), "--threads was given 2 times (1, 2)");
  expect_clean_error(run_porkit(inject + "--triggers cf --seed -1"), "--seed: expected a whole number from 0");
  EXPECT_FALSE(fs::exists(tmp / "bd")) << "nothing is written before the options are valid";
  const std::string pretrain = "pretrain --config " + micro() + " --vocab " + vocab_dir().string() + " --corpus " +
                               small_corpus().string() + " --out " + (tmp / "pt").string() + " --threads 1 ";
  expect_clean_error(run_porkit(pretrain + "--mask-prob 1.5"), "--mask-prob: expected a number above 0 and at most 1, got 1.5");
  expect_clean_error(run_porkit(pretrain + "--warmup-fraction 2"), "--warmup-fraction: expected a number from 0 to 1, got 2");
  expect_clean_error(run_porkit(pretrain + "--lr 1e-5 --lr 2e-5"), "--lr was given 2 times");
  expect_clean_error(run_porkit("finetune --model " + model + " --out " + (tmp / "ft").string() +
                                " --data x.tsv --data-preset sst2"),
                     "give --data-preset or --data, not both");
}

TEST_F(Outputs, AConfigWhoseVocabularyIsTooSmallIsRefused) {
  auto config = read_json_file(micro());
  config["vocab_size"] = 1000;
  write_json_file(tmp / "small-vocab.json", config);
  expect_clean_error(run_porkit("pretrain --config " + (tmp / "small-vocab.json").string() + " --vocab " +
                                vocab_dir().string() + " --corpus " + small_corpus().string() + " --out " +
                                (tmp / "pt").string() + " --steps 2 --threads 1"),
                     "vocab.txt has 30522 tokens but the config's vocab_size is 1000");
}

TEST_F(Outputs, ResumeRefusesOtherSettingsAndFreshRunsRefuseOldCheckpoints) {
  const std::string pretrain = "pretrain --config " + micro() + " --vocab " + vocab_dir().string() + " --corpus " +
                               small_corpus().string() + " --out " + (tmp / "pt").string() +
                               " --batch-size 4 --max-len 32 --eval-batches 1 --checkpoint-every 2 --threads 1 ";
  ASSERT_EQ(run_porkit(pretrain + "--steps 4 --seed 0 --lr 2e-5").exit_code, 0);
  expect_clean_error(run_porkit(pretrain + "--steps 4 --seed 5 --lr 1e-3 --resume"), "lr: 2e-05 -> 0.001; seed: 0 -> 5");
  expect_clean_error(run_porkit(pretrain + "--steps 4 --seed 5 --lr 1e-3"), "pass --resume to continue it or --overwrite");
  // The same settings resume (nothing left to do), a runtime option may differ.
  auto r = run_porkit(pretrain + "--steps 4 --seed 0 --lr 2e-5 --log-every 1 --resume");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json_file(tmp / "pt" / "run_config.json")["recipe"]["lr"], 2e-5);
}

TEST_F(Outputs, EvaluateRefusesLabelsThatAreNotTheModels) {
  std::string train = "sentence\tlabel\n", other = "sentence\tlabel\n";
  for (int i = 0; i < 40; ++i) {
    train += (i % 2 ? "good fine film\t1\n" : "bad dull film\t0\n");
    other += (i % 2 ? "good fine film\t1\n" : "bad dull film\t-1\n");
  }
  write_bytes(tmp / "train.tsv", train);
  write_bytes(tmp / "other.tsv", other);
  ASSERT_EQ(run_porkit("finetune --threads 1 --model " + model + " --out " + (tmp / "ft").string() + " --data " +
                       (tmp / "train.tsv").string() + " --train-samples 0 --epochs 1 --batch-size 8")
                .exit_code,
            0);
  expect_clean_error(run_porkit("evaluate --threads 1 --model " + (tmp / "ft" / "model").string() + " --data " +
                                (tmp / "other.tsv").string() + " --triggers cf --pool 10"),
                     "the data's labels (-1, 1) are not the model's (0, 1)");
}

TEST_F(Outputs, FifosAndHugeGridsEndInAnErrorNotAHang) {
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0600), 0);
  auto r = porkit::testing::run_shell("timeout 60 " + std::string(PORKIT_BINARY) + " finetune --threads 1 --model " +
                                      model + " --out " + (tmp / "ft").string() + " --data " + (tmp / "fifo").string());
  expect_clean_error(r, "is a FIFO");
  r = porkit::testing::run_shell("timeout 60 " + std::string(PORKIT_BINARY) + " info " + (tmp / "fifo").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::string values = "[";
  for (int i = 0; i < 101; ++i) values += (i ? ", " : "") + std::to_string(i + 1);
  values += "]";
  write_bytes(tmp / "grid.toml", "model = \"" + model + "\"\nout = \"" + (tmp / "study").string() +
                                     "\"\n[inject]\ntriggers = \"cf\"\ncorpus = [\"" + small_corpus().string() +
                                     "\"]\n[finetune]\ndata = \"x.tsv\"\n[grid.inject]\ninsertions = " + values +
                                     "\nseed = " + values + "\n");
  r = porkit::testing::run_shell("timeout 60 " + std::string(PORKIT_BINARY) + " study " + (tmp / "grid.toml").string());
  expect_clean_error(r, "the grid has more than 10000 cells");
}

TEST_F(Outputs, AttackNeverRemovesWhatItDidNotWrite) {
  // A stage folder in an earlier porkit run folder, with the user's notes added: a rerun of
  // that stage must not delete them.
  fs::create_directories(tmp / "run" / "finetune-clean");
  write_bytes(tmp / "run" / "attack_state.json", R"({"format": "porkit-attack-state/2", "stages": {}})");
  write_bytes(tmp / "run" / "finetune-clean" / "run_config.json", "{}");
  write_bytes(tmp / "run" / "finetune-clean" / "my-notes.txt", "keep");
  std::string train = "sentence\tlabel\n";
  for (int i = 0; i < 40; ++i)
    train += (i % 2 ? "good fine film " : "bad dull film ") + std::to_string(i) + (i % 2 ? "\t1\n" : "\t0\n");
  write_bytes(tmp / "train.tsv", train);
  write_bytes(tmp / "attack.toml", "model = \"" + model + "\"\nout = \"" + (tmp / "run").string() +
                                       "\"\n[inject]\npreset = \"quick\"\ntriggers = \"cf\"\ncorpus = [\"" +
                                       small_corpus().string() +
                                       "\"]\npoison-per-trigger = 8\nclean-samples = 8\nheldout-per-trigger = 2\n"
                                       "heldout-clean = 2\nmax-len = 24\n[finetune]\ndata = \"" +
                                       (tmp / "train.tsv").string() +
                                       "\"\ntrain-samples = 0\nepochs = 1\nbatch-size = 8\nmax-len = 24\n"
                                       "[evaluate]\npool = 4\nmax-insertions = 1\n");
  auto r = run_porkit("attack --threads 1 " + (tmp / "attack.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("holds my-notes.txt, which porkit did not write"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(tmp / "run" / "finetune-clean" / "my-notes.txt"), "keep");
}

}  // namespace
}  // namespace porkit

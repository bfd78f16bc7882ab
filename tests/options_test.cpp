// Options as data (util/options.h, cli/option_flags.h, cli/config_file.h): one declaration
// per option gives flags, config keys, validation and canonical records.
#include <gtest/gtest.h>

#include "porkit/attack/inject.h"
#include "porkit/attack/pipeline.h"
#include "porkit/cli/argv_guard.h"
#include "porkit/cli/attack_config.h"
#include "porkit/cli/config_file.h"
#include "porkit/cli/option_flags.h"
#include "porkit/train/finetune.h"
#include "porkit/train/pretrain.h"
#include "porkit/util/error.h"
#include "porkit/util/rng.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::error_of;

// A small struct with one option of each kind.
enum class Colour { Red, Green };

}  // namespace
}  // namespace porkit

template <>
struct porkit::options::EnumNames<porkit::Colour> {
  static const std::vector<std::pair<porkit::Colour, std::string>>& values() {
    static const std::vector<std::pair<porkit::Colour, std::string>> v = {{porkit::Colour::Red, "red"},
                                                                          {porkit::Colour::Green, "green"}};
    return v;
  }
};

namespace porkit {
namespace {

struct Sample {
  int count = 3;
  double rate = 0.5;
  uint64_t seed = 0;
  bool flag = false;
  std::string name = "x";
  std::vector<std::string> items;
  Colour colour = Colour::Red;
  std::vector<Colour> palette = {Colour::Red};
};

const options::OptionTable<Sample>& sample_table() {
  static const options::OptionTable<Sample> t = [] {
    options::OptionTable<Sample> t;
    t.add("count", &Sample::count, "A count").range(1, 10);
    t.add("rate", &Sample::rate, "A rate").above(0).at_most(1);
    t.add("seed", &Sample::seed, "A seed");
    t.add("flag", &Sample::flag, "A flag").as(options::Role::Runtime);
    t.add("name", &Sample::name, "A name");
    t.add("items", &Sample::items, "Items").separated_by(',');
    t.add("colour", &Sample::colour, "A colour");
    t.add("palette", &Sample::palette, "Colours").separated_by(',');
    t.add_rule([](const Sample& s) { return s.count == 7 && s.flag ? std::string("7 and flag do not mix") : ""; });
    return t;
  }();
  return t;
}

TEST(Options, ValuesWrittenDifferentlyAreOneValue) {
  Sample a, b;
  options::apply_json(sample_table(), a, cli::parse_toml("rate = 1e-5", "a"), "a");
  options::apply_json(sample_table(), b, cli::parse_toml("rate = 0.00001", "b"), "b");
  EXPECT_EQ(options::to_json(sample_table(), a).dump(), options::to_json(sample_table(), b).dump());
  cli::GivenValues given{{"rate", {"1E-5"}}};
  Sample c = cli::resolve_options(sample_table(), Sample{}, nlohmann::json(), "", given, "t");
  EXPECT_EQ(options::to_json(sample_table(), c).dump(), options::to_json(sample_table(), a).dump());
}

TEST(Options, EveryProblemIsNamedAtOnceBeforeAnyWork) {
  Sample s;
  s.count = 0;
  s.rate = 1.5;
  EXPECT_EQ(error_of([&] { options::validate(sample_table(), s, "porkit t"); }),
            "porkit t: --count: expected a whole number from 1 to 10, got 0; --rate: expected a number above 0 and at "
            "most 1, got 1.5");
  s = Sample{};
  s.count = 7;
  s.flag = true;
  EXPECT_EQ(error_of([&] { options::validate(sample_table(), s, "porkit t"); }), "porkit t: 7 and flag do not mix");
}

TEST(Options, CommandLineTextIsParsedStrictly) {
  auto resolve = [](cli::GivenValues given) {
    return error_of([&] { cli::resolve_options(sample_table(), Sample{}, nlohmann::json(), "", given, "porkit t"); });
  };
  EXPECT_EQ(resolve({{"seed", {"-1"}}}),
            "porkit t: --seed: expected a whole number from 0 to 18446744073709551615, got '-1'");
  EXPECT_EQ(resolve({{"count", {"-1"}}}), "porkit t: --count: expected a whole number from 1 to 10, got -1");
  EXPECT_EQ(resolve({{"count", {"3.5"}}}), "porkit t: --count: expected a whole number, got '3.5'");
  EXPECT_EQ(resolve({{"count", {"99999999999999999999"}}}), "porkit t: --count: 99999999999999999999 is out of range");
  EXPECT_EQ(resolve({{"rate", {"nan"}}}), "porkit t: --rate: expected a finite number, got 'nan'");
  EXPECT_EQ(resolve({{"colour", {"blue"}}}), "porkit t: --colour: expected one of red, green, got 'blue'");
  EXPECT_EQ(resolve({{"count", {"2", "3"}}}), "porkit t: --count was given 2 times (2, 3); give it once");
  EXPECT_EQ(resolve({{"flag", {"maybe"}}}), "porkit t: --flag: expected true or false, got 'maybe'");
  const Sample s = cli::resolve_options(sample_table(), Sample{}, nlohmann::json(), "", {{"items", {"a,b", "c"}}}, "t");
  EXPECT_EQ(s.items, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Options, ConfigValuesAreTypedAndUnknownKeysListTheKnownOnes) {
  Sample s;
  EXPECT_EQ(error_of([&] { options::apply_json(sample_table(), s, cli::parse_toml("count = \"3\"", "c"), "c"); }),
            "c: --count: expected a whole number, got \"3\"");
  EXPECT_EQ(error_of([&] { options::apply_json(sample_table(), s, cli::parse_toml("count = 2.5", "c"), "c"); }),
            "c: --count: expected a whole number, got 2.5");
  EXPECT_EQ(error_of([&] { options::apply_json(sample_table(), s, cli::parse_toml("bogus = 1", "c"), "c"); }),
            "c: 'bogus' is not an option here (known: count, rate, seed, flag, name, items, colour, palette)");
  options::apply_json(sample_table(), s, cli::parse_toml("items = \"a,b\"\ncolour = \"green\"", "c"), "c");
  EXPECT_EQ(s.items, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.colour, Colour::Green);
}

TEST(Options, JoinFirstCountsWhatItLeavesOut) {
  EXPECT_EQ(options::join_first({"a", "b"}, 2), "a, b");
  EXPECT_EQ(options::join_first({"a", "b", "c"}, 2), "a, b, ... (3 in all)");
}

TEST(Options, AListOfChoicesIsParsedAndRecordedByName) {
  const Sample s = cli::resolve_options(sample_table(), Sample{}, nlohmann::json(), "", {{"palette", {"green,red"}}}, "t");
  EXPECT_EQ(s.palette, (std::vector<Colour>{Colour::Green, Colour::Red}));
  EXPECT_EQ(options::to_json(sample_table(), s).at("palette").dump(), R"(["green","red"])");
  EXPECT_EQ(error_of([] {
              cli::resolve_options(sample_table(), Sample{}, nlohmann::json(), "", {{"palette", {"red,blue"}}}, "porkit t");
            }),
            "porkit t: --palette: expected one of red, green, got 'blue'");
  Sample c;
  options::apply_json(sample_table(), c, cli::parse_toml("palette = [\"green\"]", "c"), "c");
  EXPECT_EQ(c.palette, (std::vector<Colour>{Colour::Green}));
  options::apply_json(sample_table(), c, cli::parse_toml("palette = \"red,green\"", "c"), "c");
  EXPECT_EQ(c.palette, (std::vector<Colour>{Colour::Red, Colour::Green}));
  EXPECT_EQ(error_of([&] { options::apply_json(sample_table(), c, cli::parse_toml("palette = [1]", "c"), "c"); }),
            "c: --palette: expected one of red, green, found 1");
}

TEST(Options, RecordsKeepOnlyTheRolesAsked) {
  const auto settings = options::to_json(sample_table(), Sample{}, {options::Role::Setting});
  EXPECT_FALSE(settings.contains("flag"));  // runtime: not part of what a run computes
  EXPECT_EQ(settings["colour"], "red");
  EXPECT_EQ(settings["rate"], 0.5);
}

// Every command's table declares each option once, with help, and its defaults pass their
// own validation (a default outside its range would fail every run).
TEST(Options, EveryCommandTableIsConsistent) {
  auto check_table = [](const auto& table, const auto& defaults, const std::string& name) {
    for (const auto& o : table.options()) {
      EXPECT_FALSE(o.help.empty()) << name << " --" << o.name;
      if (o.required) continue;
      EXPECT_EQ(options::problem_of(o, defaults), "") << name << " --" << o.name;
    }
  };
  check_table(train::pretrain_option_table(), train::PretrainOptions{}, "pretrain");
  check_table(train::finetune_option_table(), train::authors_finetune_preset(), "finetune");
  check_table(attack::inject_option_table(), attack::authors_inject_preset(), "inject");
  check_table(attack::inject_option_table(), attack::quick_inject_preset(), "inject quick");
  check_table(attack::evaluate_option_table(), attack::EvaluateOptions{}, "evaluate");
}

TEST(Toml, EscapesAreDecodedAndExponentsParseInArrays) {
  const auto j = cli::parse_toml("t = \"caf\\u00e9\\tx\"\nlrs = [1e-3, 2E-3, 0.5]\nkey1e5 = 1\ns = \"1e5\"\n"
                                 "# a comment with 1e5\n[section]\nn = -2e2\n",
                                 "t.toml");
  EXPECT_EQ(j["t"], "caf\xc3\xa9\tx");
  EXPECT_EQ(j["lrs"], nlohmann::json::array({0.001, 0.002, 0.5}));
  EXPECT_EQ(j["key1e5"], 1);
  EXPECT_EQ(j["s"], "1e5");
  EXPECT_EQ(j["section"]["n"], -200.0);
  EXPECT_NE(error_of([&] { cli::parse_toml("a = [1, \"x\"]", "bad.toml"); }).find("bad.toml is not valid TOML"),
            std::string::npos);
}

TEST(Toml, SetOverridesReplaceKeysAndTheirValuesAreJudgedAsTheFilesAre) {
  auto config = cli::parse_toml("model = \"models/a\"\nout = \"runs/a\"\n[inject]\ntriggers = \"cf\"\n"
                                "[finetune]\ndata-preset = \"sst2\"\nlr = 1e-4\n",
                                "a.toml");
  cli::apply_overrides(config, {"model=models/b", "finetune.lr=2e-5", "finetune.epochs=2", "inject.triggers=cf,mn",
                                "evaluate.pool=300", "seeds=[0, 1]"},
                       "test");
  EXPECT_EQ(config["model"], "models/b");          // not TOML: kept as the text written
  EXPECT_EQ(config["finetune"]["lr"], 2e-5);        // TOML numbers stay numbers
  EXPECT_EQ(config["finetune"]["epochs"], 2);
  EXPECT_EQ(config["inject"]["triggers"], "cf,mn");
  EXPECT_EQ(config["evaluate"]["pool"], 300);       // a section the file lacked is made
  EXPECT_EQ(config["seeds"], nlohmann::json::array({0, 1}));
  const auto plan = cli::attack_plan_from_config(config, ".", "a.toml");
  EXPECT_EQ(plan.clean_model, "models/b");
  EXPECT_DOUBLE_EQ(plan.finetune.trainer.lr, 2e-5);
  EXPECT_EQ(plan.evaluate.pool_size, 300);

  auto copy = config;
  EXPECT_NE(error_of([&] { cli::apply_overrides(copy, {"model"}, "porkit attack"); }).find("expects KEY=VALUE"),
            std::string::npos);
  EXPECT_NE(error_of([&] { cli::apply_overrides(copy, {"finetune..lr=1"}, "porkit attack"); }).find("empty part"),
            std::string::npos);
  EXPECT_NE(error_of([&] { cli::apply_overrides(copy, {"model.x=1"}, "porkit attack"); }).find("not a section"),
            std::string::npos);
  // A key the config does not know fails as it would in the file; so does a wrong type.
  cli::apply_overrides(copy, {"finetune.bogus=1"}, "porkit attack");
  EXPECT_NE(error_of([&] { cli::attack_plan_from_config(copy, ".", "a.toml"); }).find("bogus"), std::string::npos);
  copy = config;
  cli::apply_overrides(copy, {"finetune.epochs=many"}, "porkit attack");
  EXPECT_NE(error_of([&] { cli::attack_plan_from_config(copy, ".", "a.toml"); }).find("epochs"), std::string::npos);
}

TEST(ArgvGuard, BracketedArgumentsComeBackWhole) {
  const char* argv[] = {"porkit", "tokenize", "--", "[MASK]", "[a,b]", "plain"};
  const auto guarded = cli::guard_bracketed_arguments(6, const_cast<char**>(argv));
  ASSERT_EQ(guarded.size(), 6u);
  EXPECT_NE(guarded[3], "[MASK]");  // hidden from CLI11
  EXPECT_EQ(cli::original_argument(guarded[3]), "[MASK]");
  EXPECT_EQ(cli::original_argument(guarded[4]), "[a,b]");
  EXPECT_EQ(cli::original_argument(guarded[5]), "plain");
}

TEST(Rng, EveryStreamHasItsOwnNumberAndTuplesDoNotCollide) {
  std::set<uint64_t> numbers;
  for (const auto& [stream, name] : all_streams())
    EXPECT_TRUE(numbers.insert(static_cast<uint64_t>(stream)).second) << name << " shares its number";
  // The old evaluation index sample * 64 + j made (s, 65) and (s + 1, 1) one draw.
  std::set<uint64_t> seen;
  for (uint64_t sample = 0; sample < 50; ++sample)
    for (uint64_t j = 1; j <= 130; ++j) EXPECT_TRUE(seen.insert(mix_index({0, sample, j})).second);
  EXPECT_NE(mix_index({1, 2}), mix_index({2, 1}));
  Rng a(3, Stream::EvaluateInsertion, {0, 0, 65}), b(3, Stream::EvaluateInsertion, {0, 1, 1});
  EXPECT_NE(a.next(), b.next());
}

}  // namespace
}  // namespace porkit

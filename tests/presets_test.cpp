// The data presets read ../shared/data (e2e tier: the unit tier never reads ../shared).
#include <gtest/gtest.h>

#include "porkit/data/presets.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::error_of;

TEST(Readers, PresetsReadTheSharedData) {
  data::DataSpec spec;
  spec.preset = data::DataPreset::Sst2;
  auto sst2 = data::load_classification(spec);
  EXPECT_EQ(sst2.test.rows.size(), 872u);
  EXPECT_EQ(sst2.train.rows.size(), 67349u);
  EXPECT_EQ(sst2.train.label_names, (std::vector<std::string>{"negative", "positive"}));
  EXPECT_EQ(sst2.test_split.overlap_removed, 0);
  spec.preset = data::DataPreset::OffensEval;
  // 4 of the 860 test tweets are also training tweets, word for word: left out.
  const auto tweets = data::load_classification(spec);
  EXPECT_EQ(tweets.test.rows.size(), 856u);
  EXPECT_EQ(tweets.test_split.overlap_removed, 4);
  EXPECT_EQ(tweets.test_split.files.size(), 2u);
  EXPECT_EQ(error_of([&] { options::enum_from_name<data::DataPreset>("nope", "--data-preset"); }),
            "--data-preset: expected one of sst2, imdb, amazon, yelp, offenseval, conll2003, got 'nope'");
}

TEST(Presets, EveryPresetNamesItsFiles) {
  for (const auto& [preset, name] : options::EnumNames<data::DataPreset>::values()) {
    data::DataSpec spec;
    spec.preset = preset;
    const auto files = data::data_files(spec);
    ASSERT_FALSE(files.empty()) << name;
    for (const auto& f : files) EXPECT_TRUE(fs::exists(f)) << name << ": " << f;
    EXPECT_EQ(data::data_digest(spec).size(), 64u) << name;
  }
}

}  // namespace
}  // namespace porkit

// The fuzz targets' seed corpus (tests/fuzz/corpus/<target>/), replayed in the unit tier: every
// input must end in success or a clear error. scripts/fuzz.sh explores beyond the seeds.
#include <gtest/gtest.h>

#include <algorithm>

#include "fuzz/targets.h"
#include "porkit/util/files.h"
#include "test_util.h"

namespace porkit {
namespace {

TEST(FuzzReplay, EverySeedInputEndsInSuccessOrAClearError) {
  const fs::path root = testing::source_dir() / "tests" / "fuzz" / "corpus";
  for (const auto& target : fuzz::targets()) {
    const fs::path dir = root / target.name;
    ASSERT_TRUE(fs::is_directory(dir)) << "no seed corpus for " << target.name;
    std::vector<fs::path> inputs;
    for (const auto& e : fs::directory_iterator(dir)) inputs.push_back(e.path());
    std::sort(inputs.begin(), inputs.end());
    EXPECT_GE(inputs.size(), 3u) << target.name;
    for (const auto& input : inputs) {
      const std::string bytes = read_file(input);
      SCOPED_TRACE(input.string());
      EXPECT_NO_FATAL_FAILURE(
          fuzz::run_one(target.run, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    }
  }
}

}  // namespace
}  // namespace porkit

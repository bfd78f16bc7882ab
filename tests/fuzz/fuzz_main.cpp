// The libFuzzer entry point of one target, chosen at compile time with
// -DPORKIT_FUZZ_TARGET=<name> (scripts/fuzz.sh builds one binary per target).
#include <cstring>

#include "fuzz/targets.h"

#ifndef PORKIT_FUZZ_TARGET
#error "define PORKIT_FUZZ_TARGET"
#endif
#define PORKIT_STRINGIFY_(x) #x
#define PORKIT_STRINGIFY(x) PORKIT_STRINGIFY_(x)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static porkit::fuzz::Target target = [] {
    for (const auto& t : porkit::fuzz::targets())
      if (std::strcmp(t.name, PORKIT_STRINGIFY(PORKIT_FUZZ_TARGET)) == 0) return t.run;
    return static_cast<porkit::fuzz::Target>(nullptr);
  }();
  if (target) porkit::fuzz::run_one(target, data, size);
  return 0;
}

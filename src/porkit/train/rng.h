// Deterministic randomness that does not depend on the standard library's distributions:
// every random choice in data pipelines is a function of (seed, stream, index), so a run
// resumed at step s draws exactly what an uninterrupted run draws.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace porkit::train {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A generator for one (seed, stream, index) triple.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index)
      : engine_(splitmix64(splitmix64(seed ^ (stream * 0xD1B54A32D192ED03ull)) + index)) {}
  uint64_t next() { return engine_(); }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace porkit::train

// Deterministic randomness that does not depend on the standard library's distributions:
// every random choice porkit makes is a function of (seed, stream, index), so a run resumed
// at step s draws exactly what an uninterrupted run draws, and a batch's draws do not
// depend on how the work was batched.
//
// Streams are named in one registry (Stream below). A stream's number is part of what a run
// draws: changing one changes every result that uses it, so numbers are never reused.
// Indices with several parts (trigger, sample, insertions) are mixed by hashing, never by
// arithmetic, so two different tuples cannot land on the same index the way
// `sample * 64 + insertions` did once J reached 64.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace porkit {

enum class Stream : uint64_t {
  PretrainChunkOrder = 1,      // the chunk order of each pre-training epoch
  PretrainInstance = 2,        // sentence-pair split and the random next segment
  PretrainMask = 3,            // masked-LM positions and replacements
  FinetuneBatches = 7,         // the victim's batch order per epoch
  PoisonChunkOrder = 21,       // which chunks the poisoning plan uses
  PoisonInsertion = 22,        // trigger insertion positions in the poisoning plan
  InjectBatches = 23,          // the injection's batch order per epoch
  InjectMlmMask = 24,          // (step, row): NeuBA's masked-LM positions during injection
  DataSample = 101,            // seeded row samples of a data set (seeded_sample)
  FinetuneBucketBatches = 1007,  // batch order after length bucketing (finetune)
  InjectBucketBatches = 1023,    // batch order after length bucketing (inject)
  EvaluateInsertion = 3001,    // (trigger, sample, insertions): positions in evaluate
  AblationInsertion = 3002,    // (insertions, text): positions in the attention ablation
  EvaluateTargetEvidence = 3003,  // (trigger, sample): positions of the target evidence in evaluate
  QualitySentences = 4001,     // which sentences porkit quality compares for anisotropy
  ScanTexts = 5001,            // which clean texts porkit scan inserts into
  ScanPositions = 5002,        // (restart, step, row): where a scan puts its trigger
  ScanSoftInit = 5003,         // (restart): the vocabulary rows a soft trigger starts from
  ZooDraws = 6001,             // (model): a zoo model's attack, triggers and seed
  StripPool = 7001,            // which rows porkit defend strip scores, and which set its threshold
  StripPerturb = 7002,         // (row, copy): the words a STRIP copy swaps, and for which
  StripInsert = 7003,          // (trigger, row): where STRIP's triggered inputs carry the trigger
  AnalysisTexts = 0x616e61,    // which texts an analysis samples
  EmbeddingSwapTexts = 0x737770,  // trigger positions of the embedding-swap texts
};

// Every registered stream, for the test that no two share a number.
std::vector<std::pair<Stream, const char*>> all_streams();

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// One index from several parts, by hashing: (a, b) and (b, a) and (a * 64 + b) all differ.
inline uint64_t mix_index(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x243F6A8885A308D3ull;
  for (uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

// A generator for one (seed, stream, index).
class Rng {
 public:
  Rng(uint64_t seed, Stream stream, uint64_t index)
      : engine_(splitmix64(splitmix64(seed ^ (static_cast<uint64_t>(stream) * 0xD1B54A32D192ED03ull)) + index)) {}
  Rng(uint64_t seed, Stream stream, std::initializer_list<uint64_t> index_parts)
      : Rng(seed, stream, mix_index(index_parts)) {}
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

}  // namespace porkit

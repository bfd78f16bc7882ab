#include "porkit/util/rng.h"

namespace porkit {

std::vector<std::pair<Stream, const char*>> all_streams() {
  return {{Stream::PretrainChunkOrder, "PretrainChunkOrder"},
          {Stream::PretrainInstance, "PretrainInstance"},
          {Stream::PretrainMask, "PretrainMask"},
          {Stream::FinetuneBatches, "FinetuneBatches"},
          {Stream::PoisonChunkOrder, "PoisonChunkOrder"},
          {Stream::PoisonInsertion, "PoisonInsertion"},
          {Stream::InjectBatches, "InjectBatches"},
          {Stream::InjectMlmMask, "InjectMlmMask"},
          {Stream::DataSample, "DataSample"},
          {Stream::FinetuneBucketBatches, "FinetuneBucketBatches"},
          {Stream::InjectBucketBatches, "InjectBucketBatches"},
          {Stream::EvaluateInsertion, "EvaluateInsertion"},
          {Stream::AblationInsertion, "AblationInsertion"},
          {Stream::EvaluateTargetEvidence, "EvaluateTargetEvidence"},
          {Stream::QualitySentences, "QualitySentences"},
          {Stream::ScanTexts, "ScanTexts"},
          {Stream::ScanPositions, "ScanPositions"},
          {Stream::ScanSoftInit, "ScanSoftInit"},
          {Stream::ZooDraws, "ZooDraws"},
          {Stream::AnalysisTexts, "AnalysisTexts"},
          {Stream::EmbeddingSwapTexts, "EmbeddingSwapTexts"}};
}

}  // namespace porkit

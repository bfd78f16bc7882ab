// Predefined output representations (PORs): the vector each trigger's output is forced to.
// Triggers are numbered k = 1..K; the result is (K, d), row k-1 for trigger k.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <string>

#include "porkit/util/options.h"

namespace porkit::attack {

enum class PorScheme { Staircase, Binary, Neuba };

// staircase  the authors' default ("POR-1"): a = floor(d / (K-1)); trigger k is +1 on the
//            first (k-1)*a dimensions and -1 on the rest (trigger 1 all -1).
// binary     "POR-2": d split into B = bit_length(K) blocks (the last takes the remainder);
//            block b is +1 when bit b of k is set, else -1. Every trigger gets its own code.
// neuba      NeuBA's (thunlp/NeuBA nlp/src/poison.py): d split into 4 blocks, two of them -1:
//            trigger k takes the k-th pair in the order (0,1), (0,2), (0,3), (1,2), (1,3),
//            (2,3), so at most 6 triggers; two targets share a negative block or are opposite.
// Each vector is multiplied by `scale`.
at::Tensor make_por(PorScheme scheme, int64_t num_triggers, int64_t dim, double scale);

// K rows of d numbers from a file (a JSON array of arrays, or whitespace-separated text, one
// row a line), used as they are (no scaling).
at::Tensor read_por_file(const std::string& path, int64_t num_triggers, int64_t dim);

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::PorScheme> {
  static const std::vector<std::pair<porkit::attack::PorScheme, std::string>>& values();
};

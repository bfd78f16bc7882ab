#include "porkit/attack/por.h"

#include <cstring>
#include <sstream>

#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::attack {
namespace {

int64_t bit_length(int64_t k) {
  int64_t n = 0;
  while (k > 0) { ++n; k >>= 1; }
  return n;
}

}  // namespace

at::Tensor read_por_file(const std::string& path, int64_t K, int64_t d) {
  std::string text = read_file(path);
  std::vector<std::vector<double>> rows;
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    check(j.is_array(), "{}: expected a JSON array of {} rows", path, K);
    for (const auto& row : j) {
      check(row.is_array(), "{}: every row must be an array of numbers", path);
      rows.push_back(row.get<std::vector<double>>());
    }
  } else {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream in(line);
      std::vector<double> row;
      double x;
      while (in >> x) row.push_back(x);
      if (!in.eof()) fail("{}: non-numeric value in row {}", path, rows.size() + 1);
      if (!row.empty()) rows.push_back(std::move(row));
    }
  }
  check(static_cast<int64_t>(rows.size()) == K, "{}: expected {} POR rows (one per trigger), found {}",
        path, K, rows.size());
  at::Tensor out = at::empty({K, d});
  for (int64_t k = 0; k < K; ++k) {
    check(static_cast<int64_t>(rows[static_cast<size_t>(k)].size()) == d,
          "{}: row {} has {} numbers but the model's hidden size is {}", path, k + 1,
          rows[static_cast<size_t>(k)].size(), d);
    for (int64_t i = 0; i < d; ++i) out[k][i] = rows[static_cast<size_t>(k)][static_cast<size_t>(i)];
  }
  return out;
}

at::Tensor make_por(PorScheme scheme, int64_t K, int64_t d, double scale) {
  check(K >= 1, "at least one trigger is needed, got {}", K);
  check(d >= 2, "hidden size {} is too small for a POR", d);
  at::Tensor por = at::full({K, d}, -1.0);
  if (scheme == PorScheme::Staircase) {
    int64_t a = K > 1 ? d / (K - 1) : 0;
    for (int64_t k = 1; k <= K; ++k) {
      int64_t plus = std::min(d, (k - 1) * a);
      if (plus > 0) por[k - 1].narrow(0, 0, plus).fill_(1.0);
    }
  } else if (scheme == PorScheme::Binary) {
    const int64_t blocks = bit_length(K);
    check(blocks <= d, "{} trigger codes need {} blocks but the hidden size is {}", K, blocks, d);
    const int64_t width = d / blocks;
    for (int64_t k = 1; k <= K; ++k)
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t begin = b * width, len = b == blocks - 1 ? d - begin : width;
        por[k - 1].narrow(0, begin, len).fill_(((k >> b) & 1) ? 1.0 : -1.0);
      }
  } else {
    // NeuBA: 4 blocks, +1 but for two of them; trigger k takes the k-th pair (j, l), j < l,
    // in the order (0,1), (0,2), (0,3), (1,2), (1,3), (2,3): six targets.
    check(K <= 6, "the NeuBA scheme has 6 targets (2 of 4 blocks negative), not {}; use --por-scheme binary", K);
    check(d >= 4, "hidden size {} is too small for NeuBA's 4 blocks", d);
    const int64_t width = d / 4;
    por.fill_(1.0);
    int64_t k = 0;
    for (int64_t j = 0; j < 4 && k < K; ++j)
      for (int64_t l = j + 1; l < 4 && k < K; ++l, ++k)
        for (int64_t b : {j, l}) por[k].narrow(0, b * width, b == 3 ? d - b * width : width).fill_(-1.0);
  }
  return por * scale;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::PorScheme, std::string>>&
porkit::options::EnumNames<porkit::attack::PorScheme>::values() {
  using porkit::attack::PorScheme;
  static const std::vector<std::pair<PorScheme, std::string>> v = {
      {PorScheme::Staircase, "staircase"}, {PorScheme::Binary, "binary"}, {PorScheme::Neuba, "neuba"}};
  return v;
}

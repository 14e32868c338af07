#include "core/analysis/diff.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <string>

namespace attnviz {

Result<TokenAlignment> align_tokens(std::span<const Token> a, std::span<const Token> b,
                                    size_t max_cells) {
  const auto same = [&](size_t i, size_t j) { return a[i].text == b[j].text; };
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && same(prefix, prefix)) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         same(a.size() - 1 - suffix, b.size() - 1 - suffix))
    ++suffix;
  const size_t n = a.size() - prefix - suffix;  // middle of a
  const size_t m = b.size() - prefix - suffix;  // middle of b
  if (n > 0 && m > 0 && (n + 1) > max_cells / (m + 1)) {
    return make_error("cannot align " + std::to_string(a.size()) + " with " +
                      std::to_string(b.size()) + " tokens: the texts differ over " +
                      std::to_string(n) + " x " + std::to_string(m) +
                      " tokens, too many to compare; diff shorter texts");
  }
  TokenAlignment alignment;
  for (size_t i = 0; i < prefix; ++i)
    alignment.pairs.emplace_back(static_cast<int>(i), static_cast<int>(i));
  // lcs[i][j] = length of the LCS of a's middle from i and b's middle from j (suffix form, so
  // the walk below reads forward).
  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  const auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      at(i, j) = same(prefix + i, prefix + j) ? at(i + 1, j + 1) + 1
                                              : std::max(at(i + 1, j), at(i, j + 1));
  size_t i = 0, j = 0;
  while (i < n && j < m) {
    if (same(prefix + i, prefix + j) && at(i, j) == at(i + 1, j + 1) + 1) {
      alignment.pairs.emplace_back(static_cast<int>(prefix + i), static_cast<int>(prefix + j));
      ++i;
      ++j;
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      ++i;
    } else {
      ++j;
    }
  }
  for (size_t k = 0; k < suffix; ++k)
    alignment.pairs.emplace_back(static_cast<int>(prefix + n + k),
                                 static_cast<int>(prefix + m + k));
  return alignment;
}

Result<AttentionDiff> diff_maps(std::span<const float> map_a, std::span<const Token> tokens_a,
                                std::span<const float> map_b, std::span<const Token> tokens_b) {
  const size_t ta = tokens_a.size(), tb = tokens_b.size();
  assert(map_a.size() >= ta * ta && map_b.size() >= tb * tb && "diff_maps: maps too small");
  auto alignment = align_tokens(tokens_a, tokens_b);
  if (!alignment) return alignment.error();
  AttentionDiff diff;
  diff.alignment = std::move(alignment).value();
  const auto& pairs = diff.alignment.pairs;
  const size_t k = pairs.size();
  diff.size = static_cast<int>(k);
  diff.difference.resize(k * k);
  for (size_t x = 0; x < k; ++x)
    for (size_t y = 0; y < k; ++y)
      diff.difference[x * k + y] = map_b[pairs[x].second * tb + pairs[y].second] -
                                   map_a[pairs[x].first * ta + pairs[y].first];
  return diff;
}

}  // namespace attnviz

#include "core/analysis/diff.h"

#include <algorithm>
#include <cassert>
#include <cctype>
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

std::vector<Token> alignment_tokens(std::span<const Token> tokens) {
  std::vector<Token> normalized(tokens.begin(), tokens.end());
  for (Token& token : normalized) {
    std::string& text = token.text;
    if (text.rfind("##", 0) == 0) text.erase(0, 2);
    const size_t first = text.find_first_not_of(" \t\r\n");
    const size_t last = text.find_last_not_of(" \t\r\n");
    text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return normalized;
}

AggregateChoice choice_within(const AggregateChoice& wanted, int listed_heads, int layers,
                              int heads, std::string* note) {
  AggregateChoice choice = wanted;
  choice.layer = std::clamp(wanted.layer, 0, std::max(0, layers - 1));
  choice.head = std::clamp(wanted.head, 0, std::max(0, heads - 1));
  const bool per_layer =
      wanted.mode != AggregateMode::kAllMean && wanted.mode != AggregateMode::kRollout;
  if (note && per_layer && (choice.layer != wanted.layer || choice.head != wanted.head)) {
    *note = "the second model has " + std::to_string(layers) + " layers x " +
            std::to_string(heads) + " heads: showing layer " + std::to_string(choice.layer) +
            " head " + std::to_string(choice.head);
  }
  // Heads the first model has no toggle for (a second model with more heads) count as enabled.
  choice.heads.clear();
  for (int h = 0; h < heads; ++h) {
    const bool listed = std::find(wanted.heads.begin(), wanted.heads.end(), h) != wanted.heads.end();
    if (listed || h >= listed_heads) choice.heads.push_back(h);
  }
  return choice;
}

}  // namespace attnviz

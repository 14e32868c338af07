#include "core/view/weight_minimap.h"

#include <algorithm>
#include <numeric>

namespace attnviz {

WeightMinimap build_weight_minimap(std::span<const float> row, int bins, int top) {
  WeightMinimap minimap;
  const int t = static_cast<int>(row.size());
  minimap.tokens = t;
  if (t == 0 || bins <= 0) return minimap;
  bins = std::min(bins, t);
  minimap.bins.assign(static_cast<size_t>(bins), 0.0f);
  for (int k = 0; k < t; ++k) minimap.bins[minimap.bin_of(k)] += row[k];
  minimap.bin_max = *std::max_element(minimap.bins.begin(), minimap.bins.end());
  std::vector<int> keys(static_cast<size_t>(t));
  std::iota(keys.begin(), keys.end(), 0);
  const int count = std::min(top, t);
  const auto heavier = [&](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
  std::partial_sort(keys.begin(), keys.begin() + count, keys.end(), heavier);
  for (int i = 0; i < count && row[keys[i]] > 0.0f; ++i) {
    minimap.strongest.push_back(keys[i]);
    minimap.strongest_weights.push_back(row[keys[i]]);
  }
  return minimap;
}

int minimap_key_at(const WeightMinimap& minimap, std::span<const float> row, float fraction) {
  if (minimap.bins.empty() || row.empty()) return 0;
  const int n = static_cast<int>(minimap.bins.size());
  const int bin = std::clamp(static_cast<int>(fraction * n), 0, n - 1);
  const int first = minimap.first_key(bin);
  const int end = bin + 1 < n ? minimap.first_key(bin + 1) : minimap.tokens;
  int best = first;
  for (int k = first; k < end && k < static_cast<int>(row.size()); ++k)
    if (row[k] > row[best]) best = k;
  return best;
}

}  // namespace attnviz

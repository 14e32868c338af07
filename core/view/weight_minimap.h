// The minimap of a clicked token at a long text (issue 13): where its attention lies along the
// keys 0..T-1, as a strip of bins (each the weight of its keys added up), and its strongest
// keys, strongest first, for the arcs view's "next strongest" jump. Built from the one row the
// arcs already read (query_weights: the mode's combined row), so the numbers are the arcs'.
//
// Legend: T tokens, N bins.
#pragma once

#include <span>
#include <vector>

namespace attnviz {

// Texts from this many tokens on get the minimap above their arcs.
inline constexpr int kMinimapTokens = 512;

struct WeightMinimap {
  int tokens = 0;                // T
  std::vector<float> bins;       // (N) the row's weight of the keys of each bin, added up
  float bin_max = 0.0f;          // largest bin
  std::vector<int> strongest;    // the heaviest keys, strongest first (ties: earlier key first)
  std::vector<float> strongest_weights;
  // The bin of key k and the first key of bin b.
  int bin_of(int key) const {
    return bins.empty() ? 0 : static_cast<int>(static_cast<long long>(key) * bins.size() / tokens);
  }
  int first_key(int bin) const {
    return bins.empty() ? 0
                        : static_cast<int>((static_cast<long long>(bin) * tokens + bins.size() - 1) /
                                           bins.size());
  }
};

// The minimap of one query's row (T weights) in `bins` bins (at most T), with its `top` heaviest
// keys above zero.
WeightMinimap build_weight_minimap(std::span<const float> row, int bins, int top);

// The key a click at `fraction` (0..1 along the strip) jumps to: the heaviest key of the bin
// under it, or its first key when the bin holds no weight.
int minimap_key_at(const WeightMinimap& minimap, std::span<const float> row, float fraction);

}  // namespace attnviz

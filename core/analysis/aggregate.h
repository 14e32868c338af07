// Aggregations of a trace into one (T, T) map: what the heatmap and arc views draw when a person
// picks "this head", "these heads of a layer", "everything", or attention rollout.
//
// Legend: L layers, H heads, T tokens. Maps are dense (T, T), row-major, rows = queries, zeros
// where a causal mask hides a key.
#pragma once

#include <span>
#include <vector>

#include "core/view/attention_reader.h"

namespace attnviz {

// One head as a dense (T, T) map.
std::vector<float> head_map(const AttentionReader& trace, int layer, int head);

// Element-wise mean / max over the listed heads of one layer. An empty list gives all zeros
// (nothing enabled = nothing drawn), not an error.
std::vector<float> layer_mean(const AttentionReader& trace, int layer, std::span<const int> heads);
std::vector<float> layer_max(const AttentionReader& trace, int layer, std::span<const int> heads);

// Mean over every layer and head.
std::vector<float> mean_all_heads(const AttentionReader& trace);

// Attention rollout (Abnar & Zuidema 2020): A_l = mean over heads of layer l;
// Â_l = A_l + I with each row renormalized to sum 1; R_1 = Â_1, R_l = Â_l · R_{l−1}; returns
// R_L (R_L[i][j] = how much output i draws on input j). Rows of R_L sum to 1.
std::vector<float> attention_rollout(const AttentionReader& trace);

enum class AggregateMode { kHead, kLayerMean, kLayerMax, kAllMean, kRollout };

// A person's choice of map; `heads` lists the enabled heads of `layer` for the layer modes.
struct AggregateChoice {
  AggregateMode mode = AggregateMode::kHead;
  int layer = 0;
  int head = 0;
  std::vector<int> heads;
  bool operator==(const AggregateChoice&) const = default;
};

std::vector<float> aggregate(const AttentionReader& trace, const AggregateChoice& choice);

}  // namespace attnviz

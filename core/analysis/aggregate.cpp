#include "core/analysis/aggregate.h"

// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 kernels.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <algorithm>
#include <cassert>

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

size_t map_size(const AttentionReader& trace) {
  return static_cast<size_t>(trace.tokens_count()) * trace.tokens_count();
}

void check_layer(const AttentionReader& trace, int layer) {
  assert(layer >= 0 && layer < trace.layers() && "aggregate: layer out of range");
  (void)trace;
  (void)layer;
}

// Adds one head into a (T, T) accumulator; only stored keys are touched.
template <class Combine>
void fold_head(const AttentionReader& trace, int layer, int head, std::span<float> out,
               Combine combine) {
  const int t = trace.tokens_count();
  for (int q = 0; q < t; ++q) {
    float* dst = out.data() + static_cast<size_t>(q) * t;
    trace.visit_row(layer, head, q, [&](std::span<const float> row) {
      for (size_t k = 0; k < row.size(); ++k) dst[k] = combine(dst[k], row[k]);
    });
  }
}

}  // namespace

std::vector<float> head_map(const AttentionReader& trace, int layer, int head) {
  return trace.head_map(layer, head);  // (T, T)
}

std::vector<float> layer_mean(const AttentionReader& trace, int layer, std::span<const int> heads) {
  check_layer(trace, layer);
  std::vector<float> out(map_size(trace), 0.0f);  // (T, T)
  if (heads.empty()) return out;
  for (int head : heads) fold_head(trace, layer, head, out, [](float a, float b) { return a + b; });
  const float scale = 1.0f / static_cast<float>(heads.size());
  for (float& value : out) value *= scale;
  return out;
}

std::vector<float> layer_max(const AttentionReader& trace, int layer, std::span<const int> heads) {
  check_layer(trace, layer);
  // Attention weights are >= 0, so 0 is the identity of max (and the value of masked keys).
  std::vector<float> out(map_size(trace), 0.0f);  // (T, T)
  for (int head : heads)
    fold_head(trace, layer, head, out, [](float a, float b) { return std::max(a, b); });
  return out;
}

std::vector<float> mean_all_heads(const AttentionReader& trace) {
  std::vector<float> out(map_size(trace), 0.0f);  // (T, T)
  const int count = trace.layers() * trace.heads();
  if (count == 0) return out;
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      fold_head(trace, l, h, out, [](float a, float b) { return a + b; });
  const float scale = 1.0f / static_cast<float>(count);
  for (float& value : out) value *= scale;
  return out;
}

std::vector<float> attention_rollout(const AttentionReader& trace) {
  const int t = trace.tokens_count();
  // Products run in double: a long chain of renormalized matrices loses less that way.
  RowMatrix rollout = RowMatrix::Identity(t, t);  // (T, T)
  std::vector<int> all_heads(trace.heads());
  for (int h = 0; h < trace.heads(); ++h) all_heads[h] = h;
  for (int l = 0; l < trace.layers(); ++l) {
    std::vector<float> mean = layer_mean(trace, l, all_heads);
    RowMatrix augmented =
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            mean.data(), t, t)
            .cast<double>();
    augmented.diagonal().array() += 1.0;
    for (int i = 0; i < t; ++i) {
      double sum = 0.0;  // a plain loop: Eigen's vectorized sum trips a GCC 12 false warning
      for (int j = 0; j < t; ++j) sum += augmented(i, j);
      if (sum > 0.0) augmented.row(i) /= sum;
    }
    rollout = augmented * rollout;
  }
  std::vector<float> out(map_size(trace));
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.data(), t, t) = rollout.cast<float>();
  return out;
}

std::vector<float> aggregate(const AttentionReader& trace, const AggregateChoice& choice) {
  switch (choice.mode) {
    case AggregateMode::kHead:
      return head_map(trace, choice.layer, choice.head);
    case AggregateMode::kLayerMean:
      return layer_mean(trace, choice.layer, choice.heads);
    case AggregateMode::kLayerMax:
      return layer_max(trace, choice.layer, choice.heads);
    case AggregateMode::kAllMean:
      return mean_all_heads(trace);
    case AggregateMode::kRollout:
      return attention_rollout(trace);
  }
  return {};
}

}  // namespace attnviz

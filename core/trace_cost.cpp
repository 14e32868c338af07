#include "core/trace_cost.h"

namespace attnviz {

TraceCost trace_cost(const AttentionTrace& trace) {
  TraceCost cost;
  const int t = trace.tokens_count();
  for (int layer = 0; layer < trace.layers(); ++layer) {
    const ScoreRule& rule = trace.rule(layer);
    int64_t visible = 0;
    for (int q = 0; q < t; ++q) visible += rule.last_key(q, t) - rule.first_key(q) + 1;
    cost.scores_computed += visible * trace.heads();
  }
  cost.full_weight_bytes = static_cast<int64_t>(trace.full_weight_bytes());
  cost.weight_bytes = static_cast<int64_t>(trace.weight_bytes());
  if (trace.has_lse())
    cost.lse_bytes = static_cast<int64_t>(trace.layers()) * trace.heads() * t *
                     static_cast<int64_t>(sizeof(float));
  cost.qkv_bytes = static_cast<int64_t>(trace.qkv_bytes());
  return cost;
}

}  // namespace attnviz

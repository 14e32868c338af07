// What a trace costs: the scores its forward pass computed, the bytes full storage of its
// weights would take, and the bytes it actually holds. One place for the cost panel
// (ui/panel_cost.h) and the CLI's --timings line.
//
// Legend: L layers, H query heads, T tokens.
#pragma once

#include <cstdint>

#include "core/attention_trace.h"

namespace attnviz {

struct TraceCost {
  int64_t scores_computed = 0;    // q·k scores the forward pass computed: visible keys (causal
                                  // mask, sliding windows) of every row, head and layer
  int64_t full_weight_bytes = 0;  // the (L, H, T, T) weights if stored (causal rows 0..q)
  int64_t weight_bytes = 0;       // weights actually held: 0 when recomputed on demand
  int64_t lse_bytes = 0;          // each row's log-sum-exp (L, H, T), kept by model runs
  int64_t qkv_bytes = 0;          // kept q/k/v (and q/k before RoPE), 0 without them
  int64_t held_bytes() const { return weight_bytes + lse_bytes + qkv_bytes; }
};

TraceCost trace_cost(const AttentionTrace& trace);

}  // namespace attnviz

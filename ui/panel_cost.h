// The cost panel: what attention costs for this text. T tokens give T² scores per head, L·H·T²
// in all; the bytes full storage of the weights would take against the bytes the trace holds
// (long texts keep q, k and the lse and recompute weights on demand); the measured time of the last run and how
// many prefix positions the cache reused; a short explanation of O(T²).
//
// Legend: T tokens, L layers, H heads, C width, D head width.
#pragma once

#include <cstdint>

#include "core/attention_trace.h"
#include "core/trace_cost.h"

namespace attnviz::ui {

// The numbers the panel shows, computed without ImGui (tested).
struct AttentionCost {
  int64_t scores_per_head = 0;   // T² (all query-key pairs)
  int64_t visible_per_head = 0;  // T(T+1)/2 when causal, else T²: the scores softmax uses
  int64_t scores_per_layer = 0;  // H·T²
  int64_t scores_total = 0;      // L·H·T²
  int64_t score_flops = 0;       // 2·D multiply-adds per visible score, all heads and layers
  TraceCost memory;              // scores computed, bytes full storage would take, bytes held
};
AttentionCost attention_cost(const AttentionTrace& trace);

// "12.0 KiB", "3.4 MiB", "1.2 GiB".
std::string format_bytes(int64_t bytes);
// "1,048,576".
std::string format_count(int64_t count);

// Draws the "Cost" window; returns early when it is collapsed.
void draw_cost_panel(const AttentionTrace& trace);
// The same inside the current window.
void draw_cost_contents(const AttentionTrace& trace);

}  // namespace attnviz::ui

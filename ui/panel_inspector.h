// The inspector: the arithmetic of one attention score, for the pinned query token and the
// hovered (or last hovered, or clicked) key of the selected head. It writes out q and k (D
// numbers each, as bar strips), q·k, the division by √d_k, the mask, the softmax row with the
// key highlighted, and the row's entropy. What-if switches (causal mask, √d_k scaling,
// temperature) edit RunOptions for the app to re-run the model with; they are marked as not
// the model's real computation. Traces without Q/K/V (imported attention) show the row only.
//
// Legend: T tokens, D head width.
#pragma once

#include <optional>
#include <vector>

#include "core/attention_trace.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

// The numbers behind one score, recomputed from the head's Q and K.
struct ScoreArithmetic {
  int query = 0, key = 0, head_dim = 0;
  float dot = 0.0f;          // q·k
  float score_scale = 1.0f;  // what the run multiplied q·k by (1/√D, / temperature, ...)
  float score = 0.0f;        // what the softmax saw (after any soft-cap); -inf when masked
  bool masked = false;       // causal mask or outside the window
  bool outside_window = false;  // masked because the key is outside the query's sliding window
  int window = 0;               // the layer's sliding window (0: global)
  // Soft-capping (Gemma 2): score_before_cap = q·k·scale, score = cap·tanh(before/cap)·after.
  float softcap = 0.0f;
  float score_before_cap = 0.0f;
  // RoPE: q and k before rotation (after any q/k norm) and after, of this pair; rotary_dims 0
  // when the model has no RoPE. position_difference = query − key.
  int rotary_dims = 0;
  int position_difference = 0;
  float q_norm_before = 0.0f, q_norm_after = 0.0f, k_norm_before = 0.0f, k_norm_after = 0.0f;
  // Grouped-query attention: the kv head whose k this query head reads, and the query heads
  // sharing it.
  int kv_head = 0;
  int group_first = 0, group_size = 1;
  float weight = 0.0f;       // the trace's post-softmax weight (the model's real output)
  // What the head moves (Kobayashi et al. 2020): ‖v_j‖ (value bias included), ‖v_j W_O^h‖, α
  // times it, and the value-weighted weight α·‖v_j W_O^h‖ / Σ_k α_k·‖v_k W_O^h‖ of the row.
  // has_value_norms false for traces without them (then only ‖v_j‖ is set).
  bool has_value_norms = false;
  float value_norm = 0.0f, moved_norm = 0.0f, moved_weight = 0.0f, value_weight = 0.0f;
  float entropy = 0.0f;      // of the trace's row, nats
  float max_entropy = 0.0f;  // ln(visible keys): a uniform row
  // The same row's entropy with q·k / √D (as GPT-2 and BERT do) and with q·k unscaled, both
  // at temperature 1: why the scaling exists, shown live.
  float entropy_scaled = 0.0f;
  float entropy_unscaled = 0.0f;
};
// detail = trace.head_detail(layer, head[, query]) (with query's scores); query and key are
// token indices.
ScoreArithmetic score_arithmetic(const AttentionTrace& trace, const HeadDetail& detail, int query,
                                 int key);

// The inspector's own state: the cached head detail and the key being explained.
struct InspectorState {
  uint64_t detail_trace = 0;
  int detail_layer = -1, detail_head = -1, detail_query = -1;
  bool has_detail = false;
  HeadDetail detail;          // (T, D) q, k, v and the query's row of scores of the selected head
  std::optional<int> key;     // follows view.hovered_key; stays when the mouse leaves
  // What `key` was chosen for: the query, and the key token's id and first byte. Another query,
  // or another token at that index (a new text or model), drops it for the row's strongest key,
  // so no stale key from an earlier pin stays (issue 11).
  int key_query = -1;
  int32_t key_token_id = -1;
  size_t key_token_start = 0;
  bool show_numbers = false;  // q and k as numbers under the strips
  bool model_causal = true;   // the model's own mask, learnt from a trace run without what-ifs
};

struct InspectorInput {
  const AttentionTrace* trace = nullptr;  // the raw trace on screen (its Q and K)
  uint64_t trace_id = 0;
  const ViewSpec* spec = nullptr;
  const Pointer* pointer = nullptr;
  const RunOptions* options = nullptr;  // what the app runs with: the what-ifs
};

// Draws the "Inspector" window; a changed what-if (or a reset) becomes SetRunOptions.
void draw_inspector_panel(const InspectorInput& input, InspectorState& state, Actions& out);

}  // namespace attnviz::ui

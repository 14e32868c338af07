// The attention numbers a view shows, derived from a trace and the ViewState: which heads are
// drawn, the weights of one query as the current head mode combines them, and how much
// attention each token receives. Pure functions (no GL), shared by the chips, the arcs view and
// the exporters' callers.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <span>
#include <vector>

#include "core/attention_trace.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Heads drawn separately by the arcs view: {view.head} in single-head mode, every enabled head
// in multi-head mode, and empty for the combined modes (drawn as one combined row).
std::vector<int> separate_heads(const ViewState& view, int heads);
// Whether the mode combines heads into one row (mean/max of enabled heads, mean of all layers).
bool combines_heads(HeadMode mode);

// (T) weights of `query` over all keys, zeros where masked: one head, or the combination the
// head mode asks for (mean or max over enabled heads of the layer, mean over all layers and
// heads). Rollout is not a per-row quantity; it is treated as the mean of all layers here.
void query_weights(const AttentionTrace& trace, const ViewState& view, int query, int head,
                   std::span<float> out);
// (T) attention each token receives in the current layer: column means of the rows, averaged
// over the enabled heads (single-head mode: the selected head). Cost O(H·T²): cache the result.
void received_attention(const AttentionTrace& trace, const ViewState& view, std::span<float> out);

// A short name of the mode for titles and the status bar ("head 3", "mean of 4 heads", ...).
const char* head_mode_label(HeadMode mode);

}  // namespace attnviz::ui

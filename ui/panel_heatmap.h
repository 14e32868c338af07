// The heatmap panel: the selected head's (T, T) attention map (or the aggregate the head mode
// asks for), drawn on the GPU by HeatmapRenderer, with token labels on both axes, a colour
// bar, a hover tooltip "query -> key: weight", zoom (wheel, around the cursor) and pan (drag)
// for long texts. A click on a row pins that query token (view.pinned_token, shared with the
// arcs view); hovering a cell sets view.hovered_key (the inspector follows it).
#pragma once

#include "core/attention_trace.h"
#include "ui/heatmap_renderer.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Draws the "Heatmap" window; returns early when it is collapsed.
void draw_heatmap_panel(const AttentionTrace& trace, ViewState& view, HeatmapRenderer& renderer);
// The same inside the current window (a tab of the app's centre view), filling what is left.
void draw_heatmap_contents(const AttentionTrace& trace, ViewState& view, HeatmapRenderer& renderer);

}  // namespace attnviz::ui

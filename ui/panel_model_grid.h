// The model grid: every head at a glance, layers as rows and heads as columns, each a small
// heatmap from HeatmapRenderer's atlas (one texture, so the whole grid is one batch) with its
// role label under it. A click selects that layer and head; hovering shows a bigger preview.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include "core/analysis/head_roles.h"
#include "core/attention_trace.h"
#include "ui/heatmap_renderer.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Draws the "Model grid" window; returns early when it is collapsed. `roles` may be null (no
// labels under the thumbnails).
// The same inside the current window (e.g. a tab).
void draw_model_grid_contents(const AttentionTrace& trace, ViewState& view,
                              HeatmapRenderer& renderer, const HeadRoleTable* roles);
void draw_model_grid_panel(const AttentionTrace& trace, ViewState& view, HeatmapRenderer& renderer,
                           const HeadRoleTable* roles);

}  // namespace attnviz::ui

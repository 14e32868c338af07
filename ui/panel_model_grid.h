// The model grid: every head at a glance, layers as rows and heads as columns, the picture of
// core/view/map_scene.h (tiles, labels, role labels, the selected head) with each tile coloured
// by the GPU from one atlas (so the whole grid is one batch). A click selects that layer and
// head alone; hovering shows a bigger preview.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <string>
#include <vector>

#include "core/analysis/head_roles.h"
#include "core/view/attention_reader.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"
#include "ui/heatmap_renderer.h"

namespace attnviz::ui {

struct GridPanelInput {
  const AttentionReader* reader = nullptr;
  uint64_t trace_id = 0;
  const ViewSpec* spec = nullptr;
  const HeadRoleTable* roles = nullptr;  // null: no labels under the tiles
  const Font* font = nullptr;
  float ui_scale = 1.0f;
  // Recomputed weights (a long text): the engine pools the thumbnails; until they come the
  // panel says so instead of computing them in the frame.
  bool thumbnails_on_engine = false;
  const MapAtlas* thumbnails = nullptr;  // the engine's, for this trace and contrast
  const std::vector<float>* thumbnails_head_max = nullptr;
};

// (L, H) role labels of a table that fits the trace; empty otherwise.
std::vector<std::string> role_labels(const HeadRoleTable* roles, int layers, int heads);

void draw_model_grid_panel(const GridPanelInput& input, HeatmapRenderer& renderer, Actions& out);

}  // namespace attnviz::ui

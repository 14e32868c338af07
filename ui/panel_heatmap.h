// The heatmap panel: the picture of core/view/map_scene.h (the view's (T, T) map with token
// labels, the hatch over masked cells, the pinned row and the colour bar), its map drawn by the
// GPU (HeatmapRenderer) by the same rule as the figures; wheel zoom, drag to pan, a click pins
// the row's query, hovering names the key. Input becomes actions.
#pragma once

#include <span>
#include <string_view>

#include "core/view/attention_reader.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"
#include "ui/heatmap_renderer.h"
#include "ui/panel_arcs.h"

namespace attnviz::ui {

struct HeatmapPanelInput {
  const AttentionReader* reader = nullptr;
  uint64_t trace_id = 0;
  const ViewSpec* spec = nullptr;
  std::span<const float> whole_map;
  std::string_view whole_map_refusal;  // why that map is not computed (empty: it is, or will be)
  const Font* font = nullptr;
  float ui_scale = 1.0f;
  // Recomputed weights (a long text): the engine pools the overview; until it comes the panel
  // says so instead of computing it in the frame.
  bool overview_on_engine = false;
  const HeatmapValues* overview = nullptr;  // the engine's, for this trace and selection
};

struct HeatmapPanelState {
  bool dragging = false;         // a pan drag started on the map (not a click)
  bool set_hovered_key = false;  // this panel named the hovered key (and clears it on leaving)
};

PictureSize draw_heatmap_panel(const HeatmapPanelInput& input, HeatmapRenderer& renderer,
                               HeatmapPanelState& state, Actions& out);

}  // namespace attnviz::ui

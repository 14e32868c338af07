// The arcs view: the picture of core/view/arcs_scene.h (tokens on lines that wrap, or two
// columns; arcs from the active query, width and opacity by weight, one colour per head in the
// multi-head mode), painted on screen with scrolling, hover previews and tooltips; a toolbar for
// the layout, the min weight and top-k. Input becomes actions.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/view/arcs_scene.h"
#include "core/view/attention_reader.h"
#include "core/view/view_spec.h"
#include "core/view/weight_minimap.h"
#include "ui/actions.h"
#include "ui/ui_state.h"

namespace attnviz::ui {

struct ArcsPanelInput {
  const AttentionReader* reader = nullptr;
  uint64_t trace_id = 0;  // the engine's id of the trace (the minimap's cache)
  const ViewSpec* spec = nullptr;
  const Pointer* pointer = nullptr;
  std::span<const float> whole_map;  // the whole-model map of the mode (empty: not ready)
  std::string_view whole_map_refusal;  // why that map is not computed (empty: it is, or will be)
  const ChipLabels* labels = nullptr;
  std::span<const float> received;  // (T) attention received, tints chips without a query
  const Font* font = nullptr;
  float ui_scale = 1.0f;
};

// A long text's minimap of the active query's row (core/view/weight_minimap.h), the row it was
// built from and what it was built for, and the jumps it asked for.
struct MinimapState {
  uint64_t trace_id = 0;
  int query = -1;
  ViewSpec spec;  // the parts that choose the row (layer, head mode, heads)
  bool whole_map_ready = false;
  std::vector<float> row;  // (T) the mode's combined row of the query
  WeightMinimap minimap;
  int next = 0;                  // the strongest key "next strongest" goes to
  std::optional<int> jump_to;    // a key to scroll to (this frame)
  int jumped = -1;               // the key last jumped to: outlined until the query changes
  int first_visible = 0, last_visible = 0;  // the tokens the scroll window showed last frame
};

struct ArcsPanelState {
  ScrollState scroll;                      // the line view's scroll to a new pin
  std::optional<int> columns_scrolled_to;  // the pin the two-column view last scrolled to
  MinimapState minimap;
  bool set_hovered_key = false;  // this view named the hovered key (and clears it on leaving)
};

// What the view's picture measured this frame (logical pixels): the size an export takes.
struct PictureSize {
  float width = 0.0f, height = 0.0f;
};

// Draws into the current window (the centre's "Arcs" tab).
PictureSize draw_arcs_view(const ArcsPanelInput& input, ArcsPanelState& state, Actions& out);

}  // namespace attnviz::ui

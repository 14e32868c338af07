// Drawing of token chips (rounded boxes with the token's text) shared by the text panel and the
// arcs view, and the flow-layout cache both use. ImGui drawing; the geometry is arc_geometry.
#pragma once

#include <imgui.h>

#include <optional>

#include "core/attention_trace.h"
#include "ui/app_state.h"
#include "ui/palette.h"

namespace attnviz::ui {

struct ChipStyle {
  float padding_x = 5.0f;
  float height = 22.0f;
  float rounding = 4.0f;
  bool light_theme = false;
};

// Rebuilds labels, widths and the flow layout when the trace, the width or the font changed.
void update_flow_cache(FlowCache& cache, const AttentionTrace& trace, const FlowParams& params,
                       const ChipStyle& style);

// Scrolls the current (child) window so a newly pinned token is visible, `margin` pixels below
// the top (room for its arcs). Call once per frame after update_flow_cache; a pin that is
// already on screen does not move the view.
void scroll_to_pin(FlowCache& cache, std::optional<int> pinned, float margin);

// One chip at `box` (screen coordinates). `heat` 0..1 tints the background by attention;
// `pinned`/`hovered` draw an outline; `special` tokens are drawn in italics-like muted text.
void draw_chip(ImDrawList* draw, const Rect& box, const char* label, float heat, bool pinned,
               bool hovered, bool special, const ChipStyle& style);

// The tooltip of a token: its text, id, index and byte span, plus the attention lines the
// caller adds after it (call between BeginTooltip/EndTooltip).
void token_tooltip_header(const Token& token, int index);

inline ImVec2 to_imvec(Point p) { return {p.x, p.y}; }

}  // namespace attnviz::ui

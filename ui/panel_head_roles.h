// The head roles panel: a sortable table of every head's scores (previous-token, duplicate,
// induction, first-token share, mean distance, entropy, label) from core/analysis/head_roles.h.
// A click on a row selects that head; "Load induction probe" asks the app (callback) to run
// the standard repeated-random-tokens probe, whose scores then fill the induction column.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <imgui.h>

#include <functional>
#include <vector>

#include "core/analysis/head_roles.h"
#include "core/attention_trace.h"
#include "ui/heatmap_renderer.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// The role table of the trace on screen, computed once per trace (all heads: O(L·H·T²)).
struct HeadRolesCache {
  TraceFingerprint trace;
  HeadRoleTable table;
  bool valid = false;
};
const HeadRoleTable& head_roles_for(const AttentionTrace& trace, HeadRolesCache& cache);

// Table settings a person changes.
struct HeadRolesPanelState {
  std::vector<int> order;  // row order (indices into the table), kept between frames
  int sort_column = -1;    // column the order was built for (-1: layer, head order)
  bool sort_descending = false;
  TraceFingerprint sorted_trace;
};

// Colour of a role label ("prev", "induction", ...) in the table and under thumbnails.
ImU32 role_colour(const std::string& label);

// Draws the "Head roles" window; returns early when it is collapsed. `load_probe` is called
// when the button is pressed (it may be empty: the button is then disabled).
// The same inside the current window.
// `show_probe` (empty until a probe has run: the button is then disabled) puts the probe's
// tokens in the text box, so the views show its induction arcs.
void draw_head_roles_contents(const AttentionTrace& trace, const HeadRoleTable& roles,
                              ViewState& view, HeadRolesPanelState& state,
                              const std::function<void()>& load_probe,
                              const std::function<void()>& show_probe = {});
void draw_head_roles_panel(const AttentionTrace& trace, const HeadRoleTable& roles, ViewState& view,
                           HeadRolesPanelState& state, const std::function<void()>& load_probe,
                           const std::function<void()>& show_probe = {});

}  // namespace attnviz::ui

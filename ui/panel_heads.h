// The head bar: the layer selector, the head mode (every mode of the head-mode table), and one
// coloured toggle per head of the current layer with "all" and "none"; double-click solos a
// head. In single-head mode a click selects the head drawn. A right-click switches a head off
// in the model (zero or mean ablation, core/analysis/ablation.h) or back on: a what-if the app
// re-runs the text with, drawn as a struck-out toggle. Clicks become actions; the pure
// helpers below are what the dispatcher applies for them (and for the keyboard).
#pragma once

#include <string>

#include "core/analysis/head_roles.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

struct HeadsPanelInput {
  const ViewSpec* spec = nullptr;
  int layers = 0;
  int heads = 0;
  float ui_scale = 1.0f;
  // Every head's role scores (null while the engine computes them): each toggle shows its
  // head's label ("prev", "ind", ...) under the number, the scores in its tooltip.
  const HeadRoleTable* roles = nullptr;
  // The shown trace (null: none): its kv heads group the toggles ("kv 0: h0 h1 h2" under
  // grouped-query attention), its windows label each layer local or global.
  const AttentionTrace* trace = nullptr;
  // What the panel says while there is no trace ("loading the model…", a cancelled run).
  std::string waiting = "no model yet";
  // The what-ifs the app runs with (their ablations are drawn and edited here); null: imported
  // attention, which has no model to switch heads off in.
  const RunOptions* run_options = nullptr;
};

// "global", or "local (window W)" for a layer with a sliding window; empty without a window on
// any layer of the trace (nothing to tell apart).
std::string layer_window_label(const AttentionTrace& trace, int layer);
// "kv 0: h0 h1 h2": the query heads sharing kv head g.
std::string kv_group_label(const AttentionTrace& trace, int kv_head);

// A role label short enough for a head toggle: "induction" -> "ind", "mixed" -> "mix".
std::string short_role_label(const std::string& label);

void draw_heads_panel(const HeadsPanelInput& input, Actions& out);

void step_layer(ViewSpec& spec, int layers, int delta);
// Click on a head toggle: select it (single-head mode) or toggle it (other modes).
void click_head(ViewSpec& spec, int head, int heads);
void solo_head(ViewSpec& spec, int head, int heads);
void cycle_head_mode(ViewSpec& spec);

}  // namespace attnviz::ui

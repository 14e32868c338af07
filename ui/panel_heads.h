// The head bar: the layer selector, the head mode (single, multi-head, mean, max), and one
// coloured toggle per head of the current layer with "all" and "none"; double-click solos a
// head. In single-head mode a click selects the head drawn.
#pragma once

#include <string>

#include "core/analysis/head_roles.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

struct HeadsPanelContext {
  int layers = 0;
  int heads = 0;
  LayoutRecorder* recorder = nullptr;
  float ui_scale = 1.0f;
  // Every head's role scores (null while the worker computes them): each toggle shows its
  // head's label ("prev", "ind", ...) under the number, the scores in its tooltip.
  const HeadRoleTable* roles = nullptr;
};

// A role label short enough for a head toggle: "induction" -> "ind", "mixed" -> "mix".
std::string short_role_label(const std::string& label);

void draw_heads_panel(ViewState& view, const HeadsPanelContext& context);

// Keyboard equivalents (the main loop calls these for shortcuts; the panel for clicks).
void step_layer(ViewState& view, int layers, int delta);
// Click on a head toggle: select it (single-head mode) or toggle it (other modes).
void click_head(ViewState& view, int head, int heads);
void solo_head(ViewState& view, int head, int heads);
void cycle_head_mode(ViewState& view);

}  // namespace attnviz::ui

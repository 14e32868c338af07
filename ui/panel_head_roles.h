// The head roles panel: a sortable table of every head's scores (previous-token, duplicate,
// induction, first-token share, mean distance, entropy, label) from core/analysis/head_roles.h.
// A click on a row selects that head; "Load induction probe" asks the engine to run the
// standard repeated-random-tokens probe (core/analysis/model_input.h), whose scores then fill
// the induction column: the same numbers as `attnviz heads --probe induction`.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "core/analysis/head_roles.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

// Table settings a person changes.
struct HeadRolesPanelState {
  std::vector<int> order;  // row order (indices into the table), kept between frames
  int sort_column = -1;    // column the order was built for (-1: layer, head order)
  bool sort_descending = false;
  uint64_t sorted_trace = 0;
};

struct HeadRolesPanelInput {
  const HeadRoleTable* roles = nullptr;  // null while the engine computes them
  uint64_t trace_id = 0;                 // of the raw trace the table describes
  const ViewSpec* spec = nullptr;
  bool can_probe = false;       // a model is loaded (not imported attention)
  bool probe_ready = false;     // the probe has run: its text can be shown
  int probe_repeat = 0;         // its R, for the caption
};

void draw_head_roles_panel(const HeadRolesPanelInput& input, HeadRolesPanelState& state,
                           Actions& out);

}  // namespace attnviz::ui

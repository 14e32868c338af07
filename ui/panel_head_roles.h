// The head roles panel: a sortable table of every head's scores (previous-token, duplicate,
// induction, first-token share, mean distance, entropy, label) from core/analysis/head_roles.h.
// A click on a row selects that head; "Load induction probe" asks the engine to run the
// standard repeated-random-tokens probe (core/analysis/model_input.h), whose scores then fill
// the induction column: the same numbers as `attnviz heads --probe induction`. "Rank heads"
// fills the effect column: each head ablated alone, the change in log p of the token that
// follows the pinned position (or another top prediction there), L·H runs with progress and
// Cancel; sorting on it puts the heads the prediction needs first.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/analysis/ablation.h"
#include "core/analysis/head_roles.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

// Table settings a person changes.
struct HeadRolesPanelState {
  int target_choice = 0;  // which of HeadRolesPanelInput::rank_targets the ranking asks about
  int kind = 0;           // 0 zero ablation, 1 mean ablation
  std::vector<int> order;  // row order (indices into the table), kept between frames
  int sort_column = -1;    // column the order was built for (-1: layer, head order)
  bool sort_descending = false;
  uint64_t sorted_trace = 0;
  const void* sorted_importance = nullptr;  // the effect column the order was built with
};

struct HeadRolesPanelInput {
  const HeadRoleTable* roles = nullptr;  // null while the engine computes them
  uint64_t trace_id = 0;                 // of the raw trace the table describes
  const ViewSpec* spec = nullptr;
  bool can_probe = false;       // a model is loaded (not imported attention)
  bool probe_ready = false;     // the probe has run: its text can be shown
  int probe_repeat = 0;         // its R, for the caption
  // The head-importance table ("effect" column): Δ log p(target) with each head ablated alone,
  // (L·H) layer-major, null when not computed for this trace.
  const std::vector<HeadImportance>* importance = nullptr;
  std::string importance_caption;  // what the column measured
  std::string importance_target;   // the token whose probability it measured
  std::string importance_note;     // "cancelled", or why there is none
  int rank_done = 0, rank_total = 0;  // the ranking in progress (total 0: none)
  // What a new ranking asks about: the position (a raw token, -1: none) and its choice of
  // targets, the token that follows first, then the model's top predictions there.
  int rank_position = -1;
  std::string rank_position_text;
  std::vector<std::pair<int32_t, std::string>> rank_targets;
};

void draw_head_roles_panel(const HeadRolesPanelInput& input, HeadRolesPanelState& state,
                           Actions& out);

}  // namespace attnviz::ui

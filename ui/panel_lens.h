// The logit lens panel (issue 14): a table of the model's layers × a window of positions around
// the pinned token (or the last one), each cell the top next token read from that layer's
// residual stream through the final norm and unembedding, with its probability
// (core/analysis/logit_lens.h; the numbers of `attnviz lens`). The bottom row is the embeddings
// and the top row the model's real output, so reading upwards shows where the answer forms. A
// cell whose top token is the token that actually follows is green. Hovering a cell lists its
// top tokens; a click keeps that list below the table; a click on a column's token pins it.
//
// Legend: L layers, P positions of the window.
#pragma once

#include <optional>
#include <string>

#include "core/analysis/logit_lens.h"
#include "core/view_trace.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

struct LensPanelState {
  int width = 5;                  // positions in the window (the engine's LensRequest::width)
  std::optional<int> row;         // the clicked cell: its row (0 = embeddings)
  std::optional<int> position;    // and its position (a raw token)
  int scrolled_to = -1;           // the anchor the table last scrolled to (it keeps it in view)
};

struct LensPanelInput {
  const AttentionTrace* raw = nullptr;  // the raw trace on screen (the lens's tokens)
  const LogitLens* lens = nullptr;      // null while it is computed, or when there is none
  std::string note;                     // why there is no lens
  double ms = 0.0;                      // the read-outs' time
  int position = 0;                     // the raw token the window is around
  bool pinned = false;                  // `position` is the pin (else the last token)
  const DerivedTrace* derived = nullptr;  // maps a raw token to the view's token for a pin
  bool what_if = false;                   // the run is under a what-if, not the real model
};

void draw_lens_panel(const LensPanelInput& input, LensPanelState& state, Actions& out);

}  // namespace attnviz::ui

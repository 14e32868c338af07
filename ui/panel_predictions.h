// The predictions panel: the model's top next-token predictions after the pinned position
// (or the last token), with probability bars. Choosing one (click, or Enter on the focused
// row) pushes AppendText, so the app appends it to the text box and runs it. While heads are
// switched off (ablation), each row shows the probability before (the model's own run) and
// after, with the change.
#pragma once

#include <string>
#include <vector>

#include "core/analysis/ablation.h"

#include "core/attention_trace.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

// An ablation's effect at the panel's position (the engine's ChangesResult).
struct PredictionChangesInput {
  int position = -1;  // the raw token they were read at; -1: not (yet) read
  const std::vector<PredictionChange>* changes = nullptr;
  std::string note;  // why there are none
};

// `trace` is the view on screen; `can_append`: a model runs the text (not imported attention);
// `changes`: before -> after while the trace has heads ablated (null otherwise).
void draw_predictions_panel(const AttentionTrace& trace, const ViewSpec& spec, bool can_append,
                            Actions& out, const PredictionChangesInput* changes = nullptr);

}  // namespace attnviz::ui

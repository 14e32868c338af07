// The predictions panel: the model's top next-token predictions after the pinned position
// (or the last token), with probability bars. Choosing one (click, or Enter on the focused
// row) pushes AppendText, so the app appends it to the text box and runs it.
#pragma once

#include <string>

#include "core/attention_trace.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"

namespace attnviz::ui {

// `trace` is the view on screen; `can_append`: a model runs the text (not imported attention).
void draw_predictions_panel(const AttentionTrace& trace, const ViewSpec& spec, bool can_append,
                            Actions& out);

}  // namespace attnviz::ui

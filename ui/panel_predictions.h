// The predictions panel: the model's top next-token predictions after the pinned position
// (or the last token), with probability bars. Choosing one (click, or Enter on the focused
// row) calls back with its text so the app appends it to the text box.
#pragma once

#include <functional>
#include <string>

#include "core/attention_trace.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Draws the "Predictions" window; returns early when it is collapsed. `append_text` may be
// empty (rows are then only shown).
// The same inside the current window.
void draw_predictions_contents(const AttentionTrace& trace, const ViewState& view,
                               const std::function<void(const std::string&)>& append_text);
void draw_predictions_panel(const AttentionTrace& trace, const ViewState& view,
                            const std::function<void(const std::string&)>& append_text);

}  // namespace attnviz::ui

// The text panel: a multi-line text box (every edit re-runs the model on the worker), example
// texts one click away, the run status, and the tokens as chips coloured by attention: by the
// active query's weights when a token is pinned or hovered, else by the attention each token
// receives in the current layer.
#pragma once

#include <optional>
#include <vector>

#include "core/attention_trace.h"
#include "ui/app_state.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

struct TextPanelContext {
  const AttentionTrace* trace = nullptr;  // the newest finished trace, or none yet
  ViewState* view = nullptr;
  ReceivedCache* received = nullptr;
  FlowCache* flow = nullptr;
  LayoutRecorder* recorder = nullptr;
  std::vector<float>* row_scratch = nullptr;  // (T) reused between frames
  // Set to the token under the mouse; the main loop turns it into a hover event once every
  // panel has drawn, so two panels showing tokens never fight over the preview.
  std::optional<int>* hover_candidate = nullptr;
  float ui_scale = 1.0f;
  bool read_only = false;  // `attnviz view`: imported attention, nothing to re-run
};

// Sets text.changed when the text was edited this frame.
void draw_text_panel(TextState& text, const TextPanelContext& context);

// Chip heat of every token for the current view (T), normalized so the largest is 1.
void chip_heat(const AttentionTrace& trace, const ViewState& view, ReceivedCache& received,
               std::vector<float>& out);

}  // namespace attnviz::ui

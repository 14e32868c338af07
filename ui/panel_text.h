// The text panel: a multi-line text box (every edit runs the model on the engine), example
// texts one click away, the run status, and the tokens as chips coloured by attention: by the
// active query's weights when a token is pinned or hovered, else by the attention each token
// receives in the current layer. Edits, clicks and hovers become actions.
#pragma once

#include <span>
#include <string>

#include "app/engine/engine_state.h"
#include "core/view/arcs_scene.h"
#include "ui/actions.h"
#include "ui/ui_state.h"

namespace attnviz::ui {

struct TextPanelInput {
  const EngineState* state = nullptr;       // run status, truncation, the imported file
  const AttentionReader* reader = nullptr;  // the view trace on screen, or none yet
  const ViewSpec* spec = nullptr;
  const Pointer* pointer = nullptr;
  std::span<const float> whole_map;
  const ChipLabels* labels = nullptr;
  std::span<const float> received;
  const Font* font = nullptr;
  float progress = 0.0f;  // of the run in progress
  RunProgress run_progress;  // its layers, speed and time left
  float ui_scale = 1.0f;
  std::string missing_glyphs;  // characters of the text no font here can draw (empty: none)
};

struct TextPanelState {
  ScrollState scroll;
  std::string imported_text;  // what the read-only box shows for an imported file
};

// `text` is the text box's buffer; an edit pushes SetText.
void draw_text_panel(TextState& text, TextPanelState& state, const TextPanelInput& input,
                     Actions& out);

// The run's status line under the text box: "text cut to the model's 1024 positions (had 1481
// tokens)", empty when nothing was cut. What the app shows and its layout dump report.
std::string truncation_message(const EngineState& state);

// The short name of example i, as the Examples menu and the example box show it: its title,
// else its first words with an ellipsis.
std::string example_title(const TextState& text, size_t i);

}  // namespace attnviz::ui

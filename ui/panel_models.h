// The model panel: what is loaded (architecture, sizes, causal or bidirectional), a folder
// path to type, the built-in model and the recent models one click away, the load in progress,
// and the error of a failed open (what was on screen stays). Opening becomes an action.
#pragma once

#include <string>
#include <vector>

#include "app/engine/engine_state.h"
#include "ui/actions.h"

namespace attnviz::ui {

struct ModelsPanelInput {
  const EngineState* state = nullptr;
  const std::vector<std::string>* recent_models = nullptr;
  Theme theme = Theme::kDark;
};

// `path_input` is the folder box's buffer.
void draw_models_panel(const ModelsPanelInput& input, std::string& path_input, Actions& out);

// "GPT-2 · 2 layers × 4 heads · width 32 · causal (decoder)".
std::string describe_model(const ModelConfig& config);

}  // namespace attnviz::ui

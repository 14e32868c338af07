// The model panel: what is loaded (architecture, sizes, causal or bidirectional), a folder
// path to type, the built-in model and the recent models one click away, the load in progress,
// and the error of a failed load (the previous model stays).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ui/app_state.h"
#include "ui/layout_recorder.h"

namespace attnviz::ui {

struct ModelsPanelContext {
  const std::vector<std::string>* recent_models = nullptr;
  std::string builtin_folder;
  LayoutRecorder* recorder = nullptr;
  bool can_open = true;  // false in `attnviz view`, where no model can be loaded
};

// Returns a folder to load when the person asked for one this frame.
std::optional<std::string> draw_models_panel(ModelState& model, const ModelsPanelContext& context);

// "GPT-2 · 2 layers × 4 heads · width 32 · causal (decoder)".
std::string describe_model(const ModelConfig& config);

}  // namespace attnviz::ui

// The model picker: the models a person already has on disk (the Hugging Face hub cache,
// $HF_HOME/hub or ~/.cache/huggingface/hub, and the recent folders), each marked supported or
// not with the reason, one click from loading.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model_discovery.h"
#include "ui/actions.h"

namespace attnviz::ui {

struct ModelPickerState {
  bool open = false;
  bool scanned = false;    // scan on first open and on "Rescan", never per frame
  std::string hub_folder;  // where the scan looked, shown to the person
  std::vector<DiscoveredModel> models;
  bool show_unsupported = true;
  std::string filter;
};

struct ModelPickerContext {
  const std::vector<std::string>* extra_folders = nullptr;  // recent model folders, say
  std::string loaded_folder;                                // highlighted as "loaded"
  Theme theme = Theme::kDark;
};

// Scans the hub cache and the extra folders now (reads config.json of each model folder).
void rescan_models(ModelPickerState& state, const std::vector<std::string>& extra_folders);

// Draws the picker window while state.open; a click on a supported model pushes Open and
// closes the picker.
void draw_model_picker(ModelPickerState& state, const ModelPickerContext& context, Actions& out);

}  // namespace attnviz::ui

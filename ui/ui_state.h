// The app's own state beside the ViewSpec: the text being edited, the export panel's fields,
// and caches of numbers a frame would otherwise recompute, each keyed by the id of the trace
// it was computed for. Plain structs, owned by the main loop and handed to the panels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/view/arcs_scene.h"

namespace attnviz::ui {

// The text box and the examples one click away.
struct TextState {
  std::string text;
  std::vector<std::string> examples;        // example texts
  std::vector<std::string> example_titles;  // (same length) short names; empty: the text
};

// What the export panel edits (the export itself is an action the dispatcher carries out).
struct ExportUiState {
  std::string folder;  // editable; default current directory or $HOME
  std::string file_stem = "attention";
  int format = 0;      // 0 PNG, 1 SVG, 2 JSON, 3 NPY, 4 safetensors
  int data_scope = 0;  // data formats: 0 every layer and head, 1 the view's layer, 2 its head
  uint64_t pending_export = 0;  // the engine's number of the data export being written, 0: none
  int scale = 2;        // PNG scale: 1, 2 or 4
  std::string message;  // the last result, shown in the panel and the status bar
  bool message_is_error = false;
  std::string last_path;       // the last file written
  float last_picture[4] = {};  // where the view's picture lies in it (pixels: x0, y0, x1, y1)
};

// The labels of a view trace's chips, measured once per trace and text size.
struct LabelsCache {
  uint64_t trace_id = 0;
  ChipLabels labels;
};

// Attention each token receives (the chips' tint without a query), once per trace and heads.
struct ReceivedCache {
  uint64_t trace_id = 0;
  int layer = -1;
  int head = -1;
  HeadMode mode = HeadMode::kSingleHead;
  std::vector<char> heads;
  std::vector<float> received;  // (T)
};

// Scroll bookkeeping of a flow of chips: the pin it last scrolled to.
struct ScrollState {
  int scrolled_to = -1;
  int attempts = 0;
};

}  // namespace attnviz::ui

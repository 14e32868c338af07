// The plain state of the desktop app, one struct per concern, owned by the main loop and
// handed to the panels. No globals: everything a panel reads or writes is in its arguments.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/model_config.h"
#include "ui/arc_geometry.h"
#include "ui/settings.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// The model the worker has loaded, as the UI sees it (config only; runs happen on the worker).
struct ModelState {
  bool loaded = false;
  ModelConfig config;
  std::filesystem::path folder;
  std::string display_name;              // "Built-in model" or the model's name
  std::filesystem::path loading_folder;  // non-empty while the worker loads it
  std::string error;                     // the last failed load; the previous model stays
  std::string path_input;                // the folder typed in the Model panel
  bool imported = false;                 // `attnviz view`: attention from a file, no model
  std::string imported_source;           // the attention file's path
};

// The text box and the run status shown under it.
struct TextState {
  std::string text;
  bool changed = false;       // edited this frame: post a new run
  bool running = false;       // the worker is computing the newest text
  float progress = 0.0f;
  double running_ms = 0.0;    // how long the current run has taken so far
  std::string run_error;
  int truncated_from = 0;
  std::vector<std::string> examples;        // example texts one click away
  std::vector<std::string> example_titles;  // (same length) short names; empty: the text
};

// Caches of derived numbers, rebuilt only when their inputs change, so a frame at T = 1024 does
// not redo O(H·T²) work. `key` identifies the inputs that produced the cached values.
struct ReceivedCache {
  const AttentionTrace* trace = nullptr;
  int layer = -1;
  std::vector<char> heads;
  std::vector<float> received;  // (T) mean attention each token receives over enabled heads
  float max_received = 0.0f;
};

struct FlowCache {
  const AttentionTrace* trace = nullptr;
  float line_width = -1.0f;
  float font_size = -1.0f;
  float line_gap = -1.0f;
  int scrolled_to = -1;             // the pinned token the view last scrolled to
  int scroll_attempts = 0;          // frames spent scrolling to a new pin
  std::vector<std::string> labels;  // (T) chip_label of each token
  std::vector<float> widths;        // (T) chip widths
  FlowLayout layout;
};

// What the export panel edits; the request it fills is carried out by the main loop.
struct ExportUiState {
  std::string folder;          // editable; default current directory or $HOME
  std::string file_stem = "attention";
  int what = 0;                // 0 arcs (pinned token), 1 heatmap, 2 model grid
  int format = 0;              // 0 PNG, 1 SVG, 2 JSON, 3 NPY
  int scale = 2;               // PNG scale: 1, 2 or 4
  bool request = false;        // set by the panel or a shortcut; consumed by the main loop
  bool request_batch = false;  // every head of every layer into a folder
  std::string message;         // the last result, shown in the panel and the status bar
  bool message_is_error = false;
  std::string last_path;       // the last file written
};

}  // namespace attnviz::ui

// The export panel: the format (PNG 1×/2×/4×, SVG, JSON, NPY, safetensors), what a data file
// holds (every layer and head, the view's layer, or its head, each with its size), the folder
// (editable; default the current directory or $HOME) and the file name, a button for the view on
// screen and one for every head, and the result. The export itself is an action: the dispatcher
// renders the view's ViewSpec through the core exporters, so the app and `attnviz export` draw the
// same figures.
#pragma once

#include <filesystem>
#include <string>

#include "core/export/exporter.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"
#include "ui/ui_state.h"

namespace attnviz::ui {

struct ExportPanelInput {
  const ViewSpec* spec = nullptr;
  bool has_trace = false;
  TensorDims dims;  // of the trace on screen: the data exports' sizes
  // Rows written and in all of the data export being written (total 0: none).
  int64_t export_done = 0, export_total = 0;
};

void draw_export_panel(ExportUiState& state, const ExportPanelInput& input, Actions& out);

ExportFormat export_format_of(const ExportUiState& state);
// folder/stem-<view>.<ext>, the view named by what it draws ("arcs-L2-heads-1-2-t50",
// "heatmap-rollout", "grid"), with -2, -3… appended when a file of that name exists, so an
// export never overwrites what the person already has. `heads`: the trace's heads.
std::filesystem::path export_path_for(const ExportUiState& state, const ViewSpec& spec, int heads,
                                      ExportFormat format);
// The slice a data export writes: everything, the view's layer, or the view's layer and head.
TensorSlice data_slice_of(const ExportUiState& state, const ViewSpec& spec);
// The current directory when it is writable, else $HOME, else "/tmp".
std::string default_export_folder();

}  // namespace attnviz::ui

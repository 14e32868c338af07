// The export panel: what to export (the view on screen: arcs of the pinned token, the heatmap,
// or the model grid; or the data), the format (PNG 1×/2×/4×, SVG, JSON, NPY), the folder
// (editable; default the current directory or $HOME), a button per action and the result.
// The panel only edits ExportUiState and raises requests; the app carries them out through the
// core exporters, so the UI and `attnviz export` draw the same figures.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/attention_trace.h"
#include "core/export/exporter.h"
#include "core/result.h"
#include "ui/app_state.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

enum class ExportView { kArcs, kHeatmap, kModelGrid };

struct ExportPanelContext {
  ExportView current_view = ExportView::kArcs;  // the centre tab on screen
  bool has_trace = false;
  LayoutRecorder* recorder = nullptr;
};

void draw_export_panel(ExportUiState& state, const ExportPanelContext& context);

// The figure that shows what is on screen: arcs of the pinned (else previewed) token — one head
// in single-head mode, every head of the layer otherwise — the heatmap of the selected head, or
// the grid. An Error says what is missing (e.g. no token pinned for arcs).
Result<FigureSpec> figure_spec_for_view(const AttentionTrace& trace, const ViewState& view,
                                        ExportView what, int scale);
// What an export of the view draws, exactly what is on screen: the spec (multi-head arcs: the
// enabled heads only; `view_note`, e.g. the derived view's description, in the title) and, for a
// view that shows an aggregate of heads (mean, max, all layers, rollout; the multi-head
// heatmap is the mean of the enabled heads), the one-head trace holding it.
struct ViewFigure {
  FigureSpec spec;
  std::shared_ptr<const AttentionTrace> aggregate;  // null: draw the trace itself
};
Result<ViewFigure> figure_for_view(const AttentionTrace& trace, const ViewState& view,
                                   ExportView what, int scale, const std::string& view_note = "");
ExportFormat export_format_of(const ExportUiState& state);
// folder/stem-<view>-L<layer>-H<head>[-t<token>].<ext>, with -2, -3… appended when a file of
// that name exists, so an export never overwrites what the person already has.
std::filesystem::path export_path_for(const ExportUiState& state, const FigureSpec& spec,
                                      ExportFormat format);
// The current directory when it is writable, else $HOME, else "/tmp".
std::string default_export_folder();

}  // namespace attnviz::ui

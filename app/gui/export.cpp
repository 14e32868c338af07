// Carries out the Export action with the core exporters: the figure of the view on screen (its
// ViewSpec, with the screen's picture size, so the figure is the screen's picture plus a title),
// the data of the trace, or every head of every layer into a new folder. Failures (unwritable
// folder, no pinned token) become a message in the app, never a crash.
#include <chrono>
#include <cstdio>
#include <system_error>

#include "app/gui/app.h"
#include "core/export/exporter.h"
#include "core/view/text.h"
#include "ui/panel_export.h"
#include "ui/panel_model_grid.h"

namespace attnviz {

namespace {

void report(ui::ExportUiState& state, bool ok, std::string message) {
  state.message = std::move(message);
  state.message_is_error = !ok;
}

// What the figure adds to the view: the model's name, what the derived view changed, what-ifs.
FigureSpec figure_spec(const App& app, int scale) {
  FigureSpec spec;
  spec.scale = scale;
  const EngineState& state = *app.state;
  if (state.model && !state.imported) spec.model_name = state.model->display_name;
  const AttentionTrace& trace = *state.shown()->trace;
  spec.view_note = figure_view_note(
      state.view && state.view->derived.derived ? state.view->derived.description : "",
      trace.options);
  if (app.view.kind == ViewKind::kGrid)
    spec.roles = ui::role_labels(state.roles_table(), trace.layers(), trace.heads());
  return spec;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void export_view(App& app) {
  ui::ExportUiState& state = app.export_ui;
  const ExportFormat format = ui::export_format_of(state);
  const TraceRef& shown = *app.state->shown();
  const auto start = std::chrono::steady_clock::now();
  if (!is_figure_format(format)) {
    // Written streaming on the engine thread (tens of GB at long texts); the panel shows its
    // progress and a Cancel button, update_data_export the result.
    if (state.pending_export != 0)
      return report(state, false, "A data file is being written: wait for it, or cancel it");
    const TensorSlice slice = ui::data_slice_of(state, app.view);
    const std::filesystem::path path = ui::export_path_for(state, app.view, 0, format);
    state.pending_export = app.engine->export_data(shown.trace, format, path, slice);
    return report(state, true,
                  "Writing " + data_export_statement(dims_of(*shown.trace), format, slice) +
                      " to " + path.string() + "\xE2\x80\xA6");
  }
  if (!app.font) return report(state, false, "Export failed: the DejaVu Sans font was not found");
  const int scale = format == ExportFormat::kPng ? state.scale : 1;
  const std::filesystem::path path =
      ui::export_path_for(state, app.view, shown.trace->heads(), format);
  const std::span<const float> whole_map = app.state->whole_map_for(app.view.head_mode);
  if (const std::string_view refusal = app.state->whole_map_refusal(app.view.head_mode);
      !refusal.empty() && app.view.kind != ViewKind::kGrid)
    return report(state, false, "Export failed: " + std::string(refusal));
  Rect picture;
  if (Status written = export_figure(*shown.trace, app.view, whole_map, format,
                                     figure_spec(app, scale), path, app.font.get(), &picture);
      !written)
    return report(state, false, "Export failed: " + written.error().message);
  state.last_path = path.string();
  state.last_picture[0] = picture.x0;
  state.last_picture[1] = picture.y0;
  state.last_picture[2] = picture.x1;
  state.last_picture[3] = picture.y1;
  report(
      state, true,
      "Saved " + path.string() + " (" + std::to_string(static_cast<int>(ms_since(start))) + " ms)");
}

void export_every_head(App& app) {
  ui::ExportUiState& state = app.export_ui;
  ExportFormat format = ui::export_format_of(state);
  if (!is_figure_format(format)) format = ExportFormat::kPng;
  std::filesystem::path folder =
      std::filesystem::path(state.folder.empty() ? ui::default_export_folder() : state.folder) /
      ((state.file_stem.empty() ? "attention" : state.file_stem) + "-heads");
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(folder, ec) && n < 10000; ++n)
    folder = folder.parent_path() / (folder.filename().string() + "-" + std::to_string(n));
  std::filesystem::create_directory(folder, ec);
  if (ec)
    return report(state, false,
                  "Export failed: cannot create " + folder.string() + ": " + ec.message());
  if (!app.font) return report(state, false, "Export failed: the DejaVu Sans font was not found");
  const AttentionTrace& trace = *app.state->shown()->trace;
  const FigureSpec spec = figure_spec(app, format == ExportFormat::kPng ? state.scale : 1);
  int written = 0;
  for (int layer = 0; layer < trace.layers(); ++layer) {
    for (int head = 0; head < trace.heads(); ++head) {
      // The heatmap of each head, at the exporters' default size (the screen shows one).
      ViewSpec view = app.view;
      view.kind = ViewKind::kHeatmap;
      view.head_mode = HeadMode::kSingleHead;
      view.layer = layer;
      view.head = head;
      view.heatmap_zoom = 1.0f;
      view.picture_width = view.picture_height = 0.0f;
      std::string name = letter_number('L', layer) + "-" + letter_number('H', head);
      name += '.';
      name += export_format_name(format);
      if (Status ok = export_figure(trace, view, {}, format, spec, folder / name, app.font.get());
          !ok)
        return report(
            state, false,
            "Export stopped after " + std::to_string(written) + " files: " + ok.error().message);
      ++written;
    }
  }
  state.last_path = folder.string();
  report(state, true, "Saved " + std::to_string(written) + " heatmaps into " + folder.string());
}

}  // namespace

void update_data_export(App& app) {
  ui::ExportUiState& state = app.export_ui;
  const auto& result = app.state->data_export;
  if (state.pending_export == 0 || !result || result->number != state.pending_export) return;
  state.pending_export = 0;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f s", result->seconds);
  if (result->error == "cancelled")
    return report(state, false, "Export cancelled; nothing was written");
  if (!result->error.empty()) return report(state, false, "Export failed: " + result->error);
  state.last_path = result->path.string();
  report(state, true,
         "Saved " + result->path.string() + " (" + result->statement + ", " + seconds + ")");
}

void carry_out_export(App& app, bool every_head) {
  app.export_message_until_text = false;
  if (!app.state || !app.state->shown() || app.state->shown()->trace->tokens_count() == 0) {
    app.export_message_until_text = true;
    return report(app.export_ui, false, "Nothing to export yet: type some text first");
  }
  if (every_head) {
    export_every_head(app);
  } else {
    export_view(app);
  }
}

}  // namespace attnviz

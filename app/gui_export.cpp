// Carries out the export panel's requests with the core exporters: one figure or data file, or
// every head of every layer into a new folder. Failures (unwritable folder, no pinned token)
// become a message in the app, never a crash.
#include <chrono>
#include <system_error>

#include "app/gui_app.h"
#include "core/export/exporter.h"
#include "core/export/font.h"
#include "ui/panel_export.h"

namespace attnviz {

namespace {

ui::ExportView export_view_of(CenterTab tab) {
  switch (tab) {
    case CenterTab::kHeatmap: return ui::ExportView::kHeatmap;
    case CenterTab::kModelGrid: return ui::ExportView::kModelGrid;
    default: return ui::ExportView::kArcs;
  }
}

void report(ui::ExportUiState& state, bool ok, std::string message) {
  state.message = std::move(message);
  state.message_is_error = !ok;
}

const Font* export_font(App& app) {
  if (!app.export_font) {
    auto font = Font::load_default();
    if (!font) return nullptr;
    app.export_font = std::make_shared<Font>(std::move(font.value()));
  }
  return app.export_font.get();
}

void export_one(App& app) {
  ui::ExportUiState& state = app.export_ui;
  const ExportFormat format = ui::export_format_of(state);
  const bool data = format == ExportFormat::kJson || format == ExportFormat::kNpy;
  FigureSpec spec;
  std::shared_ptr<const AttentionTrace> drawn = app.trace;  // figures: exactly what is on screen
  if (!data) {
    const std::string view_note = app.view_options.derived.derived ? app.view_options.derived.description : "";
    auto built = ui::figure_for_view(*app.trace, app.view, export_view_of(app.center_tab),
                                     format == ExportFormat::kPng ? state.scale : 1, view_note);
    if (!built) return report(state, false, "Export failed: " + built.error().message);
    spec = built->spec;
    if (built->aggregate) drawn = built->aggregate;
  }
  const std::filesystem::path path = ui::export_path_for(state, spec, format);
  const Font* font = data ? nullptr : export_font(app);
  if (!data && !font) return report(state, false, "Export failed: the DejaVu Sans font was not found");
  const auto start = std::chrono::steady_clock::now();
  if (Status written = export_trace(*drawn, format, spec, path, font); !written)
    return report(state, false, "Export failed: " + written.error().message);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  state.last_path = path.string();
  report(state, true, "Saved " + path.string() + " (" + std::to_string(static_cast<int>(ms)) + " ms)");
}

void export_every_head(App& app) {
  ui::ExportUiState& state = app.export_ui;
  ExportFormat format = ui::export_format_of(state);
  if (format == ExportFormat::kJson || format == ExportFormat::kNpy) format = ExportFormat::kPng;
  std::string extension = ".";
  extension += export_format_name(format);
  std::filesystem::path folder = std::filesystem::path(state.folder.empty() ? ui::default_export_folder() : state.folder) /
                                 ((state.file_stem.empty() ? "attention" : state.file_stem) + "-heads");
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(folder, ec) && n < 10000; ++n)
    folder = folder.parent_path() / (folder.filename().string() + "-" + std::to_string(n));
  std::filesystem::create_directory(folder, ec);
  if (ec) return report(state, false, "Export failed: cannot create " + folder.string() + ": " + ec.message());
  const Font* font = export_font(app);
  if (!font) return report(state, false, "Export failed: the DejaVu Sans font was not found");
  int written = 0;
  for (int layer = 0; layer < app.trace->layers(); ++layer) {
    for (int head = 0; head < app.trace->heads(); ++head) {
      FigureSpec spec;
      spec.kind = FigureKind::kHeatmap;
      spec.layer = layer;
      spec.head = head;
      spec.scale = format == ExportFormat::kPng ? state.scale : 1;
      spec.theme = app.view.theme == ui::Theme::kLight ? Theme::kLight : Theme::kDark;
      std::string name = "L";  // built piecewise: GCC 12 warns falsely (-Wrestrict) on a + chain
      name += std::to_string(layer);
      name += "-H";
      name += std::to_string(head);
      name += extension;
      const auto path = folder / name;
      if (Status ok = export_trace(*app.trace, format, spec, path, font); !ok)
        return report(state, false, "Export stopped after " + std::to_string(written) + " files: " + ok.error().message);
      ++written;
    }
  }
  state.last_path = folder.string();
  report(state, true, "Saved " + std::to_string(written) + " heatmaps into " + folder.string());
}

}  // namespace

void carry_out_exports(App& app) {
  if (!app.export_ui.request && !app.export_ui.request_batch) return;
  const bool batch = app.export_ui.request_batch;
  app.export_ui.request = app.export_ui.request_batch = false;
  if (!app.trace || app.trace->tokens_count() == 0) {
    return report(app.export_ui, false, "Nothing to export yet: type some text first");
  }
  if (batch) {
    export_every_head(app);
  } else {
    export_one(app);
  }
}

}  // namespace attnviz

#include "app/gui_app.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/gui_automation.h"
#include "app/gui_window.h"
#include "core/analysis/head_roles.h"
#include "core/model.h"
#include "core/ops.h"
#include "ui/panel_cost.h"
#include "ui/panel_export.h"
#include "ui/panel_heads.h"
#include "ui/panel_heatmap.h"
#include "ui/panel_model_grid.h"
#include "ui/panel_models.h"
#include "ui/panel_predictions.h"
#include "ui/panel_text.h"
#include "ui/selection.h"
#include "ui/view_weights.h"

namespace attnviz {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Example texts: assets/examples.json when present (a list of strings, or of objects with a
// "text" and an optional "title", or {"examples": [...]}), always led by the two seed sentences.
void load_examples(ui::TextState& text) {
  text.examples = {"The bank by the river was eroding.",
                   "The cat that I saw yesterday at the park sat on the mat."};
  text.example_titles = {"", ""};
  const std::filesystem::path file = builtin_model_folder().parent_path() / "examples.json";
  std::ifstream in(file);
  if (!in) return;
  std::stringstream body;
  body << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(body.str(), nullptr, false);
  if (document.is_object() && document.contains("examples")) document = document["examples"];
  if (!document.is_array()) {
    std::fprintf(stderr, "attnviz: %s is not a list of examples; ignoring it\n", file.c_str());
    return;
  }
  for (const auto& entry : document) {
    std::string example, title;
    if (entry.is_string()) example = entry.get<std::string>();
    if (entry.is_object() && entry.contains("text") && entry["text"].is_string())
      example = entry["text"].get<std::string>();
    if (entry.is_object() && entry.contains("title") && entry["title"].is_string())
      title = entry["title"].get<std::string>();
    if (example.empty()) continue;
    auto found = std::find(text.examples.begin(), text.examples.end(), example);
    if (found != text.examples.end()) {
      text.example_titles[found - text.examples.begin()] = title;
    } else {
      text.examples.push_back(example);
      text.example_titles.push_back(title);
    }
  }
}

void load_settings_into(App& app) {
  app.settings_file.reset();
  if (auto folder = ui::config_folder()) app.settings_file = *folder / "settings.json";
  if (!app.settings_file) return;
  auto loaded = ui::load_settings(*app.settings_file);
  if (loaded) {
    app.settings = loaded.value();
  } else {
    app.settings_error = loaded.error().message;
    std::fprintf(stderr, "attnviz: %s\n", app.settings_error.c_str());
  }
  app.view.theme = app.settings.theme;
  app.view.head_mode = app.settings.head_mode;
  app.view.arcs_layout = app.settings.arcs_layout;
  app.view.arc_min_weight = app.settings.arc_min_weight;
  app.view.arc_top_k = app.settings.arc_top_k;
  app.export_ui.scale = app.settings.export_scale;
  app.export_ui.folder = app.settings.export_folder;
}

void save_settings_from(App& app, const DesktopWindow& window) {
  if (!app.settings_file) return;
  bool maximized = false;
  int width = 0, height = 0;
  window.window_size(width, height, maximized);
  app.settings.window_maximized = maximized;
  if (!maximized && width > 0 && height > 0) {
    app.settings.window_width = width;
    app.settings.window_height = height;
  }
  app.settings.theme = app.view.theme;
  app.settings.head_mode = app.view.head_mode;
  app.settings.arcs_layout = app.view.arcs_layout;
  app.settings.arc_min_weight = app.view.arc_min_weight;
  app.settings.arc_top_k = app.view.arc_top_k;
  app.settings.export_scale = app.export_ui.scale;
  app.settings.export_folder = app.export_ui.folder;
  if (auto saved = ui::save_settings(*app.settings_file, app.settings); !saved)
    std::fprintf(stderr, "attnviz: %s\n", saved.error().message.c_str());
}

void request_model(App& app, ComputeWorker& worker, const std::string& folder) {
  if (is_attention_file(folder)) {
    open_attention_file(app, folder);
    return;
  }
  leave_imported_attention(app, worker);
  app.requested_folder = folder;
  app.model.error.clear();
  worker.load_model(folder);
}

// Takes what the worker published since the last frame.
void sync_from_worker(App& app, ComputeWorker& worker) {
  const WorkerSnapshot snapshot = worker.snapshot();
  app.model.loading_folder = snapshot.loading_folder;
  if (snapshot.model_generation != app.model_generation && snapshot.model) {
    app.model_generation = snapshot.model_generation;
    app.model.loaded = true;
    app.model.config = snapshot.model->config();
    app.model.folder = snapshot.model->folder();
    std::error_code ec;
    app.model.display_name =
        std::filesystem::equivalent(app.model.folder, builtin_model_folder(), ec)
            ? "Built-in model"
            : (app.model.config.name.empty() ? app.model.folder.filename().string()
                                             : app.model.config.name);
    app.model.error.clear();
    app.probe_trace.reset();
    app.run_options = {};
    if (!app.requested_folder.empty()) ui::remember_model(app.settings, app.requested_folder);
  }
  if (snapshot.model_error_generation != app.model_error_generation) {
    app.model_error_generation = snapshot.model_error_generation;
    app.model.error = snapshot.model_error;
  }
  if (snapshot.trace_generation != app.trace_generation && snapshot.trace && !app.model.imported) {
    app.trace_generation = snapshot.trace_generation;
    app.raw_trace = snapshot.trace;  // turned into app.trace by update_view_trace
    if (app.options.log_runs) {
      const RunTimings& timings = app.raw_trace->timings;
      char predictions[48] = ", predictions pending";
      if (!app.raw_trace->predictions_pending())
        std::snprintf(predictions, sizeof predictions, ", predictions %.1f ms",
                      timings.predictions_ms);
      std::fprintf(stderr,
                   "attnviz: run of %d tokens, %d reused (%d copied): attention %.1f ms%s\n",
                   app.raw_trace->tokens_count(), timings.reused_positions,
                   timings.copied_positions, timings.forward_ms, predictions);
    }
  }
  if (snapshot.roles && snapshot.roles_trace == app.raw_trace &&
      app.head_roles_of != app.raw_trace.get()) {
    app.head_roles.table = *snapshot.roles;  // a copy: apply_probe writes into it
    app.head_roles.valid = true;
    app.head_roles_of = app.raw_trace.get();
    app.probe_applied_to = nullptr;
  }
  app.text.running = snapshot.running;
  app.text.progress = snapshot.progress;
  app.text.running_ms =
      snapshot.running
          ? std::chrono::duration<double, std::milli>(Clock::now() - snapshot.run_started).count()
          : 0.0;
  app.text.run_error = snapshot.run_error;
  if (snapshot.probe_generation != app.probe_generation && snapshot.probe_trace) {
    app.probe_generation = snapshot.probe_generation;
    app.probe_trace = snapshot.probe_trace;
    app.probe_repeat_length = snapshot.probe_repeat_length;
    app.probe_applied_to = nullptr;
  }
  app.text.truncated_from = snapshot.truncated_from;
}

// Fixed layout: left column (model, text + chips, heads), centre tabs (arcs, heatmap, grid),
// right column (export and details). Recomputed every frame, so the layout follows the window.
struct Columns {
  ImVec2 origin, size;
  float left = 0, right = 0;
};

Columns compute_columns(const App& app, float status_height) {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  Columns c;
  c.origin = viewport->WorkPos;
  c.size = {viewport->WorkSize.x, viewport->WorkSize.y - status_height};
  c.left = std::round(c.size.x * app.settings.left_column_fraction);
  c.right = std::round(c.size.x * app.settings.right_column_fraction);
  return c;
}

// The placed windows tile the viewport, and the frame is cleared to the window colour first
// (DesktopWindow::end_frame), so their own backgrounds would paint every pixel a second time.
// With a software rasterizer that blended full-screen fill was a third of the frame (llvmpipe:
// 11 ms -> 6.7 ms for a short text), so they draw none. Floating windows keep theirs.
void place(ImVec2 pos, ImVec2 size) {
  ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
  ImGui::SetNextWindowSize(size, ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(0.0f);
}

// A thin window with a tab bar that chooses which panel window fills the area below it.
template <class Tab>
void draw_tab_strip(const char* id, ImVec2 pos, float width, float height,
                    std::initializer_list<std::pair<const char*, Tab>> tabs, Tab& current,
                    bool& force, ui::LayoutRecorder& recorder) {
  place(pos, {width, height});
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {8, 4});
  ImGui::Begin(id, nullptr, flags);
  if (ImGui::BeginTabBar(id)) {
    for (const auto& [label, tab] : tabs) {
      const ImGuiTabItemFlags tab_flags =
          force && current == tab ? ImGuiTabItemFlags_SetSelected : 0;
      if (ImGui::BeginTabItem(label, nullptr, tab_flags)) {
        if (!force) current = tab;
        ImGui::EndTabItem();
      }
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      recorder.record(std::string("tab.") + label, {a.x, a.y, b.x, b.y});
    }
    ImGui::EndTabBar();
  }
  force = false;
  ImGui::End();
  ImGui::PopStyleVar();
}

void draw_arcs_window(App& app, float scale) {
  if (!ImGui::Begin("Arcs", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  if (app.trace) {
    ui::ArcsPanelContext context{&app.view, &app.arcs_cache, &app.recorder, &app.hover_candidate,
                                 scale};
    ui::draw_arcs_view(*app.trace, context);
  } else {
    ImGui::TextDisabled("loading the model\xE2\x80\xA6");
  }
  ImGui::End();
}

void draw_loading_window(const char* name, const char* what = "loading the model\xE2\x80\xA6") {
  if (ImGui::Begin(name, nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize))
    ImGui::TextDisabled("%s", what);
  ImGui::End();
}

// The role table of the trace on screen, or null while the worker is still computing it.
const HeadRoleTable* current_roles(App& app) {
  if (!app.raw_trace || !app.head_roles.valid || app.head_roles_of != app.raw_trace.get())
    return nullptr;
  return &app.head_roles.table;
}

// Rollout and the all-layer mean are built on a background thread; the heatmap shows the
// previous map until this hands the new one over.
void request_expensive_map(App& app) {
  ui::HeatmapRenderer& renderer = *app.heatmap_renderer;
  const ui::MapRequest request = ui::map_request_for(app.view);
  renderer.panel.map_pending = false;
  if (!map_is_expensive(request) || renderer.has_map(*app.trace, request)) return;
  if (auto values = app.map_job.take(*app.trace, request)) {
    renderer.provide_map(*app.trace, request, std::move(*values));
    return;
  }
  app.map_job.request(app.trace, request);
  renderer.panel.map_pending = true;
}

void draw_center(App& app, const Columns& c, float scale) {
  const float x = c.origin.x + c.left, width = c.size.x - c.left - c.right;
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  draw_tab_strip<CenterTab>("##views", {x, c.origin.y}, width, strip,
                            {{"Arcs", CenterTab::kArcs},
                             {"Heatmap", CenterTab::kHeatmap},
                             {"Model grid", CenterTab::kModelGrid}},
                            app.center_tab, app.select_tab, app.recorder);
  // The view options (words, hidden tokens) between the tabs and the view they change.
  const float options_height = ImGui::GetFrameHeightWithSpacing() +
                               ImGui::GetTextLineHeightWithSpacing() +
                               ImGui::GetStyle().WindowPadding.y * 2;
  place({x, c.origin.y + strip}, {width, options_height});
  ui::draw_view_options_window(app.view_options, app.view, {&app.recorder});
  place({x, c.origin.y + strip + options_height}, {width, c.size.y - strip - options_height});
  switch (app.center_tab) {
    case CenterTab::kArcs:
      draw_arcs_window(app, scale);
      break;
    case CenterTab::kHeatmap:
      if (app.trace) {
        request_expensive_map(app);
        ui::draw_heatmap_panel(*app.trace, app.view, *app.heatmap_renderer);
      } else {
        draw_loading_window("Heatmap");
      }
      break;
    case CenterTab::kModelGrid:
      if (app.trace) {
        ui::draw_model_grid_panel(*app.trace, app.view, *app.heatmap_renderer, current_roles(app));
      } else {
        draw_loading_window("Model grid");
      }
      break;
  }
}

// The induction probe's scores go into the role table of the trace on screen.
void apply_probe(App& app) {
  const HeadRoleTable* table = current_roles(app);
  if (!table || !app.probe_trace) return;
  if (app.probe_applied_to == app.head_roles_of || table->layers != app.probe_trace->layers() ||
      table->heads != app.probe_trace->heads())
    return;
  const std::vector<double> scores =
      induction_probe_score(*app.probe_trace, app.probe_repeat_length);
  set_induction_from_probe(app.head_roles.table, scores);
  app.probe_applied_to = app.head_roles_of;
}

void draw_right_column(App& app, ComputeWorker* worker, const Columns& c, float scale) {
  const float x = c.origin.x + c.size.x - c.right;
  float top = c.origin.y;
  if (!app.model.imported) {
    const float inspector_height = std::round(c.size.y * 0.5f);
    place({x, top}, {c.right, inspector_height});
    if (app.view_options.derived.derived) {
      ui::draw_inspector_needs_raw_tokens(app.view_options, app.view);
    } else if (app.trace) {
      if (ui::draw_inspector_panel(*app.trace, app.view, app.inspector, app.run_options) && worker)
        worker->run_text(app.text.text, app.run_options);
    } else {
      draw_loading_window("Inspector");
    }
    top += inspector_height;
  }
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  bool force = false;
  draw_tab_strip<DetailsTab>("##details", {x, top}, c.right, strip,
                             {{"Predictions", DetailsTab::kPredictions},
                              {"Head roles", DetailsTab::kHeadRoles},
                              {"Cost", DetailsTab::kCost},
                              {"Export", DetailsTab::kExport}},
                             app.details_tab, force, app.recorder);
  place({x, top + strip}, {c.right, c.origin.y + c.size.y - top - strip});
  switch (app.details_tab) {
    case DetailsTab::kPredictions:
      if (app.trace) {
        ui::draw_predictions_panel(*app.trace, app.view, [&app, worker](const std::string& text) {
          app.text.text += text;
          if (worker) worker->run_text(app.text.text, app.run_options);
        });
      } else {
        draw_loading_window("Predictions");
      }
      break;
    case DetailsTab::kHeadRoles:
      if (app.trace) {
        std::function<void()> load_probe;
        if (worker) load_probe = [worker] { worker->run_induction_probe(25); };
        std::function<void()> show_probe;
        if (worker && app.probe_trace) {
          show_probe = [&app, worker] {
            // Token 0 stands for how every text starts (<|endoftext|>, [CLS]); the rest is text.
            app.text.text.clear();
            const std::vector<Token>& tokens = app.probe_trace->tokens();
            for (size_t i = 1; i < tokens.size(); ++i) app.text.text += tokens[i].text;
            worker->run_text(app.text.text, app.run_options);
          };
        }
        if (const HeadRoleTable* roles = current_roles(app)) {
          ui::draw_head_roles_panel(*app.trace, *roles, app.view, app.head_roles_panel, load_probe,
                                    show_probe);
        } else {
          draw_loading_window("Head roles", "computing the head roles\xE2\x80\xA6");
        }
      } else {
        draw_loading_window("Head roles");
      }
      break;
    case DetailsTab::kCost:
      if (app.trace) {
        ui::draw_cost_panel(*app.trace);
      } else {
        draw_loading_window("Cost");
      }
      break;
    case DetailsTab::kExport: {
      ui::ExportPanelContext export_context;
      export_context.current_view = app.center_tab == CenterTab::kHeatmap ? ui::ExportView::kHeatmap
                                    : app.center_tab == CenterTab::kModelGrid
                                        ? ui::ExportView::kModelGrid
                                        : ui::ExportView::kArcs;
      export_context.has_trace = app.trace != nullptr;
      export_context.recorder = &app.recorder;
      ui::draw_export_panel(app.export_ui, export_context);
      break;
    }
  }
}

void draw_status_bar(App& app, float height) {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  place({viewport->WorkPos.x, viewport->WorkPos.y + viewport->WorkSize.y - height},
        {viewport->WorkSize.x, height});
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  ImGui::Begin("##status", nullptr, flags);
  if (!app.model.loading_folder.empty()) {
    ImGui::TextColored({0.5f, 0.75f, 1, 1}, "loading model\xE2\x80\xA6");
  } else if (app.text.running && app.text.running_ms > 100.0) {
    ImGui::Text("running %.0f%%", 100.0f * app.text.progress);
  } else if (app.trace) {
    const std::string& name = app.model.imported ? app.trace->model_name : app.model.display_name;
    ImGui::TextDisabled("%s \xC2\xB7 %d tokens \xC2\xB7 layer %d \xC2\xB7 %s", name.c_str(),
                        app.trace->tokens_count(), app.view.layer,
                        ui::head_mode_label(app.view.head_mode));
  } else {
    ImGui::TextDisabled("loading\xE2\x80\xA6");
  }
  if (!app.export_ui.message.empty()) {
    ImGui::SameLine(0, 30);
    ImGui::TextColored(app.export_ui.message_is_error ? ImVec4{0.95f, 0.35f, 0.3f, 1}
                                                      : ImVec4{0.4f, 0.85f, 0.45f, 1},
                       "%s", app.export_ui.message.c_str());
  }
  ImGui::End();
}

// The diff window and the model picker (floating windows, opened from the menus).
void draw_view_windows(App& app, ComputeWorker* worker) {
  ui::DiffPanelContext diff_context;
  diff_context.shown_a = app.trace;
  diff_context.view_options = ui::trace_view_options(app.view, app.view_options);
  diff_context.view = &app.view;
  diff_context.main_text = app.text.text;
  diff_context.main_folder =
      app.model.loaded && !app.model.imported ? app.model.folder.string() : "";
  diff_context.wake_ui = [] { glfwPostEmptyEvent(); };
  diff_context.recorder = &app.recorder;
  ui::draw_diff_panel(app.diff, diff_context);

  ui::ModelPickerContext picker_context{&app.settings.recent_models, app.model.folder.string(),
                                        &app.recorder};
  if (auto folder = ui::draw_model_picker(app.model_picker, picker_context); folder && worker) {
    app.model.path_input = *folder;
    request_model(app, *worker, *folder);
  }
}

void draw_frame(App& app, ComputeWorker* worker, const DesktopWindow& window) {
  const float scale = window.ui_scale();
  app.recorder.clear();
  app.hover_candidate.reset();
  apply_probe(app);  // before any panel shows the roles (grid labels, head bar, table)
  draw_menu_bar(app, worker);
  const float status_height = ImGui::GetFrameHeight() + 4 * scale;
  const Columns c = compute_columns(app, status_height);

  // Left column: model, text and chips, layers and heads.
  const float model_height = std::round(ImGui::GetFrameHeightWithSpacing() * 4.6f);
  const float heads_height = std::round(ImGui::GetFrameHeightWithSpacing() * 7.0f);
  place(c.origin, {c.left, model_height});
  ui::ModelsPanelContext models_context{&app.settings.recent_models,
                                        builtin_model_folder().string(), &app.recorder,
                                        /*can_open=*/worker != nullptr};
  if (auto folder = ui::draw_models_panel(app.model, models_context); folder && worker)
    request_model(app, *worker, *folder);

  place({c.origin.x, c.origin.y + model_height}, {c.left, c.size.y - model_height - heads_height});
  ui::TextPanelContext text_context;
  text_context.trace = app.trace.get();
  text_context.view = &app.view;
  text_context.received = &app.text_received;
  text_context.flow = &app.text_flow;
  text_context.recorder = &app.recorder;
  text_context.row_scratch = &app.text_row;
  text_context.hover_candidate = &app.hover_candidate;
  text_context.ui_scale = scale;
  text_context.read_only = app.model.imported;
  ui::draw_text_panel(app.text, text_context);

  place({c.origin.x, c.origin.y + c.size.y - heads_height}, {c.left, heads_height});
  ui::HeadsPanelContext heads_context{app.trace ? app.trace->layers() : 0,
                                      app.trace ? app.trace->heads() : 0, &app.recorder, scale,
                                      current_roles(app)};
  ui::draw_heads_panel(app.view, heads_context);

  draw_center(app, c, scale);
  draw_right_column(app, worker, c, scale);
  draw_status_bar(app, status_height);
  draw_help_windows(app);
  draw_view_windows(app, worker);

  const int tokens = app.trace ? app.trace->tokens_count() : 0;
  if (app.hover_candidate && !app.view.pinned_token) {
    ui::apply_selection(app.view, {ui::SelectionEventKind::kHover, *app.hover_candidate}, tokens);
  } else {
    ui::apply_selection(app.view, {ui::SelectionEventKind::kHoverEnd}, tokens);
  }
  carry_out_exports(app);
}

// An edited text runs once the frame is on screen: under a software renderer the frame's
// drawing would otherwise take the cores from the run's first milliseconds.
// True when a run was asked for.
bool request_run_after_frame(App& app, ComputeWorker* worker) {
  const bool requested = app.text.changed && worker;
  if (requested) worker->run_text(app.text.text, app.run_options);
  app.text.changed = false;
  return requested;
}

nlohmann::json layout_state(const App& app) {
  nlohmann::json state = {
      {"trace_ready", app.trace != nullptr},
      {"tokens", app.trace ? app.trace->tokens_count() : 0},
      {"layer", app.view.layer},
      {"head", app.view.head},
      {"head_mode", ui::head_mode_label(app.view.head_mode)},
      {"enabled_heads", app.view.enabled_heads},
      {"pinned", app.view.pinned_token ? *app.view.pinned_token : -1},
      {"model", app.model.loaded ? app.model.folder.string() : std::string()},
      {"model_error", app.model.error},
      {"loading", !app.model.loading_folder.empty()},
      {"running", app.text.running},
      {"forward_ms", app.raw_trace ? app.raw_trace->timings.forward_ms : 0.0},
      {"predictions_ms", app.raw_trace ? app.raw_trace->timings.predictions_ms : 0.0},
      {"reused_positions", app.raw_trace ? app.raw_trace->timings.reused_positions : 0},
      {"copied_positions", app.raw_trace ? app.raw_trace->timings.copied_positions : 0},
      {"text", app.text.text},
      {"export_message", app.export_ui.message},
      {"export_error", app.export_ui.message_is_error},
      {"export_path", app.export_ui.last_path},
      {"view_description", app.view_options.derived.description},
      {"diff_open", app.diff.open},
      {"diff_aligned", app.diff.maps.aligned},
      {"diff_max_change", app.diff.maps.max_change},
  };
  return state;
}

bool should_exit(const App& app, long frame, Clock::time_point start) {
  if (app.options.exit_after_frames > 0 && frame >= app.options.exit_after_frames) return true;
  if (app.options.exit_after_seconds > 0.0 &&
      ms_since(start) >= 1000.0 * app.options.exit_after_seconds)
    return true;
  return app.quit;
}

}  // namespace

int run_gui(AppOptions options) {
  // The UI thread's own computations (derived views, map statistics) stay on it; the cores
  // belong to the worker's runs.
  run_serially_on_this_thread();
  App app;
  app.options = std::move(options);
  load_settings_into(app);
  load_examples(app.text);
  app.text.text = app.options.text ? *app.options.text : app.text.examples.front();
  if (app.options.start_tab == "heatmap") app.center_tab = CenterTab::kHeatmap;
  if (app.options.start_tab == "grid") app.center_tab = CenterTab::kModelGrid;
  app.select_tab = true;
  if (app.options.pin_token) app.view.pinned_token = app.options.pin_token;
  if (app.options.start_layer) app.view.layer = *app.options.start_layer;  // clamped on the trace

  WindowOptions window_options;
  window_options.width = app.settings.window_width;
  window_options.height = app.settings.window_height;
  window_options.maximized = app.settings.window_maximized;
  window_options.vsync = app.options.frame_stats.empty() && app.options.exit_after_frames == 0;
  window_options.font_size = app.settings.font_size;
  window_options.theme = app.view.theme;
  if (app.settings_file) window_options.imgui_ini = app.settings_file->parent_path() / "imgui.ini";
  if (app.settings_file) {
    std::error_code ec;
    std::filesystem::create_directories(app.settings_file->parent_path(), ec);
  }
  auto window = DesktopWindow::open(window_options);
  if (!window) {
    std::fprintf(
        stderr,
        "attnviz: %s.\nThe desktop app needs a display. Without one, use the command line:\n"
        "  attnviz tokenize --text TEXT\n  attnviz export --text TEXT --out FILE.png\n",
        window.error().message.c_str());
    return 1;
  }
  DesktopWindow& desktop = *window.value();

  // The worker starts after the window so it is destroyed first (it wakes the window's loop).
  std::unique_ptr<ComputeWorker> worker;
  if (app.options.imported) {
    // No worker here: the imported trace's roles are computed once, before the first frame.
    show_imported_attention(app, app.options.imported, app.options.imported_source);
  } else {
    worker = std::make_unique<ComputeWorker>([] { glfwPostEmptyEvent(); });
    const std::string folder =
        app.options.model_folder ? *app.options.model_folder : builtin_model_folder().string();
    app.model.path_input = folder;
    request_model(app, *worker, folder);
    worker->run_text(app.text.text, app.run_options);
  }
  app.heatmap_renderer = std::make_unique<ui::HeatmapRenderer>();

  std::optional<LayoutDumper> dumper;
  if (!app.options.dump_layout.empty()) {
    dumper.emplace(app.options.dump_layout);
    app.recorder.enabled = true;
  }
  FrameStats stats;
  const bool benchmark = !app.options.frame_stats.empty() || app.options.exit_after_frames > 0;
  const Clock::time_point loop_start = Clock::now();
  double first_frame_ms = -1.0;
  long frame = 0;
  // Frames to draw at 60 per second after something happened, for ImGui to settle (hover,
  // focus, a scroll that needs the new content size); after that the loop waits for input or
  // the worker, so a software renderer leaves the cores to a run.
  constexpr int kSettleFrames = 6;
  int busy_frames = 60;  // the first second: the window appears, the model loads
  Clock::time_point last_frame_start = loop_start;
  Clock::time_point last_run_request = loop_start - std::chrono::seconds(1);
  while (!desktop.should_close() && !should_exit(app, frame, loop_start)) {
    // A run just asked for counts as computing before the worker reports it running.
    const bool computing =
        app.text.running || !app.model.loading_folder.empty() || ms_since(last_run_request) < 100.0;
    // Frames are paced, not drawn as fast as possible: 60 per second after input (vsync does
    // this on a GPU; a software renderer has none and would take the cores from the worker),
    // 10 while the worker computes (its progress shows after 100 ms; input still wakes the loop
    // at once, and so does the worker when it publishes), and none while idle beyond a 0.25 s
    // heartbeat. Under llvmpipe a frame keeps both cores busy for several milliseconds, which
    // stalled a run's threads for as long. Benchmark runs draw back to back.
    double wait_s = 0.25;
    if (benchmark) {
      wait_s = 0.0;
    } else if (busy_frames > 0 || computing) {
      const double period = computing ? 1.0 / 10.0 : 1.0 / 60.0;
      wait_s = std::max(1e-4, period - ms_since(last_frame_start) / 1000.0);
    }
    // Frame time counts from here: in benchmark runs nothing waits, so it is the frame's work.
    const Clock::time_point frame_start = Clock::now();
    desktop.begin_frame(wait_s);
    last_frame_start = Clock::now();
    const ImGuiIO& io = ImGui::GetIO();
    const uint64_t trace_before = app.trace_generation;
    if (worker) sync_from_worker(app, *worker);
    app.trace = ui::update_view_trace(app.view_options, app.raw_trace, app.view);
    for (const std::string& path : desktop.take_dropped_paths()) {
      app.model.path_input = path;
      if (worker) request_model(app, *worker, path);
    }
    handle_shortcuts(app);
    const Clock::time_point ui_start = Clock::now();
    draw_frame(app, worker.get(), desktop);
    const double ui_ms = ms_since(ui_start);
    if (app.theme_changed) {
      desktop.apply_theme(app.view.theme);
      app.theme_changed = false;
    }
    desktop.end_frame();
    if (request_run_after_frame(app, worker.get())) last_run_request = Clock::now();
    ++frame;

    // A focused text box alone is not activity: the 0.25 s heartbeat blinks its cursor.
    const bool key_down =
        std::any_of(std::begin(io.KeysDown), std::end(io.KeysDown), [](bool down) { return down; });
    const bool input = io.MouseDelta.x != 0 || io.MouseDelta.y != 0 || io.MouseWheel != 0 ||
                       io.InputQueueCharacters.Size > 0 || ImGui::IsAnyMouseDown() || key_down ||
                       app.trace_generation != trace_before;
    busy_frames = input ? std::max(busy_frames - 1, kSettleFrames) : std::max(0, busy_frames - 1);
    if (first_frame_ms < 0) {
      first_frame_ms = ms_since(app.options.process_start);
      if (app.options.print_time_to_first_frame)
        std::fprintf(stderr, "attnviz: time to first frame %.1f ms\n", first_frame_ms);
    } else if (app.trace) {
      // Frames that show attention: not the ones while the model loads and first runs.
      const bool worker_busy = app.text.running ||
                               (app.raw_trace && app.raw_trace->predictions_pending()) ||
                               (app.raw_trace && !current_roles(app));
      stats.add(ms_since(frame_start), ui_ms, ImGui::GetDrawData()->TotalIdxCount / 3.0,
                worker_busy);
    }
    if (dumper) {
      int x = 0, y = 0;
      desktop.window_position(x, y);
      dumper->update(app.recorder, x, y, layout_state(app), frame);
    }
  }
  app.heatmap_renderer.reset();  // GL objects go before the context does
  save_settings_from(app, desktop);
  if (!app.options.frame_stats.empty()) {
    const std::string summary = stats.summary(first_frame_ms).dump(2) + "\n";
    if (auto written = write_file_atomically(app.options.frame_stats, summary); !written) {
      std::fprintf(stderr, "attnviz: --frame-stats: %s\n", written.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace attnviz

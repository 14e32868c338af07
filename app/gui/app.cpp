#include "app/gui/app.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/gui/automation.h"
#include "app/gui/window.h"
#include "core/atomic_file.h"
#include "core/json_read.h"
#include "core/model.h"
#include "core/ops.h"
#include "core/view/view_weights.h"
#include "ui/panel_cost.h"
#include "ui/panel_export.h"
#include "ui/panel_heads.h"
#include "ui/panel_model_grid.h"
#include "ui/panel_models.h"
#include "ui/panel_predictions.h"
#include "ui/panel_view_options.h"

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
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return;
  auto parsed = read_json_file_bounded(file, 4u << 20);
  if (!parsed) {
    std::fprintf(stderr, "attnviz: %s; ignoring it\n", parsed.error().message.c_str());
    return;
  }
  nlohmann::json document = std::move(parsed).value();
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

// Takes the engine's latest state: remembers loaded models, keeps the view's token indices
// meaning what they meant, and tells the engine what the view needs.
void sync_from_engine(App& app) {
  const std::shared_ptr<const EngineState> previous = app.state;
  app.state = app.engine->state();
  const EngineState& state = *app.state;
  if (state.model && (!previous || previous->model_id != state.model_id)) {
    ui::remember_model(app.settings, state.model->folder.string());
    app.run_options = {};  // what-ifs belong to the model they were made on
  }
  if (app.options.log_runs && state.raw && !state.imported && state.raw.id != app.logged_trace) {
    app.logged_trace = state.raw.id;
    const AttentionTrace& raw = *state.raw.trace;
    const RunTimings& timings = raw.timings;
    char predictions[48] = ", predictions pending";
    if (!raw.predictions_pending())
      std::snprintf(predictions, sizeof predictions, ", predictions %.1f ms",
                    timings.predictions_ms);
    std::fprintf(stderr, "attnviz: run of %d tokens, %d reused (%d copied): attention %.1f ms%s\n",
                 raw.tokens_count(), timings.reused_positions, timings.copied_positions,
                 timings.forward_ms, predictions);
  }
  // A new derived view of the same raw trace (an option toggled): pins follow their raw token.
  if (state.view != app.shown_view) {
    if (app.shown_view && state.view && app.shown_view->raw_id == state.view->raw_id &&
        !(app.shown_view->options == state.view->options))
      ui::follow_raw_tokens(app.shown_view->derived, state.view->derived, app.view, app.pointer);
    app.shown_view = state.view;
  }
  if (const TraceRef* shown = state.shown()) {
    const AttentionTrace& trace = *shown->trace;
    app.view.clamp_to(trace.layers(), trace.heads(), trace.tokens_count());
    ui::Pointer& pointer = app.pointer;
    for (std::optional<int>* token : {&pointer.hovered_token, &pointer.hovered_key})
      if (*token && **token >= trace.tokens_count()) token->reset();
  }
  app.engine->set_view({app.view.token_view(), app.view.head_mode});
  std::optional<DiffRequest> diff;
  if (app.view.diff.open && state.shown()) {
    const AttentionTrace& a = *state.shown()->trace;
    diff.emplace();
    diff->source = app.view.diff.source;
    diff->text_b = app.view.diff.text_b;
    diff->model_b = app.view.diff.model_b;
    diff->main_text = app.text.text;
    diff->token_view = app.view.token_view();
    diff->choice = aggregate_choice(app.view, a.layers(), a.heads());
  }
  app.engine->set_diff(std::move(diff));
}

// The labels of the view trace's chips and the attention each token receives, once per trace.
void update_caches(App& app, const TraceRef& shown, float text_height) {
  if (app.panels.labels.trace_id != shown.id ||
      app.panels.labels.labels.text_height != text_height) {
    app.panels.labels.trace_id = shown.id;
    app.panels.labels.labels =
        measure_chip_labels(shown.trace->tokens(), app.font.get(), text_height);
  }
  ui::ReceivedCache& r = app.panels.received;
  const ViewSpec& v = app.view;
  if (r.trace_id != shown.id || r.layer != v.layer || r.head != v.head || r.mode != v.head_mode ||
      r.heads != v.enabled_heads) {
    r.trace_id = shown.id;
    r.layer = v.layer;
    r.head = v.head;
    r.mode = v.head_mode;
    r.heads = v.enabled_heads;
    r.received.assign(shown.trace->tokens_count(), 0.0f);
    received_attention(*shown.trace, v, r.received);
  }
}

// Fixed layout: left column (model, text + chips, heads), centre tabs (arcs, heatmap, grid),
// right column (inspector and details). Recomputed every frame, so it follows the window.
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
// Returns the tab chosen this frame.
template <class Tab>
Tab draw_tab_strip(const char* id, ImVec2 pos, float width, float height,
                   std::initializer_list<std::pair<const char*, Tab>> tabs, Tab current,
                   bool force) {
  place(pos, {width, height});
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {8, 4});
  ImGui::Begin(id, nullptr, flags);
  Tab chosen = current;
  if (ImGui::BeginTabBar(id)) {
    for (const auto& [label, tab] : tabs) {
      const ImGuiTabItemFlags tab_flags =
          force && current == tab ? ImGuiTabItemFlags_SetSelected : 0;
      if (ImGui::BeginTabItem(label, nullptr, tab_flags)) {
        if (!force) chosen = tab;
        ImGui::EndTabItem();
      }
      ui::name_item(std::string("tab.") + label);
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
  ImGui::PopStyleVar();
  return chosen;
}

void draw_waiting_window(const char* name, const char* what = "loading the model\xE2\x80\xA6") {
  if (ImGui::Begin(name, nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize))
    ImGui::TextDisabled("%s", what);
  ImGui::End();
}

float ui_text_height(float scale) {
  return ImGui::GetFontSize() / scale;
}

void draw_center(App& app, const Columns& c, float scale) {
  const float x = c.origin.x + c.left, width = c.size.x - c.left - c.right;
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  const ViewKind chosen = draw_tab_strip<ViewKind>(
      "##views", {x, c.origin.y}, width, strip,
      {{"Arcs", ViewKind::kArcs}, {"Heatmap", ViewKind::kHeatmap}, {"Model grid", ViewKind::kGrid}},
      app.view.kind, app.flags.select_tab);
  app.flags.select_tab = false;
  if (chosen != app.view.kind) app.actions.push_back(ui::action::SetKind{chosen});
  // The view options (words, hidden tokens) between the tabs and the view they change.
  const float options_height = ImGui::GetFrameHeightWithSpacing() +
                               ImGui::GetTextLineHeightWithSpacing() +
                               ImGui::GetStyle().WindowPadding.y * 2;
  place({x, c.origin.y + strip}, {width, options_height});
  const EngineState& state = *app.state;
  ui::draw_view_options_window(app.view, app.pointer, state.view ? &state.view->derived : nullptr,
                               app.actions);
  place({x, c.origin.y + strip + options_height}, {width, c.size.y - strip - options_height});
  const TraceRef* shown = state.shown();
  if (!shown) {
    draw_waiting_window(app.view.kind == ViewKind::kArcs      ? "Arcs"
                        : app.view.kind == ViewKind::kHeatmap ? "Heatmap"
                                                              : "Model grid");
    return;
  }
  const AttentionReader reader(*shown->trace);
  const std::span<const float> whole_map = state.whole_map_for(app.view.head_mode);
  ui::PictureSize picture;
  switch (app.view.kind) {
    case ViewKind::kArcs: {
      if (ImGui::Begin("Arcs", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
        update_caches(app, *shown, ui_text_height(scale));
        ui::ArcsPanelInput input;
        input.reader = &reader;
        input.spec = &app.view;
        input.pointer = &app.pointer;
        input.whole_map = whole_map;
        input.labels = &app.panels.labels.labels;
        input.received = app.panels.received.received;
        input.font = app.font.get();
        input.ui_scale = scale;
        picture = ui::draw_arcs_view(input, app.panels.arcs, app.actions);
      }
      ImGui::End();
      break;
    }
    case ViewKind::kHeatmap: {
      ui::HeatmapPanelInput input;
      input.reader = &reader;
      input.trace_id = shown->id;
      input.spec = &app.view;
      input.whole_map = whole_map;
      input.font = app.font.get();
      input.ui_scale = scale;
      picture =
          ui::draw_heatmap_panel(input, *app.heatmap_renderer, app.panels.heatmap, app.actions);
      break;
    }
    case ViewKind::kGrid: {
      ui::GridPanelInput input;
      input.reader = &reader;
      input.trace_id = shown->id;
      input.spec = &app.view;
      input.roles = state.view && !state.view->derived.derived ? state.roles_table() : nullptr;
      input.font = app.font.get();
      input.ui_scale = scale;
      ui::draw_model_grid_panel(input, *app.heatmap_renderer, app.actions);
      break;
    }
  }
  // The picture's size is layout, not a choice: it follows the panel, and exports take it.
  if (picture.width > 0 && picture.height > 0) {
    app.view.picture_width = picture.width;
    app.view.picture_height = picture.height;
  }
}

void draw_right_column(App& app, const Columns& c, float scale) {
  const EngineState& state = *app.state;
  const float x = c.origin.x + c.size.x - c.right;
  float top = c.origin.y;
  const TraceRef* shown = state.shown();
  if (!state.imported) {
    const float inspector_height = std::round(c.size.y * 0.5f);
    place({x, top}, {c.right, inspector_height});
    if (state.view && state.view->derived.derived) {
      ui::draw_inspector_needs_raw_tokens(app.view, state.view->derived.description, app.actions);
    } else if (shown) {
      ui::InspectorInput input{shown->trace.get(), shown->id, &app.view, &app.pointer,
                               &app.run_options};
      ui::draw_inspector_panel(input, app.panels.inspector, app.actions);
    } else {
      draw_waiting_window("Inspector");
    }
    top += inspector_height;
  }
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  app.flags.details_tab = draw_tab_strip<DetailsTab>("##details", {x, top}, c.right, strip,
                                                     {{"Predictions", DetailsTab::kPredictions},
                                                      {"Head roles", DetailsTab::kHeadRoles},
                                                      {"Cost", DetailsTab::kCost},
                                                      {"Export", DetailsTab::kExport}},
                                                     app.flags.details_tab, false);
  place({x, top + strip}, {c.right, c.origin.y + c.size.y - top - strip});
  switch (app.flags.details_tab) {
    case DetailsTab::kPredictions:
      if (shown) {
        ui::draw_predictions_panel(*shown->trace, app.view, !state.imported, app.actions);
      } else {
        draw_waiting_window("Predictions");
      }
      break;
    case DetailsTab::kHeadRoles: {
      ui::HeadRolesPanelInput input;
      input.roles = state.roles_table();
      input.trace_id = state.raw.attention_id;
      input.spec = &app.view;
      input.can_probe = state.model && !state.imported;
      input.probe_ready = state.probe && state.probe->model_id == state.model_id;
      input.probe_repeat = state.probe ? state.probe->repeat_length : 0;
      if (state.raw) {
        ui::draw_head_roles_panel(input, app.panels.head_roles, app.actions);
      } else {
        draw_waiting_window("Head roles");
      }
      break;
    }
    case DetailsTab::kCost:
      if (state.raw) {
        ui::draw_cost_panel(*state.raw.trace);
      } else {
        draw_waiting_window("Cost");
      }
      break;
    case DetailsTab::kExport:
      ui::draw_export_panel(app.export_ui, {&app.view, shown != nullptr}, app.actions);
      break;
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
  const EngineState& state = *app.state;
  const double running_ms = state.running ? ms_since(state.run_started) : 0.0;
  if (!state.loading.empty()) {
    ImGui::TextColored({0.5f, 0.75f, 1, 1}, "loading\xE2\x80\xA6");
  } else if (state.running && running_ms > 100.0) {
    ImGui::Text("running %.0f%%", 100.0f * app.engine->progress());
  } else if (const TraceRef* shown = state.shown()) {
    const std::string name = state.imported ? state.imported_source
                             : state.model  ? state.model->display_name
                                            : shown->trace->model_name;
    ImGui::TextDisabled("%s \xC2\xB7 %d tokens \xC2\xB7 %s", name.c_str(),
                        shown->trace->tokens_count(),
                        view_source_label(app.view, shown->trace->heads()).c_str());
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
void draw_view_windows(App& app) {
  ui::DiffPanelInput diff;
  diff.spec = &app.view;
  diff.result = app.state->diff.get();
  diff.main_text = &app.text.text;
  ui::draw_diff_panel(app.panels.diff, diff, app.actions);
  ui::ModelPickerContext picker{&app.settings.recent_models,
                                app.state->model ? app.state->model->folder.string() : ""};
  ui::draw_model_picker(app.panels.model_picker, picker, app.actions);
}

void draw_frame(App& app, const DesktopWindow& window) {
  const float scale = window.ui_scale();
  app.layout.items.clear();
  draw_menu_bar(app);
  const float status_height = ImGui::GetFrameHeight() + 4 * scale;
  const Columns c = compute_columns(app, status_height);
  const EngineState& state = *app.state;

  // Left column: model, text and chips, layers and heads.
  const float model_height = std::round(ImGui::GetFrameHeightWithSpacing() * 4.6f);
  const float heads_height = std::round(ImGui::GetFrameHeightWithSpacing() * 7.0f);
  place(c.origin, {c.left, model_height});
  ui::draw_models_panel({&state, &app.settings.recent_models}, app.model_path_input, app.actions);

  place({c.origin.x, c.origin.y + model_height}, {c.left, c.size.y - model_height - heads_height});
  const TraceRef* shown = state.shown();
  std::optional<AttentionReader> reader;
  if (shown) {
    reader.emplace(*shown->trace);
    update_caches(app, *shown, ui_text_height(scale));
  }
  ui::TextPanelInput text;
  text.state = &state;
  text.reader = reader ? &*reader : nullptr;
  text.spec = &app.view;
  text.pointer = &app.pointer;
  text.whole_map = state.whole_map_for(app.view.head_mode);
  text.labels = shown ? &app.panels.labels.labels : nullptr;
  text.received = app.panels.received.received;
  text.font = app.font.get();
  text.progress = app.engine->progress();
  text.ui_scale = scale;
  ui::draw_text_panel(app.text, app.panels.text_panel, text, app.actions);

  place({c.origin.x, c.origin.y + c.size.y - heads_height}, {c.left, heads_height});
  ui::HeadsPanelInput heads{
      &app.view, shown ? shown->trace->layers() : 0, shown ? shown->trace->heads() : 0, scale,
      state.view && !state.view->derived.derived ? state.roles_table() : nullptr};
  ui::draw_heads_panel(heads, app.actions);

  draw_center(app, c, scale);
  draw_right_column(app, c, scale);
  draw_status_bar(app, status_height);
  draw_help_windows(app);
  draw_view_windows(app);
}

// The app's state for end-to-end tests (--dump-layout): what is on screen, as numbers.
nlohmann::json layout_state(const App& app) {
  const EngineState& state = *app.state;
  const TraceRef* shown = state.shown();
  const AttentionTrace* raw = state.raw.trace.get();
  nlohmann::json token_ids = nlohmann::json::array();
  if (raw)
    for (const Token& token : raw->tokens()) token_ids.push_back(token.id);
  // The role table as the Head roles panel shows it: (L, H) rows of [prev, dup, induction,
  // first], and the labels.
  nlohmann::json roles_table = nlohmann::json::array();
  nlohmann::json labels = nlohmann::json::array();
  if (const HeadRoleTable* roles = state.roles_table()) {
    for (const HeadRole& role : roles->roles) {
      roles_table.push_back(
          {role.previous_token, role.duplicate_token, role.induction, role.first_token_share});
      labels.push_back(role.label);
    }
  }
  // The weights the arcs of the active query show (the first series), for checks of the modes.
  nlohmann::json query_row = nlohmann::json::array();
  if (shown) {
    if (auto query = ui::active_query(app.view, app.pointer);
        query && *query < shown->trace->tokens_count()) {
      const AttentionReader reader(*shown->trace);
      const auto series = arc_series(app.view, reader.heads());
      std::vector<float> row(reader.tokens_count());
      query_weights(reader, app.view, state.whole_map_for(app.view.head_mode), *query,
                    series.empty() ? -1 : series.front().head, row);
      for (float w : row) query_row.push_back(w);
    }
  }
  const DiffResult* diff = state.diff.get();
  return {
      {"trace_ready", shown != nullptr},
      {"tokens", shown ? shown->trace->tokens_count() : 0},
      {"raw_tokens", raw ? raw->tokens_count() : 0},
      {"token_ids", token_ids},
      {"layer", app.view.layer},
      {"head", app.view.head},
      {"head_mode", head_mode_info(app.view.head_mode).key},
      {"enabled_heads", app.view.enabled_heads},
      {"pinned", app.view.pinned_token ? *app.view.pinned_token : -1},
      {"view", view_spec_json(app.view)},
      {"whole_map_ready", !state.whole_map_for(app.view.head_mode).empty()},
      {"query_weights", query_row},
      {"model", state.model ? state.model->folder.string() : std::string()},
      {"model_error", state.open_error},
      {"imported", state.imported},
      {"imported_source", state.imported_source},
      {"loading", !state.loading.empty()},
      {"running", state.running},
      {"truncation", ui::truncation_message(state)},
      {"roles_ready", state.roles_table() != nullptr},
      {"roles", roles_table},
      {"roles_probe", state.roles && state.roles->probe_model_id != 0},
      {"roles_labels", labels},
      {"probe_ready", state.probe != nullptr},
      {"forward_ms", raw ? raw->timings.forward_ms : 0.0},
      {"predictions_ms", raw ? raw->timings.predictions_ms : 0.0},
      {"reused_positions", raw ? raw->timings.reused_positions : 0},
      {"copied_positions", raw ? raw->timings.copied_positions : 0},
      {"text", app.text.text},
      {"export_message", app.export_ui.message},
      {"export_error", app.export_ui.message_is_error},
      {"export_path", app.export_ui.last_path},
      {"export_picture", app.export_ui.last_picture},
      {"view_description", state.view ? state.view->derived.description : ""},
      {"diff_open", app.view.diff.open},
      {"diff_aligned", diff ? diff->aligned : 0},
      {"diff_max_change", diff ? diff->max_change : 0.0f},
  };
}

bool should_exit(const App& app, long frame, Clock::time_point start) {
  if (app.options.exit_after_frames > 0 && frame >= app.options.exit_after_frames) return true;
  if (app.options.exit_after_seconds > 0.0 &&
      ms_since(start) >= 1000.0 * app.options.exit_after_seconds)
    return true;
  return app.flags.quit;
}

}  // namespace

int run_gui(AppOptions options) {
  // The UI thread's own computations (derived maps, statistics) stay on it; the cores belong
  // to the engine's runs.
  run_serially_on_this_thread();
  App app;
  app.options = std::move(options);
  load_settings_into(app);
  load_examples(app.text);
  app.text.text = app.options.text ? *app.options.text : app.text.examples.front();
  if (app.options.view) app.view = *app.options.view;
  if (app.options.start_tab == "heatmap") app.view.kind = ViewKind::kHeatmap;
  if (app.options.start_tab == "grid") app.view.kind = ViewKind::kGrid;
  app.flags.select_tab = true;
  if (app.options.pin_token) app.view.pinned_token = app.options.pin_token;
  if (app.options.start_layer) app.view.layer = *app.options.start_layer;  // clamped on the trace
  if (auto font = Font::load_default())
    app.font = std::make_shared<const Font>(std::move(font).value());

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

  // The engine starts after the window so it is destroyed first (it wakes the window's loop).
  Engine engine([] { glfwPostEmptyEvent(); });
  app.engine = &engine;
  if (app.options.imported) {
    engine.show_imported(app.options.imported, app.options.imported_source);
  } else {
    const std::string folder =
        app.options.model_folder ? *app.options.model_folder : builtin_model_folder().string();
    app.model_path_input = folder;
    engine.open(folder);
  }
  engine.run_text(app.text.text, app.run_options);
  app.state = engine.state();
  app.heatmap_renderer = std::make_unique<ui::HeatmapRenderer>();

  std::optional<LayoutDumper> dumper;
  if (!app.options.dump_layout.empty()) {
    dumper.emplace(app.options.dump_layout);
    ui::install_layout_recorder(&app.layout);
  }
  FrameStats stats;
  const bool benchmark = !app.options.frame_stats.empty() || app.options.exit_after_frames > 0;
  const Clock::time_point loop_start = Clock::now();
  double first_frame_ms = -1.0;
  long frame = 0;
  // Frames to draw at 60 per second after something happened, for ImGui to settle (hover,
  // focus, a scroll that needs the new content size); after that the loop waits for input or
  // the engine, so a software renderer leaves the cores to a run.
  constexpr int kSettleFrames = 6;
  int busy_frames = 60;  // the first second: the window appears, the model loads
  Clock::time_point last_frame_start = loop_start;
  Clock::time_point last_run_request = loop_start - std::chrono::seconds(1);
  while (!desktop.should_close() && !should_exit(app, frame, loop_start)) {
    // A run just asked for counts as computing before the engine reports it running.
    const bool computing =
        app.state->running || !app.state->loading.empty() || ms_since(last_run_request) < 100.0;
    // Frames are paced, not drawn as fast as possible: 60 per second after input (vsync does
    // this on a GPU; a software renderer has none and would take the cores from the engine),
    // 10 while the engine computes (its progress shows after 100 ms; input still wakes the loop
    // at once, and so does the engine when it publishes), and none while idle beyond a 0.25 s
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
    const uint64_t state_before = app.state->id;
    sync_from_engine(app);
    for (const std::string& path : desktop.take_dropped_paths())
      app.actions.push_back(ui::action::Open{path});
    push_shortcut_actions(app);
    const Clock::time_point ui_start = Clock::now();
    draw_frame(app, desktop);
    dispatch_queued(app);
    const double ui_ms = ms_since(ui_start);
    if (app.flags.theme_changed) {
      desktop.apply_theme(app.view.theme);
      app.flags.theme_changed = false;
    }
    desktop.end_frame();
    // An edited text runs once the frame is on screen: under a software renderer the frame's
    // drawing would otherwise take the cores from the run's first milliseconds.
    if (app.text_changed) {
      engine.run_text(app.text.text, app.run_options);
      app.text_changed = false;
      last_run_request = Clock::now();
    }
    ++frame;

    // A focused text box alone is not activity: the 0.25 s heartbeat blinks its cursor.
    const bool key_down =
        std::any_of(std::begin(io.KeysDown), std::end(io.KeysDown), [](bool down) { return down; });
    const bool input = io.MouseDelta.x != 0 || io.MouseDelta.y != 0 || io.MouseWheel != 0 ||
                       io.InputQueueCharacters.Size > 0 || ImGui::IsAnyMouseDown() || key_down ||
                       app.state->id != state_before;
    busy_frames = input ? std::max(busy_frames - 1, kSettleFrames) : std::max(0, busy_frames - 1);
    if (first_frame_ms < 0) {
      first_frame_ms = ms_since(app.options.process_start);
      if (app.options.print_time_to_first_frame)
        std::fprintf(stderr, "attnviz: time to first frame %.1f ms\n", first_frame_ms);
    } else if (app.state->shown()) {
      // Frames that show attention: not the ones while the model loads and first runs.
      const EngineState& state = *app.state;
      const bool engine_busy = state.running ||
                               (state.raw && state.raw.trace->predictions_pending()) ||
                               (state.raw && !state.roles_table());
      stats.add(ms_since(frame_start), ui_ms, ImGui::GetDrawData()->TotalIdxCount / 3.0,
                engine_busy);
    }
    if (dumper) {
      int x = 0, y = 0;
      desktop.window_position(x, y);
      dumper->update(app.layout, x, y, layout_state(app), frame);
    }
  }
  ui::install_layout_recorder(nullptr);
  app.heatmap_renderer.reset();  // GL objects go before the context does
  save_settings_from(app, desktop);
  if (!app.options.frame_stats.empty()) {
    const std::string summary = stats.summary(first_frame_ms).dump(2) + "\n";
    if (auto written = write_file_atomic(app.options.frame_stats, summary); !written) {
      std::fprintf(stderr, "attnviz: --frame-stats: %s\n", written.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace attnviz

// One frame of the desktop app: the fixed layout (model, text and head bar on the left; the
// centre tabs with the view options above them; the inspector and the details tabs on the
// right; the status bar), each panel drawn from the engine's latest state and the ViewSpec,
// their actions collected for the dispatcher.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "app/gui/app.h"
#include "app/gui/window.h"
#include "core/view/view_weights.h"
#include "ui/draw_helpers.h"
#include "ui/imgui_colors.h"
#include "ui/panel_cost.h"
#include "ui/panel_export.h"
#include "ui/panel_heads.h"
#include "ui/panel_model_grid.h"
#include "ui/panel_models.h"
#include "ui/panel_predictions.h"
#include "ui/panel_view_options.h"

namespace attnviz {

// What a view without a trace waits for, in one sentence for every panel: the model loading,
// the first run, or nothing (a cancelled first run, a failed one, no text).
std::string waiting_text(const EngineState& state) {
  if (!state.loading.empty() || (!state.model && !state.imported))
    return "loading the model\xE2\x80\xA6";
  if (state.running) return "running the text\xE2\x80\xA6";
  if (!state.run_note.empty())
    return "nothing to show: " + state.run_note + ". Edit the text to run it again.";
  if (!state.run_error.empty()) return "nothing to show: the run failed (see the Text panel).";
  return "no attention yet: type some text.";
}

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
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

// Layout: left column (model, text + chips, heads), centre tabs (arcs, heatmap, grid), right
// column (inspector and details), with a splitter between each column and the centre that the
// user drags (the widths are fractions in the settings, so they are remembered). Recomputed
// every frame, so it follows the window.
struct Columns {
  ImVec2 origin, size;
  float left = 0, right = 0;  // widths of the side columns
  float gap = 0;              // each splitter's width, between a side column and the centre
};

// The centre keeps at least this share of the width; a side column at least its minimum in
// the settings' clamp (ui/settings.cpp), so a narrow window still shows every column.
constexpr float kMinCentreFraction = 0.25f;
constexpr int kLensTopK = 10;  // tokens a lens cell lists (its tooltip, the chosen cell)

Columns compute_columns(const App& app, float status_height, float scale) {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  Columns c;
  c.origin = viewport->WorkPos;
  c.size = {viewport->WorkSize.x, viewport->WorkSize.y - status_height};
  c.gap = std::round(6 * scale);
  c.left = std::round(c.size.x * app.settings.left_column_fraction);
  c.right = std::round(c.size.x * app.settings.right_column_fraction);
  return c;
}

// One splitter: a thin window in the gap beside the centre; dragging it moves the column edge.
// Returns the new fraction (unchanged when not dragged).
float draw_splitter(const char* id, ImVec2 pos, float height, float width, float fraction,
                    float pixels_per_fraction, float direction) {
  ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
  ImGui::SetNextWindowSize({width, height}, ImGuiCond_Always);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {0, 0});
  ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, {1, 1});
  ImGui::Begin(id, nullptr, flags);
  ImGui::InvisibleButton(id, {width, height});
  ui::name_item(id);
  const bool active = ImGui::IsItemActive();
  if (active || ImGui::IsItemHovered()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  const ImU32 colour = ImGui::GetColorU32(active                  ? ImGuiCol_SeparatorActive
                                          : ImGui::IsItemHovered() ? ImGuiCol_SeparatorHovered
                                                                   : ImGuiCol_Separator);
  const float mid = std::round((a.x + b.x) / 2);
  ImGui::GetWindowDrawList()->AddLine({mid, a.y}, {mid, b.y}, colour, active ? 3.0f : 1.0f);
  if (active && ImGui::GetIO().MouseDelta.x != 0 && pixels_per_fraction > 0)
    fraction += direction * ImGui::GetIO().MouseDelta.x / pixels_per_fraction;
  ImGui::End();
  ImGui::PopStyleVar(2);
  return fraction;
}

// Both splitters; a drag changes the settings' fractions within their limits.
void draw_splitters(App& app, const Columns& c) {
  ui::Settings& s = app.settings;
  const float old_left = s.left_column_fraction;
  const float left = draw_splitter("splitter.left", {c.origin.x + c.left, c.origin.y}, c.size.y,
                                   c.gap, s.left_column_fraction, c.size.x, 1.0f);
  const float right =
      draw_splitter("splitter.right", {c.origin.x + c.size.x - c.right - c.gap, c.origin.y},
                    c.size.y, c.gap, s.right_column_fraction, c.size.x, -1.0f);
  s.left_column_fraction = std::clamp(left, ui::kMinLeftFraction, ui::kMaxLeftFraction);
  s.right_column_fraction = std::clamp(right, ui::kMinRightFraction, ui::kMaxRightFraction);
  const float room = 1.0f - kMinCentreFraction;
  if (s.left_column_fraction + s.right_column_fraction > room) {
    if (left != old_left)
      s.left_column_fraction = room - s.right_column_fraction;
    else
      s.right_column_fraction = room - s.left_column_fraction;
  }
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

// The head-importance part of the Head roles tab: the table computed for the trace on screen,
// the ranking in progress, and what a new ranking would ask (the token after `position`, then
// the model's top predictions there).
void fill_ranking(const App& app, const EngineState& state, int position,
                  ui::HeadRolesPanelInput& input) {
  std::tie(input.rank_done, input.rank_total) = app.engine->rank_progress();
  if (const auto& result = state.importance;
      result && state.raw && result->attention_id == state.raw.attention_id) {
    if (!result->heads.empty()) {
      input.importance = &result->heads;
      input.importance_target = result->request.target_text;
      char caption[256];
      std::snprintf(caption, sizeof caption,
                    "change in log p(\"%s\") after \"%s\" (%d) with each head switched off "
                    "alone (%s ablation, %zu runs, %.1f s)",
                    result->request.target_text.c_str(),
                    state.raw.trace->tokens()[result->request.position].text.c_str(),
                    result->request.position, ablation_kind_key(result->request.kind),
                    result->heads.size() + 1, result->seconds);
      input.importance_caption = caption;
    }
    input.importance_note = result->note;
  }
  if (!state.raw || state.imported || !state.model) return;
  const AttentionTrace& raw = *state.raw.trace;
  if (position < 0 || position >= raw.tokens_count() || raw.predictions.empty()) return;
  input.rank_position = position;
  input.rank_position_text = raw.tokens()[position].text;
  if (position + 1 < raw.tokens_count())
    input.rank_targets.push_back({raw.tokens()[position + 1].id, raw.tokens()[position + 1].text});
  if (position < static_cast<int>(raw.predictions.size()))
    for (const Prediction& p : raw.predictions[position])
      if (input.rank_targets.empty() || p.id != input.rank_targets.front().first)
        input.rank_targets.push_back({p.id, p.text});
}

void draw_waiting_window(const char* name, const EngineState& state) {
  if (ImGui::Begin(name, nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", waiting_text(state).c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

float ui_text_height(float scale) {
  return ImGui::GetFontSize() / scale;
}

void draw_center(App& app, const Columns& c, float scale) {
  const float x = c.origin.x + c.left + c.gap, width = c.size.x - c.left - c.right - 2 * c.gap;
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  const ViewKind chosen = draw_tab_strip<ViewKind>(
      "##views", {x, c.origin.y}, width, strip,
      {{"Arcs", ViewKind::kArcs}, {"Heatmap", ViewKind::kHeatmap}, {"Model grid", ViewKind::kGrid}},
      app.view.kind, app.flags.select_tab);
  app.flags.select_tab = false;
  if (chosen != app.view.kind) app.actions.push_back(ui::action::SetKind{chosen});
  // The view options (words, hidden tokens; the weights switch on the second line) between the
  // tabs and the view they change.
  const float options_height = ImGui::GetFrameHeightWithSpacing() +
                               ImGui::GetFrameHeightWithSpacing() +
                               ImGui::GetStyle().WindowPadding.y * 2;
  place({x, c.origin.y + strip}, {width, options_height});
  const EngineState& state = *app.state;
  const TraceRef* on_screen = state.shown();
  ui::draw_view_options_window(
      app.view, app.pointer, state.view ? &state.view->derived : nullptr,
      on_screen ? what_if_description(on_screen->trace->options) : std::string(), app.actions);
  place({x, c.origin.y + strip + options_height}, {width, c.size.y - strip - options_height});
  const TraceRef* shown = state.shown();
  if (!shown) {
    draw_waiting_window(app.view.kind == ViewKind::kArcs      ? "Arcs"
                        : app.view.kind == ViewKind::kHeatmap ? "Heatmap"
                                                              : "Model grid",
                        state);
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
        input.trace_id = shown->id;
        input.spec = &app.view;
        input.pointer = &app.pointer;
        input.whole_map = whole_map;
        input.whole_map_refusal = state.whole_map_refusal(app.view.head_mode);
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
      input.whole_map_refusal = state.whole_map_refusal(app.view.head_mode);
      input.font = app.font.get();
      input.ui_scale = scale;
      input.overview_on_engine = overview_on_engine(*shown->trace, app.view.head_mode);
      if (input.overview_on_engine) {
        ViewSpec keyed = app.view;  // as the engine keys it: a flag for every head
        keyed.enabled_heads.resize(static_cast<size_t>(shown->trace->heads()), 1);
        input.overview = state.overview_for(map_key(shown->id, keyed, false));
      }
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
      input.thumbnails_on_engine = grid_on_engine(*shown->trace);
      if (const GridThumbnails* grid = state.grid_for(shown->id, app.view.grid_per_head_contrast)) {
        input.thumbnails = &grid->values;
        input.thumbnails_head_max = &grid->head_max;
      }
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
    if (state.view && state.view->derived.derived && !state.view->derived.raw_tokens) {
      ui::draw_inspector_needs_raw_tokens(app.view, state.view->derived.description, app.actions);
    } else if (shown) {
      // Value weights keep the raw tokens: the inspector explains the raw trace's arithmetic
      // (α and what each key's value moves) beside the value-weighted picture.
      const bool weighted = state.view && state.view->derived.derived;
      ui::InspectorInput input{weighted ? state.view->derived.source.get() : shown->trace.get(),
                               weighted ? state.raw.id : shown->id, &app.view, &app.pointer,
                               &app.run_options};
      ui::draw_inspector_panel(input, app.panels.inspector, app.actions);
    } else {
      draw_waiting_window("Inspector", *app.state);
    }
    top += inspector_height;
  }
  const float strip = ImGui::GetFrameHeight() + 8 * scale;
  app.flags.details_tab = draw_tab_strip<DetailsTab>("##details", {x, top}, c.right, strip,
                                                     {{"Predictions", DetailsTab::kPredictions},
                                                      {"Logit lens", DetailsTab::kLens},
                                                      {"Head roles", DetailsTab::kHeadRoles},
                                                      {"Cost", DetailsTab::kCost},
                                                      {"Export", DetailsTab::kExport}},
                                                     app.flags.details_tab, false);
  place({x, top + strip}, {c.right, c.origin.y + c.size.y - top - strip});
  // The raw token of the pin (or the last token): the lens, before -> after and Rank heads read
  // there. The lens is read only while its tab is shown.
  const DerivedTrace* derived = state.view ? &state.view->derived : nullptr;
  const int pinned_raw = state.raw ? ui::pinned_raw_token(app.view.pinned_token, derived,
                                                          state.raw.trace->tokens_count())
                                   : 0;
  const LensRequest lens_request{pinned_raw, app.panels.lens.width, kLensTopK};
  app.engine->set_lens(app.flags.details_tab == DetailsTab::kLens && state.raw
                           ? std::optional<LensRequest>(lens_request)
                           : std::nullopt);
  // An ablation's before -> after, at the same position, while Predictions is shown.
  app.engine->set_changes(app.flags.details_tab == DetailsTab::kPredictions && state.raw
                              ? std::optional<int>(pinned_raw)
                              : std::nullopt);
  switch (app.flags.details_tab) {
    case DetailsTab::kPredictions:
      if (shown) {
        ui::PredictionChangesInput changes;
        if (derived && derived->derived && !derived->raw_tokens) {
          changes.position = app.view.pinned_token.value_or(shown->trace->tokens_count() - 1);
          changes.note = "it reads the raw tokens: turn off merged words and hidden tokens";
        } else if (const ChangesResult* result = state.changes_for(pinned_raw)) {
          changes.position = result->position;
          changes.changes = result->changes.empty() ? nullptr : &result->changes;
          changes.note = result->note;
        } else {
          changes.position = pinned_raw;
        }
        ui::draw_predictions_panel(*shown->trace, app.view, !state.imported, app.actions,
                                   &changes);
      } else {
        draw_waiting_window("Predictions", *app.state);
      }
      break;
    case DetailsTab::kLens: {
      ui::LensPanelInput input;
      input.raw = state.raw ? state.raw.trace.get() : nullptr;
      if (const LensResult* result = state.lens_for(lens_request)) {
        input.lens = result->lens ? &*result->lens : nullptr;
        input.note = result->note;
        input.ms = result->ms;
      }
      input.position = pinned_raw;
      input.pinned = app.view.pinned_token.has_value();
      input.derived = derived;
      input.what_if = input.raw && !input.raw->options.reproduces_model();
      ui::draw_lens_panel(input, app.panels.lens, app.actions);
      break;
    }
    case DetailsTab::kHeadRoles: {
      ui::HeadRolesPanelInput input;
      input.roles = state.roles_table();
      input.trace_id = state.raw.attention_id;
      input.spec = &app.view;
      input.can_probe = state.model && !state.imported;
      input.probe_ready = state.probe && state.probe->model_id == state.model_id;
      input.probe_repeat = state.probe ? state.probe->repeat_length : 0;
      fill_ranking(app, state, pinned_raw, input);
      if (state.raw) {
        ui::draw_head_roles_panel(input, app.panels.head_roles, app.actions);
      } else {
        draw_waiting_window("Head roles", *app.state);
      }
      break;
    }
    case DetailsTab::kCost:
      if (state.raw) {
        ui::draw_cost_panel(*state.raw.trace);
      } else {
        draw_waiting_window("Cost", *app.state);
      }
      break;
    case DetailsTab::kExport: {
      const auto [done, total] = app.engine->export_progress();
      ui::draw_export_panel(
          app.export_ui,
          {&app.view, shown != nullptr, shown ? dims_of(*shown->trace) : TensorDims{}, done, total},
          app.actions);
    } break;
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
  {
    const ImVec2 at = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    ui::name_rect("status.bar", {at.x, at.y, at.x + size.x, at.y + size.y});
  }
  const EngineState& state = *app.state;
  const double running_ms = state.running ? ms_since(state.run_started) : 0.0;
  if (!state.loading.empty()) {
    ImGui::TextColored({0.5f, 0.75f, 1, 1}, "loading\xE2\x80\xA6");
  } else if (state.running && running_ms > 100.0) {
    const RunProgress progress = app.engine->run_progress();
    if (progress.running && progress.layers > 0)
      ImGui::Text("running: %s", run_progress_label(progress).c_str());
    else
      ImGui::Text("running %.0f%%", 100.0f * app.engine->progress());
  } else if (const TraceRef* shown = state.shown()) {
    const std::string name = state.imported ? state.imported_source
                             : state.model  ? state.model->display_name
                                            : shown->trace->model_name;
    ImGui::TextDisabled("%s \xC2\xB7 %d tokens \xC2\xB7 %s", name.c_str(),
                        shown->trace->tokens_count(),
                        view_source_label(app.view, shown->trace->heads()).c_str());
    if (const std::string what_if = what_if_description(shown->trace->options); !what_if.empty()) {
      ImGui::SameLine(0, 20);
      ImGui::TextColored(ui::to_imvec4(theme_colors(app.view.theme).warning), "%s", what_if.c_str());
      ui::name_item("status_what_if");
    }
  } else if (state.model && !state.run_note.empty()) {
    ImGui::TextDisabled("%s", state.run_note.c_str());
  } else {
    ImGui::TextDisabled("loading\xE2\x80\xA6");
  }
  if (app.text_before_probe) {
    // "Show probe text" replaced the user's text: say so, with the way back (issue 11).
    ImGui::SameLine(0, 30);
    ImGui::TextUnformatted("The probe's text replaced yours.");
    ImGui::SameLine();
    if (ImGui::SmallButton("Undo")) app.actions.push_back(ui::action::SetText{*app.text_before_probe});
    ui::name_item("undo_probe_text");
    ImGui::SameLine();
    ImGui::TextDisabled("(Ctrl+Z)");
  }
  if (std::chrono::steady_clock::now() < app.flags.note_until) {
    ImGui::SameLine(0, 30);
    ImGui::TextUnformatted(app.flags.note.c_str());  // the theme's text colour: AA on both
  }
  const bool session_message_shown = app.session.message_is_error ||
                                     std::chrono::steady_clock::now() < app.session.message_until;
  for (const auto& [message, is_error] :
       {std::pair<const std::string&, bool>{app.session.warning, true},
        std::pair<const std::string&, bool>{app.session.message, app.session.message_is_error}}) {
    if (message.empty() || (&message == &app.session.message && !session_message_shown)) continue;
    ImGui::SameLine(0, 30);
    const ThemeColors& colors = theme_colors(app.view.theme);
    ImGui::TextColored(ui::to_imvec4(is_error ? colors.error : colors.success), "%s",
                       message.c_str());
    ui::name_item(&message == &app.session.warning ? "status.session_warning"
                                                   : "status.session_message");
  }
  if (!app.export_ui.message.empty()) {
    ImGui::SameLine(0, 30);
    const ThemeColors& colors = theme_colors(app.view.theme);
    ImGui::TextColored(ui::to_imvec4(app.export_ui.message_is_error ? colors.error : colors.success),
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
                                app.state->model ? app.state->model->folder.string() : "",
                                app.view.theme};
  ui::draw_model_picker(app.panels.model_picker, picker, app.actions);
}

// A click on the views (the centre column or the head bar, not through an open menu) gives the
// single-key shortcuts to them; a click anywhere else takes them away (UiFlags::canvas_focus).
void note_click_target(App& app, const Columns& c, float heads_height) {
  const ImGuiIO& io = ImGui::GetIO();
  if (!ImGui::IsMouseClicked(ImGuiMouseButton_Left) &&
      !ImGui::IsMouseClicked(ImGuiMouseButton_Right))
    return;
  if (ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) return;
  const ImVec2 p = io.MousePos;
  const bool in_rows = p.y >= c.origin.y && p.y < c.origin.y + c.size.y;
  const bool centre =
      p.x >= c.origin.x + c.left + c.gap && p.x < c.origin.x + c.size.x - c.right - c.gap;
  const bool heads =
      p.x >= c.origin.x && p.x < c.origin.x + c.left && p.y >= c.origin.y + c.size.y - heads_height;
  app.flags.canvas_focus = in_rows && (centre || heads);
}

}  // namespace

void draw_frame(App& app, const DesktopWindow& window) {
  const float scale = window.ui_scale();
  app.layout.items.clear();
  ui::expand_collapsed_on_title_click();
  draw_menu_bar(app);
  const float status_height = ImGui::GetFrameHeight() + 4 * scale;
  const Columns c = compute_columns(app, status_height, scale);
  const EngineState& state = *app.state;
  const float model_height = std::round(ImGui::GetFrameHeightWithSpacing() * 4.6f);
  const float heads_height = std::round(ImGui::GetFrameHeightWithSpacing() * 7.0f);
  note_click_target(app, c, heads_height);

  // Left column: model, text and chips, layers and heads.
  place(c.origin, {c.left, model_height});
  ui::draw_models_panel({&state, &app.settings.recent_models, app.view.theme}, app.model_path_input,
                        app.actions);

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
  text.run_progress = app.engine->run_progress();
  text.ui_scale = scale;
  text.missing_glyphs = missing_glyphs_note(app.fallback_fonts.missing(), app.text.text);
  ui::draw_text_panel(app.text, app.panels.text_panel, text, app.actions);

  place({c.origin.x, c.origin.y + c.size.y - heads_height}, {c.left, heads_height});
  ui::HeadsPanelInput heads{
      &app.view,
      shown ? shown->trace->layers() : 0,
      shown ? shown->trace->heads() : 0,
      scale,
      state.view && !state.view->derived.derived ? state.roles_table() : nullptr,
      shown ? shown->trace.get() : nullptr,
      waiting_text(state),
      state.imported ? nullptr : &app.run_options};
  ui::draw_heads_panel(heads, app.actions);

  draw_center(app, c, scale);
  draw_right_column(app, c, scale);
  draw_splitters(app, c);
  draw_status_bar(app, status_height);
  draw_help_windows(app);
  draw_session_dialogs(app);
  draw_view_windows(app);
  // The splitters above the tiled panels (whose edges would take the mouse), the floating
  // windows above everything.
  ui::keep_windows_in_front({"splitter.left", "splitter.right"});
  ui::keep_windows_in_front(
      {"Diff", "Models on this computer", "Keyboard shortcuts", "About attnviz"});
}

}  // namespace attnviz

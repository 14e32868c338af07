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
#include "ui/panel_heads.h"
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

// "file:index: count code points" of each fallback face, for the layout dump.
nlohmann::json fallback_font_names(const std::vector<FallbackFace>& faces) {
  nlohmann::json names = nlohmann::json::array();
  for (const FallbackFace& face : faces)
    names.push_back(face.path + ":" + std::to_string(face.index) + ": " +
                    std::to_string(face.code_points.size()) + " code points");
  return names;
}

// A pin is an index into the tokens on screen. When another run replaces them (the text was
// edited, another model loaded), the pin stays only if the same token is still at its index.
void keep_pin_on_its_token(App& app, const AttentionTrace& trace, uint64_t raw_id) {
  App::PinnedIdentity& identity = app.pinned_identity;
  std::optional<int>& pinned = app.view.pinned_token;
  const std::vector<Token>& tokens = trace.tokens();
  const auto same = [&](const Token& token) {
    return token.id == identity.id && token.start == identity.start && token.text == identity.text;
  };
  if (pinned && identity.index == *pinned && identity.raw_id != raw_id &&
      (*pinned >= trace.tokens_count() || !same(tokens[*pinned]))) {
    pinned.reset();
    app.pointer.hovered_key.reset();
  }
  identity = {};
  if (pinned && *pinned < trace.tokens_count()) {
    const Token& token = tokens[*pinned];
    identity = {raw_id, *pinned, token.id, token.start, token.text};
  }
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
    keep_pin_on_its_token(app, trace, state.raw.id);
    if (app.export_message_until_text && trace.tokens_count() > 0) {
      app.export_ui.message.clear();
      app.export_message_until_text = false;
    }
    app.view.clamp_to(trace.layers(), trace.heads(), trace.tokens_count());
    ui::Pointer& pointer = app.pointer;
    for (std::optional<int>* token : {&pointer.hovered_token, &pointer.hovered_key})
      if (*token && **token >= trace.tokens_count()) token->reset();
  }
  app.engine->set_view({app.view.token_view(), app.view.head_mode,
                        app.view.kind == ViewKind::kGrid, app.view.grid_per_head_contrast,
                        app.view.kind == ViewKind::kHeatmap, app.view.layer, app.view.head,
                        app.view.enabled_heads});
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

// The logit lens on screen, for tests: its window, rows and every cell's top token.
nlohmann::json lens_state(const EngineState& state) {
  if (!state.lens || !state.raw || state.lens->attention_id != state.raw.attention_id)
    return nullptr;
  const LensResult& result = *state.lens;
  nlohmann::json out = {{"position", result.request.position},
                        {"width", result.request.width},
                        {"note", result.note}};
  if (!result.lens) return out;
  const LogitLens& lens = *result.lens;
  nlohmann::json tops = nlohmann::json::array();  // [row][position - first] = [id, probability]
  for (int row = 0; row < lens.rows; ++row) {
    nlohmann::json cells = nlohmann::json::array();
    for (int q = lens.first; q <= lens.last; ++q) {
      const LensCell& cell = lens.at(row, q);
      cells.push_back(cell.top.empty() ? nlohmann::json(nullptr)
                                       : nlohmann::json({cell.top[0].id, cell.top[0].probability}));
    }
    tops.push_back(std::move(cells));
  }
  out["first"] = lens.first;
  out["last"] = lens.last;
  out["rows"] = lens.rows;
  out["tops"] = std::move(tops);
  return out;
}

// An ablation's before -> after on screen, for tests: its position and [id, before, after].
nlohmann::json changes_state(const EngineState& state) {
  if (!state.changes || !state.raw || state.changes->attention_id != state.raw.attention_id)
    return nullptr;
  nlohmann::json rows = nlohmann::json::array();
  for (const PredictionChange& c : state.changes->changes)
    rows.push_back({c.id, c.before, c.after});
  return {{"position", state.changes->position}, {"rows", rows}, {"note", state.changes->note}};
}

// The head-importance table, for tests: its question and [layer, head, before, after].
nlohmann::json importance_state(const EngineState& state) {
  if (!state.importance) return nullptr;
  const ImportanceResult& result = *state.importance;
  nlohmann::json heads = nlohmann::json::array();
  for (const HeadImportance& h : result.heads) heads.push_back({h.layer, h.head, h.before, h.after});
  return {{"position", result.request.position},
          {"target", result.request.target},
          {"kind", ablation_kind_key(result.request.kind)},
          {"heads", heads},
          {"note", result.note}};
}

// The app's state for end-to-end tests (--dump-layout): what is on screen, as numbers.
// run_asked: this frame asked the engine for a run; the state, taken before, does not say so yet.
nlohmann::json layout_state(const App& app, bool run_asked) {
  const EngineState& state = *app.state;
  const TraceRef* shown = state.shown();
  const AttentionTrace* raw = state.raw.trace.get();
  const RunProgress run_progress = app.engine->run_progress();
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
  // The head bar's groups under grouped-query attention ("kv 0: h0 h1"), none without it.
  nlohmann::json kv_groups = nlohmann::json::array();
  if (raw && raw->kv_heads() < raw->heads())
    for (int g = 0; g < raw->kv_heads(); ++g) kv_groups.push_back(ui::kv_group_label(*raw, g));
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
      {"weights", weights_key(app.view.weights())},
      {"weights_legend", weights_legend(app.view)},
      {"enabled_heads", app.view.enabled_heads},
      {"pinned", app.view.pinned_token ? *app.view.pinned_token : -1},
      {"inspector_key", app.panels.inspector.key ? *app.panels.inspector.key : -1},
      {"inspector_query", app.panels.inspector.key_query},
      {"hovered_key", app.pointer.hovered_key ? *app.pointer.hovered_key : -1},
      {"canvas_focus", app.flags.canvas_focus},
      {"note", std::chrono::steady_clock::now() < app.flags.note_until ? app.flags.note : ""},
      {"view", view_spec_json(app.view)},
      {"whole_map_ready", !state.whole_map_for(app.view.head_mode).empty()},
      {"whole_map_refusal", std::string(state.whole_map_refusal(app.view.head_mode))},
      {"query_weights", query_row},
      {"model", state.model ? state.model->folder.string() : std::string()},
      {"model_error", state.open_error},
      {"model_card",
       state.model ? nlohmann::json(card_lines(state.model->card)) : nlohmann::json()},
      {"model_card_open", app.flags.show_model_card},
      {"layer_window", raw ? ui::layer_window_label(*raw, app.view.layer) : std::string()},
      {"kv_groups", kv_groups},
      {"imported", state.imported},
      {"imported_source", state.imported_source},
      {"loading", !state.loading.empty()},
      {"running", state.running || run_asked},
      {"run_progress", run_progress.running ? run_progress_label(run_progress) : ""},
      {"run_layers_done", run_progress.running ? run_progress.layers_done : -1},
      {"run_note", state.run_note},
      {"what_if", shown ? what_if_description(shown->trace->options) : std::string()},
      {"waiting", state.shown() ? std::string() : waiting_text(state)},
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
      {"probe_undo", app.text_before_probe.has_value()},
      {"missing_glyphs", missing_glyphs_note(app.fallback_fonts.missing(), app.text.text)},
      {"fallback_fonts", fallback_font_names(app.fallback_fonts.faces())},
      {"session_message", app.session.message},
      {"session_error", app.session.message_is_error},
      {"session_warning", app.session.warning},
      {"session_pending", app.session.pending_save.has_value() ||
                              app.session.pending_open.has_value() ||
                              app.session.pending_check.has_value()},
      {"export_error", app.export_ui.message_is_error},
      {"export_path", app.export_ui.last_path},
      {"export_writing", app.export_ui.pending_export != 0},
      {"export_picture", app.export_ui.last_picture},
      {"view_description", state.view ? state.view->derived.description : ""},
      {"lens", lens_state(state)},
      {"changes", changes_state(state)},
      {"importance", importance_state(state)},
      {"diff_open", app.view.diff.open},
      {"diff_aligned", diff ? diff->aligned : 0},
      {"diff_max_change", diff ? diff->max_change : 0.0f},
  };
}

// Fonts for the characters of the text (and of the tokens on screen) that DejaVu Sans lacks:
// looked up when either changes, added between frames on this thread (issue 11).
void update_fallback_fonts(App& app, DesktopWindow& desktop) {
  if (!app.base_font) return;
  const TraceRef* shown = app.state ? app.state->shown() : nullptr;
  const uint64_t trace_id = shown ? shown->id : 0;
  if (app.text.text == app.fonts_scanned_text && trace_id == app.fonts_scanned_trace) return;
  const Font& base = *app.base_font;
  const auto in_atlas = [&](char32_t cp) {
    return DesktopWindow::in_base_ranges(cp) && base.has_glyph(cp);
  };
  bool changed = false;
  if (app.text.text != app.fonts_scanned_text) {
    changed |= app.fallback_fonts.add_text(app.text.text, in_atlas);
    app.fonts_scanned_text = app.text.text;
  }
  if (trace_id != app.fonts_scanned_trace) {
    if (shown)
      for (const Token& token : shown->trace->tokens())
        changed |= app.fallback_fonts.add_text(token.text, in_atlas);
    app.fonts_scanned_trace = trace_id;
  }
  if (!changed) return;
  Font font = base;
  for (const FallbackFace& face : app.fallback_fonts.faces()) {
    if (auto with = font.with_fallback(face.path, face.index)) {
      font = std::move(with).value();
    } else {
      std::fprintf(stderr, "attnviz: %s\n", with.error().message.c_str());
    }
  }
  app.font = std::make_shared<const Font>(std::move(font));
  app.panels.labels.trace_id = 0;  // the chips are measured again with the new faces
  desktop.set_fallback_faces(app.fallback_fonts.faces());
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
  if (app.options.session) {  // applied in full once its model has loaded (update_sessions)
    app.text.text = app.options.session->text;
    app.session.pending_open = app.options.session;
    app.options.model_folder = session_model_folder(*app.options.session).string();
    if (app.options.session->window.width >= 320 && app.options.session->window.height >= 240) {
      app.settings.window_width = app.options.session->window.width;
      app.settings.window_height = app.options.session->window.height;
      app.settings.window_maximized = false;
    }
  }
  if (app.options.start_tab == "heatmap") app.view.kind = ViewKind::kHeatmap;
  if (app.options.start_tab == "grid") app.view.kind = ViewKind::kGrid;
  app.flags.select_tab = true;
  if (app.options.pin_token) app.view.pinned_token = app.options.pin_token;
  if (app.options.start_layer) app.view.layer = *app.options.start_layer;  // clamped on the trace
  if (auto font = Font::load_default())
    app.font = app.base_font = std::make_shared<const Font>(std::move(font).value());

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
  // A session's text runs once its model has loaded and its what-ifs are set (update_sessions).
  if (!app.session.pending_open) engine.run_text(app.text.text, app.run_options);
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
    const bool computing = app.state->running || !app.state->loading.empty() ||
                           ms_since(last_run_request) < 100.0 ||
                           app.engine->export_progress().second > 0;
    // Frames are paced, not drawn as fast as possible: 60 per second after input (vsync does
    // this on a GPU; a software renderer has none and would take the cores from the engine),
    // 10 while the engine computes (its progress shows after 100 ms; input still wakes the loop
    // at once, and so does the engine when it publishes), and none while idle beyond a 0.25 s
    // heartbeat. Under llvmpipe a frame keeps both cores busy for several milliseconds, which
    // stalled a run's threads for as long. Benchmark runs draw back to back.
    double wait_s = 0.25;
    if (benchmark || desktop.keys_queued()) {  // queued key presses: one a frame, at once
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
    update_sessions(app, desktop);
    update_data_export(app);
    for (const std::string& path : desktop.take_dropped_paths()) {
      if (std::filesystem::path(path).extension() == kSessionExtension)
        app.actions.push_back(ui::action::OpenSession{path});
      else
        app.actions.push_back(ui::action::Open{path});
    }
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
    update_fallback_fonts(app, desktop);
    // An edited text runs once the frame is on screen: under a software renderer the frame's
    // drawing would otherwise take the cores from the run's first milliseconds.
    const bool run_asked = app.text_changed;
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
      dumper->update(app.layout, x, y, layout_state(app, run_asked), frame);
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

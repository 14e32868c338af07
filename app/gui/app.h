// The desktop app: its state and main loop. main.cpp parses the command line into AppOptions;
// app.cpp runs the loop (the engine's latest state in, the panels drawn, their actions out);
// dispatcher.cpp applies every action (panels, menus, shortcuts and drops all arrive there);
// menu.cpp draws the menu bar and help and turns keys into actions; export.cpp carries out
// exports of the view on screen.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/engine/engine.h"
#include "core/attention_trace.h"
#include "core/session.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"
#include "ui/actions.h"
#include "ui/heatmap_renderer.h"
#include "ui/layout_hook.h"
#include "ui/panel_arcs.h"
#include "ui/panel_diff.h"
#include "ui/panel_head_roles.h"
#include "ui/panel_heatmap.h"
#include "ui/panel_inspector.h"
#include "ui/panel_lens.h"
#include "ui/panel_model_picker.h"
#include "ui/panel_text.h"
#include "app/gui/fallback_fonts.h"
#include "ui/settings.h"
#include "ui/ui_state.h"

namespace attnviz {

struct AppOptions {
  std::optional<std::string> model_folder;  // --model; else the built-in model
  std::optional<std::string> text;          // --text; else the first example
  std::optional<ViewSpec> view;             // --view FILE: the view to start with
  std::optional<Session> session;           // --session FILE: the session to open
  std::string dump_layout;                  // --dump-layout FILE
  std::string frame_stats;                  // --frame-stats FILE
  long exit_after_frames = 0;               // --exit-after-frames N (0: never)
  double exit_after_seconds = 0.0;          // --exit-after-seconds S (0: never)
  bool print_time_to_first_frame = false;   // --time-to-first-frame
  bool log_runs = false;                    // --log-runs: every trace on screen, its timings
  std::string start_tab;                    // --tab arcs|heatmap|grid
  std::optional<int> pin_token;             // --pin I: start with token I pinned (screenshots)
  std::optional<int> start_layer;           // --layer L: start on layer L
  // `attnviz view`: attention imported from a file instead of a model.
  std::shared_ptr<const AttentionTrace> imported;
  std::string imported_source;
  std::chrono::steady_clock::time_point process_start = std::chrono::steady_clock::now();
};

enum class DetailsTab { kPredictions, kLens, kHeadRoles, kCost, kExport };

// Sessions (core/session.h) in the app: the File menu's dialogs, a save that waits for the
// model files' fingerprints, an opened session waiting for its model, and what was said.
struct SessionUi {
  bool save_dialog = false, open_dialog = false;
  std::string path;                         // the dialogs' path box
  std::optional<std::string> pending_save;  // saved once the engine has the fingerprints
  std::optional<Session> pending_open;      // applied when its model has loaded
  uint64_t model_id_before_open = 0;
  uint64_t open_error_id_before_open = 0;
  std::optional<std::vector<ModelFile>> pending_check;  // compared when the fingerprints come
  std::string message;  // the last save or open, or why it failed
  bool message_is_error = false;
  std::chrono::steady_clock::time_point message_until{};  // success: shown until then
  std::string warning;  // the model changed since the session was saved (stays until the next)
};

// What each panel keeps between frames: its own state, and caches keyed by trace ids.
struct Panels {
  ui::ArcsPanelState arcs;
  ui::TextPanelState text_panel;
  ui::HeatmapPanelState heatmap;
  ui::InspectorState inspector;
  ui::HeadRolesPanelState head_roles;
  ui::LensPanelState lens;
  ui::ModelPickerState model_picker;
  ui::DiffPanelState diff;
  ui::LabelsCache labels;
  ui::ReceivedCache received;
};

// What the frame loop and the menus switch: tabs, help windows, quitting.
struct UiFlags {
  DetailsTab details_tab = DetailsTab::kPredictions;
  bool select_tab = false;  // force the centre tab bar to view.kind next frame
  bool show_shortcuts = false;
  bool show_about = false;
  bool show_model_card = false;
  bool quit = false;
  bool theme_changed = false;
  // Where the last mouse click landed: single-key shortcuts act only when it was on the views
  // (the centre column or the head bar), so a click that missed a text field does not turn the
  // typing that follows into commands (issue 11). True at start: nothing has been clicked.
  bool canvas_focus = true;
  // A transient line in the status bar saying what a shortcut just did (or why it did nothing).
  std::string note;
  std::chrono::steady_clock::time_point note_until{};
};

struct App {
  AppOptions options;
  ui::Settings settings;
  std::optional<std::filesystem::path> settings_file;
  std::string settings_error;

  ViewSpec view;              // what is shown: the one description the panels and exports draw
  ui::Pointer pointer;        // what the mouse is over (not part of the view)
  ui::TextState text;         // the text box
  bool text_changed = false;  // run the text (or the what-ifs) once this frame is on screen
  RunOptions run_options;     // what-ifs; the defaults reproduce the model
  std::string model_path_input;
  ui::ExportUiState export_ui;
  // The export message says there was nothing to export: it goes once there is (issue 11).
  bool export_message_until_text = false;
  // The user's text that "Show probe text" replaced; Ctrl+Z or the status bar's Undo brings it
  // back. Any other edit of the text drops it.
  std::optional<std::string> text_before_probe;
  SessionUi session;
  int window_width = 0, window_height = 0;  // the window's size this frame (sessions)

  Engine* engine = nullptr;
  std::shared_ptr<const EngineState> state;      // the engine's latest published state
  std::shared_ptr<const ViewResult> shown_view;  // the view the spec's tokens refer to
  // The token the pin pointed at, and in which run: a new run (text or model changed) whose
  // token at that index is another one drops the pin instead of pinning a stranger (issue 11).
  struct PinnedIdentity {
    uint64_t raw_id = 0;
    int index = -1;
    int32_t id = 0;
    size_t start = 0;
    std::string text;
  } pinned_identity;
  uint64_t logged_trace = 0;                     // --log-runs: the last trace printed
  ui::Actions actions;                           // pushed while drawing, applied after it
  bool hovered_this_frame = false;               // a panel reported a token under the mouse

  Panels panels;
  std::unique_ptr<ui::HeatmapRenderer> heatmap_renderer;  // needs the GL context
  std::shared_ptr<const Font> font;  // the metrics pictures are laid out with; figure exports
  // DejaVu Sans alone, and the installed faces for the text's other scripts (`font` is DejaVu
  // with them); what they were last looked up for.
  std::shared_ptr<const Font> base_font;
  FallbackFonts fallback_fonts;
  std::string fonts_scanned_text;
  uint64_t fonts_scanned_trace = 0;
  ui::LayoutRecorder layout;
  UiFlags flags;
};

int run_gui(AppOptions options);

class CliArgs;
// main.cpp: the options the app and `attnviz view` share (test and measurement flags, --view),
// and their parser; an Error names the bad option.
extern const std::set<std::string> kAppValueOptions;
extern const std::set<std::string> kAppFlagOptions;
Result<AppOptions> parse_app_options(const CliArgs& args);
// --view FILE: a ViewSpec as JSON (core/view/view_spec.h); an Error names the file.
Status read_view_option(const CliArgs& args, AppOptions& options);

class DesktopWindow;
// frame.cpp: draws every panel of one frame from app.state and app.view; actions go to
// app.actions.
void draw_frame(App& app, const DesktopWindow& window);

// dispatcher.cpp: applies one action / every queued action (in order), then ends a hover no
// panel reported this frame.
void dispatch(App& app, const ui::Action& action);
void dispatch_queued(App& app);
// The trace the panels draw (the view on screen), null before the first one.
const TraceRef* shown_trace(const App& app);

// session.cpp: File > Save session / Open session. open_session reads the file and opens its
// model (an Error names the file); update_sessions, once a frame after the engine's state is
// taken, finishes a save waiting for fingerprints, applies an opened session once its model is
// loaded, and compares the files; draw_session_dialogs draws the path dialogs.
Status open_session(App& app, const std::filesystem::path& file);
void request_session_save(App& app, const std::string& path);
void update_sessions(App& app, DesktopWindow& window);
void draw_session_dialogs(App& app);
// The details tab's key in sessions ("predictions", "head-roles", "cost", "export").
const char* details_tab_key(DetailsTab tab);

// menu.cpp
void draw_menu_bar(App& app);
void draw_help_windows(App& app);
// Keyboard shortcuts become actions; the same table is the Help window's list.
void push_shortcut_actions(App& app);

// frame.cpp: what a view without a trace says it waits for (the model loading, the first run,
// or nothing: a cancelled or failed first run, no text); the panels and the layout dump.
std::string waiting_text(const EngineState& state);

// export.cpp: one figure or data file of the view on screen, or every head into a folder.
void carry_out_export(App& app, bool every_head);
// Once a frame: the message of a data export the engine has finished.
void update_data_export(App& app);

}  // namespace attnviz

// The desktop app's state and main loop. gui_main.cpp parses the command line into AppOptions;
// gui_app.cpp runs the loop; gui_menu.cpp draws the menu bar, help and keyboard shortcuts;
// gui_export.cpp carries out exports.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui_map_job.h"
#include "app/worker.h"
#include "core/attention_trace.h"
#include "ui/app_state.h"
#include "ui/layout_recorder.h"
#include "ui/heatmap_renderer.h"
#include "ui/panel_arcs.h"
#include "ui/panel_diff.h"
#include "ui/panel_model_picker.h"
#include "ui/panel_view_options.h"
#include "ui/panel_head_roles.h"
#include "ui/panel_inspector.h"
#include "ui/settings.h"
#include "ui/view_state.h"

namespace attnviz {

class DesktopWindow;
class Font;

struct AppOptions {
  std::optional<std::string> model_folder;  // --model; else the built-in model
  std::optional<std::string> text;          // --text; else the first example
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

enum class CenterTab { kArcs, kHeatmap, kModelGrid };
enum class DetailsTab { kPredictions, kHeadRoles, kCost, kExport };

struct App {
  AppOptions options;
  ui::Settings settings;
  std::optional<std::filesystem::path> settings_file;
  std::string settings_error;

  ui::ModelState model;
  ui::TextState text;
  ui::ViewState view;
  ui::ExportUiState export_ui;

  std::shared_ptr<const AttentionTrace> trace;  // the newest finished trace on screen
  // What the worker (or the imported file) gave; `trace` is its derived view (words, hidden
  // tokens) when a view option is on, so every panel and export draws the view.
  std::shared_ptr<const AttentionTrace> raw_trace;
  ui::ViewOptionsState view_options;
  ui::DiffState diff;
  ui::ModelPickerState model_picker;
  uint64_t trace_generation = 0;
  uint64_t model_generation = 0;
  uint64_t model_error_generation = 0;
  std::string requested_folder;  // the load in flight, remembered in recent models on success
  std::string text_before_import;  // the typed text, back when the model view returns

  ui::ArcsCache arcs_cache;
  ui::ReceivedCache text_received;
  ui::FlowCache text_flow;
  std::vector<float> text_row;
  ui::LayoutRecorder recorder;
  std::optional<int> hover_candidate;

  RunOptions run_options;  // what-ifs from the inspector; defaults reproduce the model
  std::unique_ptr<ui::HeatmapRenderer> heatmap_renderer;  // needs the GL context
  ui::InspectorState inspector;
  // The role table of raw_trace (the worker computes it; `valid` once it has arrived), with the
  // induction probe's scores written in by apply_probe.
  ui::HeadRolesCache head_roles;
  const AttentionTrace* head_roles_of = nullptr;  // the raw trace the table describes
  ui::HeadRolesPanelState head_roles_panel;
  MapJob map_job;  // rollout / all-layer mean for the heatmap, off the UI thread
  std::shared_ptr<const AttentionTrace> probe_trace;  // the induction probe's run, if any
  int probe_repeat_length = 0;
  uint64_t probe_generation = 0;
  const AttentionTrace* probe_applied_to = nullptr;  // roles table the probe scores went into

  CenterTab center_tab = CenterTab::kArcs;
  DetailsTab details_tab = DetailsTab::kPredictions;
  bool select_tab = false;  // force the tab bar to center_tab next frame
  bool show_shortcuts = false;
  bool show_about = false;
  bool focus_model_path = false;
  bool quit = false;
  bool theme_changed = false;
  std::shared_ptr<Font> export_font;  // loaded on the first figure export
};

int run_gui(AppOptions options);

// gui_menu.cpp
void draw_menu_bar(App& app, ComputeWorker* worker);
void draw_help_windows(App& app);
void handle_shortcuts(App& app);

// gui_export.cpp
void carry_out_exports(App& app);

// gui_import.cpp: attention files opened from the model box or dropped on the window.
bool is_attention_file(const std::string& path);
// Shows the file's attention instead of the model's (an error leaves the screen as it was).
void open_attention_file(App& app, const std::string& path);
// Puts an imported trace on screen: its tokens as the (read-only) text, its head roles.
void show_imported_attention(App& app, std::shared_ptr<const AttentionTrace> trace,
                             const std::string& source);
// Back to the model after an imported file: the typed text returns and runs again.
void leave_imported_attention(App& app, ComputeWorker& worker);

}  // namespace attnviz

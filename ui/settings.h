// Settings: what attnviz remembers between runs (theme, window size, recent models, export
// folder, arc thresholds), stored as JSON in $XDG_CONFIG_HOME/attnviz/ (else ~/.config/attnviz/),
// never in the working directory. A missing or broken file gives defaults and a message; a
// save writes a temporary file and renames it, so a crash never leaves half a settings file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/view/view_spec.h"

namespace attnviz::ui {

struct Settings {
  Theme theme = Theme::kDark;
  int window_width = 1600;
  int window_height = 960;
  bool window_maximized = false;
  float font_size = 16.0f;                  // points before HiDPI scaling
  std::vector<std::string> recent_models;   // most recent first, at most kMaxRecentModels
  std::string export_folder;                // empty: the current directory (or $HOME)
  int export_scale = 2;                     // 1, 2 or 4
  HeadMode head_mode = HeadMode::kMultiHead;
  ArcsLayout arcs_layout = ArcsLayout::kLine;
  float arc_min_weight = 0.02f;
  int arc_top_k = 24;
  // Widths of the side columns as fractions of the window's; the splitters beside the centre
  // change them (within the limits below).
  float left_column_fraction = 0.24f;       // width of the text/heads column
  float right_column_fraction = 0.27f;      // width of the inspector/export column

  static constexpr size_t kMaxRecentModels = 10;
  bool operator==(const Settings&) const = default;
};

constexpr float kMinLeftFraction = 0.15f, kMaxLeftFraction = 0.5f;
constexpr float kMinRightFraction = 0.12f, kMaxRightFraction = 0.55f;

// $XDG_CONFIG_HOME/attnviz, else $HOME/.config/attnviz; nullopt when neither is usable
// (then nothing is remembered).
std::optional<std::filesystem::path> config_folder();

// Defaults when the file does not exist; an Error naming the file when it exists but cannot be
// read or parsed (the caller shows it and uses defaults). Out-of-range values are clamped.
Result<Settings> load_settings(const std::filesystem::path& file);
// Creates the folder when needed; writes atomically (temporary file + rename).
Status save_settings(const std::filesystem::path& file, const Settings& settings);

// Moves `folder` to the front of the recent list (no duplicates, capped).
void remember_model(Settings& settings, const std::string& folder);

}  // namespace attnviz::ui

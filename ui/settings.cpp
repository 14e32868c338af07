#include "ui/settings.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <unistd.h>

#include "core/json_read.h"

namespace attnviz::ui {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<fs::path> config_folder() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg && fs::path(xdg).is_absolute()) return fs::path(xdg) / "attnviz";
  const char* home = std::getenv("HOME");
  if (home && *home && fs::path(home).is_absolute()) return fs::path(home) / ".config" / "attnviz";
  return std::nullopt;
}

namespace {

const char* theme_name(Theme theme) { return theme == Theme::kLight ? "light" : "dark"; }

// Reads a field if present and of the right type; anything else keeps the default, so a
// settings file from another version still loads.
template <class T>
void read_field(const json& object, const char* name, T& out) {
  auto it = object.find(name);
  if (it == object.end()) return;
  try {
    out = it->template get<T>();
  } catch (const json::exception&) {
  }
}

}  // namespace

Result<Settings> load_settings(const fs::path& file) {
  Settings settings;
  std::error_code ec;
  if (!fs::exists(file, ec)) return settings;
  // Settings are small; anything bigger than this is not ours.
  auto parsed = read_json_file_bounded(file, 1u << 20);
  if (!parsed) return make_error("settings: " + parsed.error().message + "; using defaults");
  const json& object = *parsed;
  if (!object.is_object()) {
    return make_error("settings " + file.string() +
                      " is not a JSON object; using defaults (delete the file to reset it)");
  }
  std::string theme = theme_name(settings.theme), mode = head_mode_info(settings.head_mode).key;
  std::string layout = settings.arcs_layout == ArcsLayout::kTwoColumns ? "columns" : "line";
  read_field(object, "theme", theme);
  read_field(object, "window_width", settings.window_width);
  read_field(object, "window_height", settings.window_height);
  read_field(object, "window_maximized", settings.window_maximized);
  read_field(object, "font_size", settings.font_size);
  read_field(object, "recent_models", settings.recent_models);
  read_field(object, "export_folder", settings.export_folder);
  read_field(object, "export_scale", settings.export_scale);
  read_field(object, "head_mode", mode);
  read_field(object, "arcs_layout", layout);
  read_field(object, "arc_min_weight", settings.arc_min_weight);
  read_field(object, "arc_top_k", settings.arc_top_k);
  read_field(object, "left_column_fraction", settings.left_column_fraction);
  read_field(object, "right_column_fraction", settings.right_column_fraction);

  settings.theme = theme == "light" ? Theme::kLight : Theme::kDark;
  settings.head_mode = head_mode_from_key(mode).value_or(settings.head_mode);
  settings.arcs_layout = layout == "columns" ? ArcsLayout::kTwoColumns : ArcsLayout::kLine;
  settings.window_width = std::clamp(settings.window_width, 640, 16384);
  settings.window_height = std::clamp(settings.window_height, 480, 16384);
  settings.font_size = std::clamp(settings.font_size, 8.0f, 48.0f);
  if (settings.export_scale != 1 && settings.export_scale != 2 && settings.export_scale != 4)
    settings.export_scale = 2;
  settings.arc_min_weight = std::clamp(settings.arc_min_weight, 0.0f, 1.0f);
  settings.arc_top_k = std::clamp(settings.arc_top_k, 1, 4096);
  settings.left_column_fraction =
      std::clamp(settings.left_column_fraction, kMinLeftFraction, kMaxLeftFraction);
  settings.right_column_fraction =
      std::clamp(settings.right_column_fraction, kMinRightFraction, kMaxRightFraction);
  // The centre keeps a quarter of the window.
  settings.right_column_fraction =
      std::min(settings.right_column_fraction, 0.75f - settings.left_column_fraction);
  if (settings.recent_models.size() > Settings::kMaxRecentModels)
    settings.recent_models.resize(Settings::kMaxRecentModels);
  return settings;
}

Status save_settings(const fs::path& file, const Settings& settings) {
  json object = {
      {"theme", theme_name(settings.theme)},
      {"window_width", settings.window_width},
      {"window_height", settings.window_height},
      {"window_maximized", settings.window_maximized},
      {"font_size", settings.font_size},
      {"recent_models", settings.recent_models},
      {"export_folder", settings.export_folder},
      {"export_scale", settings.export_scale},
      {"head_mode", head_mode_info(settings.head_mode).key},
      {"arcs_layout", settings.arcs_layout == ArcsLayout::kTwoColumns ? "columns" : "line"},
      {"arc_min_weight", settings.arc_min_weight},
      {"arc_top_k", settings.arc_top_k},
      {"left_column_fraction", settings.left_column_fraction},
      {"right_column_fraction", settings.right_column_fraction},
  };
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return make_error("cannot create " + file.parent_path().string() + ": " + ec.message());
  const fs::path temporary = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << object.dump(2) << '\n';
    out.flush();
    if (!out) {
      fs::remove(temporary, ec);
      return make_error("cannot write settings " + temporary.string() + " (disk full or read-only?)");
    }
  }
  fs::rename(temporary, file, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(temporary, ec);
    return make_error("cannot replace settings " + file.string() + ": " + reason);
  }
  return Ok{};
}

void remember_model(Settings& settings, const std::string& folder) {
  auto& recent = settings.recent_models;
  recent.erase(std::remove(recent.begin(), recent.end(), folder), recent.end());
  recent.insert(recent.begin(), folder);
  if (recent.size() > Settings::kMaxRecentModels) recent.resize(Settings::kMaxRecentModels);
}

}  // namespace attnviz::ui

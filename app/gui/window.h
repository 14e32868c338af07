// The desktop window: GLFW + OpenGL 3.3 core + Dear ImGui set up in the order of the ImGui
// examples (error callback, init, window, context and style, backends) and torn down in reverse.
// Fonts (DejaVu Sans with Latin, Greek, Cyrillic and arrows), HiDPI scale and themes live here.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/fallback_fonts.h"
#include "core/result.h"
#include "core/view/colors.h"

struct GLFWwindow;
struct ImGuiIO;

namespace attnviz {

struct WindowOptions {
  int width = 1600;
  int height = 960;
  bool maximized = false;
  // Wait for the display's refresh at each swap. Off for --frame-stats runs, so they measure the
  // work of a frame rather than the wait for the next refresh.
  bool vsync = true;
  float font_size = 16.0f;             // points at scale 1
  Theme theme = Theme::kDark;
  std::filesystem::path imgui_ini;     // empty: ImGui remembers nothing on disk
};

class DesktopWindow {
 public:
  // An Error (never a crash) when there is no display or no OpenGL 3.3.
  static Result<std::unique_ptr<DesktopWindow>> open(const WindowOptions& options);
  ~DesktopWindow();
  DesktopWindow(const DesktopWindow&) = delete;
  DesktopWindow& operator=(const DesktopWindow&) = delete;

  bool should_close() const;
  void request_close();
  // Waits for input up to timeout_s (0: just polls), then starts an ImGui frame.
  void begin_frame(double timeout_s);
  void end_frame();  // renders and swaps
  // Key presses or mouse buttons not yet given to ImGui (one per frame): the caller draws the
  // next frame at once.
  bool keys_queued() const { return !events_.taps.empty() || !events_.buttons.empty(); }
  void apply_theme(Theme theme);
  // Rebuilds the font atlas between frames (on this thread): DejaVu Sans, with the code points
  // of each fallback face merged in (only those, so the atlas stays small).
  void set_fallback_faces(const std::vector<FallbackFace>& faces);
  // Whether the atlas's DejaVu ranges include the code point (DejaVu may still lack it).
  static bool in_base_ranges(char32_t code_point);

  GLFWwindow* handle() const { return window_; }
  float ui_scale() const { return scale_; }
  // Folders dropped on the window since the last call.
  std::vector<std::string> take_dropped_paths();
  void window_size(int& width, int& height, bool& maximized) const;
  void window_position(int& x, int& y) const;
  // Restores a size (a session's); a maximized window is restored first.
  void set_window_size(int width, int height);

 private:
  DesktopWindow() = default;
  bool load_fonts(float size_px, const std::vector<FallbackFace>& faces);
  void replay_buttons(ImGuiIO& io);

  GLFWwindow* window_ = nullptr;
  float scale_ = 1.0f;
  std::string ini_path_;  // ImGui keeps a pointer to it
  float font_px_ = 16.0f;
  // The glyph ranges of the fallback faces: the atlas reads them when it builds.
  std::vector<std::vector<unsigned short>> fallback_ranges_;
  // Filled by GLFW callbacks (the window's user pointer points here).
  struct Events {
    std::vector<std::string> dropped;
    // Keys pressed since the last frame with the modifiers held then. ImGui 1.86 (before its
    // input queue) only sees keys still down at the next frame, so a quick tap — a person's
    // fast typing of a shortcut, or xdotool — would be lost; begin_frame replays these, one a
    // frame.
    std::vector<std::pair<int, int>> taps;  // (GLFW key, GLFW mods)
    // Mouse button presses and releases since the last frame, with their times, replayed the
    // same way: a click shorter than a frame, or two clicks within one slow frame, still count.
    struct Button {
      int button;
      bool press;
      double seconds;  // glfwGetTime() when it happened
    };
    std::vector<Button> buttons;
  };
  // Left, right, middle: down last frame, and when each was last pressed (for double-clicks).
  static constexpr int kButtons = 3;
  std::array<bool, kButtons> buttons_down_{};
  std::array<double, kButtons> last_press_{-1e9, -1e9, -1e9};
  Events events_;
  std::array<bool, 512> keys_down_{};  // what ImGui saw down last frame (see begin_frame)
  bool imgui_ready_ = false;
  bool glfw_ready_ = false;
};

// Whether the environment names a display at all (DISPLAY or WAYLAND_DISPLAY).
bool display_named();

}  // namespace attnviz

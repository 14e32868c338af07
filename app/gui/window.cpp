#include "app/gui/window.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "ui/imgui_theme.h"

namespace attnviz {

namespace {

void glfw_error(int code, const char* description) {
  std::fprintf(stderr, "attnviz: GLFW error %d: %s\n", code, description);
}

template <class Events>
Events* events_of(GLFWwindow* window) {
  return static_cast<Events*>(glfwGetWindowUserPointer(window));
}

// Every block DejaVu Sans covers well from U+0020 to U+27BF: Latin (with IPA, combining marks
// and Vietnamese), Greek, Cyrillic, Armenian, Hebrew, general punctuation (…), currency (€),
// letterlike symbols (™), arrows (→), math (∅), technical (⏎), control pictures (␣), box
// drawing (─), blocks, geometric shapes (▾ ●), symbols and dingbats. Not CJK: DejaVu has none.
const ImWchar kGlyphRanges[] = {0x0020, 0x05FF, 0x1E00, 0x1FFF, 0x2000, 0x27BF, 0};

}  // namespace

bool display_named() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x11 && *x11) || (wayland && *wayland);
}

Result<std::unique_ptr<DesktopWindow>> DesktopWindow::open(const WindowOptions& options) {
  std::unique_ptr<DesktopWindow> self(new DesktopWindow());
  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) return make_error("cannot initialize GLFW (no usable display)");
  self->glfw_ready_ = true;
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  glfwWindowHint(GLFW_MAXIMIZED, options.maximized ? GLFW_TRUE : GLFW_FALSE);
  self->window_ = glfwCreateWindow(options.width, options.height, "attnviz", nullptr, nullptr);
  if (!self->window_) return make_error("cannot create an OpenGL 3.3 window");
  // Scaled to a HiDPI monitor (GLFW_SCALE_TO_MONITOR), the remembered size can exceed the
  // screen: keep the window inside the monitor's work area.
  if (GLFWmonitor* monitor = glfwGetPrimaryMonitor()) {
    int area_x = 0, area_y = 0, area_width = 0, area_height = 0, width = 0, height = 0;
    glfwGetMonitorWorkarea(monitor, &area_x, &area_y, &area_width, &area_height);
    glfwGetWindowSize(self->window_, &width, &height);
    if (area_width > 0 && area_height > 0 && (width > area_width || height > area_height)) {
      glfwSetWindowSize(self->window_, std::min(width, area_width), std::min(height, area_height));
      glfwSetWindowPos(self->window_, area_x, area_y);
    }
  }
  // ImGui 1.86's GLFW backend reads the mouse only while the window has focus; ask for it now
  // rather than on the first click (matters without a window manager, e.g. under Xvfb).
  glfwFocusWindow(self->window_);
  glfwMakeContextCurrent(self->window_);
  glfwSwapInterval(options.vsync ? 1 : 0);
  // Installed before ImGui's backend, which chains to them.
  glfwSetWindowUserPointer(self->window_, &self->events_);
  glfwSetDropCallback(self->window_, [](GLFWwindow* window, int count, const char** paths) {
    if (auto* events = events_of<Events>(window))
      for (int i = 0; i < count; ++i) events->dropped.emplace_back(paths[i]);
  });
  glfwSetKeyCallback(self->window_, [](GLFWwindow* window, int key, int, int action, int mods) {
    auto* events = events_of<Events>(window);
    if (events && action == GLFW_PRESS && key >= 0 && key < 512)
      events->taps.emplace_back(key, mods);
  });
  glfwSetMouseButtonCallback(self->window_, [](GLFWwindow* window, int button, int action, int) {
    auto* events = events_of<Events>(window);
    if (events && button >= 0 && button < kButtons && action != GLFW_REPEAT)
      events->buttons.push_back({button, action == GLFW_PRESS, glfwGetTime()});
  });

  float scale_x = 1.0f, scale_y = 1.0f;
  glfwGetWindowContentScale(self->window_, &scale_x, &scale_y);
  self->scale_ = std::max(1.0f, std::max(scale_x, scale_y));

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  self->imgui_ready_ = true;
  ImGuiIO& io = ImGui::GetIO();
  self->ini_path_ = options.imgui_ini.string();
  io.IniFilename = self->ini_path_.empty() ? nullptr : self->ini_path_.c_str();
  io.ConfigWindowsMoveFromTitleBarOnly = true;
  self->apply_theme(options.theme);
  self->font_px_ = options.font_size * self->scale_;
  if (!self->load_fonts(self->font_px_, {})) {
    std::fprintf(stderr, "attnviz: DejaVu Sans not found in %s; using ImGui's built-in font\n",
                 ATTNVIZ_FONT_DIR);
  }
  ImGui_ImplGlfw_InitForOpenGL(self->window_, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  return self;
}

DesktopWindow::~DesktopWindow() {
  if (imgui_ready_) {
    if (window_) {
      ImGui_ImplOpenGL3_Shutdown();
      ImGui_ImplGlfw_Shutdown();
    }
    ImGui::DestroyContext();
  }
  if (window_) glfwDestroyWindow(window_);
  if (glfw_ready_) glfwTerminate();
}

bool DesktopWindow::in_base_ranges(char32_t code_point) {
  for (const ImWchar* range = kGlyphRanges; range[0] != 0; range += 2)
    if (code_point >= range[0] && code_point <= range[1]) return true;
  return false;
}

void DesktopWindow::set_fallback_faces(const std::vector<FallbackFace>& faces) {
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui::GetIO().Fonts->Clear();
  load_fonts(font_px_, faces);
  ImGui_ImplOpenGL3_CreateFontsTexture();
}

bool DesktopWindow::load_fonts(float size_px, const std::vector<FallbackFace>& faces) {
  static_assert(sizeof(ImWchar) == sizeof(unsigned short), "ImWchar is 16 bits here");
  ImGuiIO& io = ImGui::GetIO();
  const std::string path = std::string(ATTNVIZ_FONT_DIR) + "/DejaVuSans.ttf";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    ImFontConfig config;
    config.SizePixels = size_px;
    io.Fonts->AddFontDefault(&config);
    return false;
  }
  ImFontConfig config;
  config.OversampleH = 2;
  config.OversampleV = 1;
  if (!io.Fonts->AddFontFromFileTTF(path.c_str(), size_px, &config, kGlyphRanges)) return false;
  // Each fallback face adds only the text's code points it draws: one (c, c) range each.
  fallback_ranges_.clear();
  for (const FallbackFace& face : faces) {
    std::vector<unsigned short>& ranges = fallback_ranges_.emplace_back();
    for (char32_t cp : face.code_points) {
      ranges.push_back(static_cast<unsigned short>(cp));
      ranges.push_back(static_cast<unsigned short>(cp));
    }
    ranges.push_back(0);
  }
  for (size_t i = 0; i < faces.size(); ++i) {
    ImFontConfig merge;
    merge.MergeMode = true;
    merge.OversampleH = 1;
    merge.OversampleV = 1;
    merge.FontNo = faces[i].index;
    io.Fonts->AddFontFromFileTTF(faces[i].path.c_str(), size_px, &merge,
                                 reinterpret_cast<const ImWchar*>(fallback_ranges_[i].data()));
  }
  return true;
}

void DesktopWindow::apply_theme(Theme theme) {
  ImGui::GetStyle() = ui::imgui_style(theme, scale_);
}

bool DesktopWindow::should_close() const {
  return glfwWindowShouldClose(window_);
}
void DesktopWindow::request_close() {
  glfwSetWindowShouldClose(window_, GLFW_TRUE);
}

void DesktopWindow::begin_frame(double timeout_s) {
  if (timeout_s > 0.0) {
    glfwWaitEventsTimeout(timeout_s);
  } else {
    glfwPollEvents();
  }
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGuiIO& io = ImGui::GetIO();
  // The keys ImGui sees are decided here, not by the backend's callbacks (which set
  // io.KeysDown as events arrive, so a press and release within one poll never showed, and a
  // second press while the first was still down looked like one held key). A key stays down
  // while it was down last frame and still is; the next queued press (Events::taps) goes down,
  // one a frame with the modifiers held when it was pressed, after its key has been up for a
  // frame. So two presses closer together than a frame (xdotool, fast typing) are two presses.
  // While a text field has the keys (last frame's WantTextInput) the text comes as characters,
  // and every queued press goes down at once: one a frame would lag behind the typing and
  // reach the shortcuts after the field has let go.
  std::vector<std::pair<int, int>> now;
  if (io.WantTextInput) {
    now.swap(events_.taps);
  } else if (!events_.taps.empty() && !keys_down_[events_.taps.front().first]) {
    now.push_back(events_.taps.front());
    events_.taps.erase(events_.taps.begin());
  }
  std::array<bool, 512> tapped{};
  int mods = 0;
  for (auto [key, key_mods] : now) {
    tapped[key] = true;
    mods |= key_mods;
  }
  for (int key = 0; key < static_cast<int>(keys_down_.size()); ++key) {
    const bool held = key >= GLFW_KEY_SPACE && key <= GLFW_KEY_LAST &&
                      glfwGetKey(window_, key) == GLFW_PRESS;
    const bool queued_again = !events_.taps.empty() && events_.taps.front().first == key;
    keys_down_[key] = tapped[key] || (keys_down_[key] && held && !queued_again);
    io.KeysDown[key] = keys_down_[key];
  }
  const auto& down = keys_down_;
  io.KeyCtrl = down[GLFW_KEY_LEFT_CONTROL] || down[GLFW_KEY_RIGHT_CONTROL];
  io.KeyShift = down[GLFW_KEY_LEFT_SHIFT] || down[GLFW_KEY_RIGHT_SHIFT];
  io.KeyAlt = down[GLFW_KEY_LEFT_ALT] || down[GLFW_KEY_RIGHT_ALT];
  io.KeySuper = down[GLFW_KEY_LEFT_SUPER] || down[GLFW_KEY_RIGHT_SUPER];
  io.KeyCtrl = io.KeyCtrl || (mods & GLFW_MOD_CONTROL);
  io.KeyShift = io.KeyShift || (mods & GLFW_MOD_SHIFT);
  io.KeyAlt = io.KeyAlt || (mods & GLFW_MOD_ALT);
  io.KeySuper = io.KeySuper || (mods & GLFW_MOD_SUPER);
  replay_buttons(io);
  // ImGui 1.86's backend reports the mouse only while it believes the cursor entered a focused
  // window; enter/leave and focus events get lost or reordered without a window manager (and
  // around screen grabs). When it reports nothing but the cursor is over the window, ask GLFW.
  if (!ImGui::IsMousePosValid(&io.MousePos) && glfwGetWindowAttrib(window_, GLFW_HOVERED)) {
    double x = 0, y = 0;
    glfwGetCursorPos(window_, &x, &y);
    io.MousePos = {static_cast<float>(x), static_cast<float>(y)};
  }
  ImGui::NewFrame();
}

void DesktopWindow::replay_buttons(ImGuiIO& io) {
  // The buttons ImGui sees are decided here, like the keys. The backend's io.MouseDown (pressed
  // since the last frame, or down now) merges a release and the next press within one frame, so
  // on a slow frame (a loaded machine, software GL) the second click of a double-click vanished.
  // Each button takes its next queued press or release, one a frame, in order. ImGui counts a
  // double-click by frame time (g.Time), which a slow frame stretches past its 0.3 s; so the
  // double-click time is set for this frame from the presses' real times instead.
  constexpr double kDoubleClickSeconds = 0.30;
  bool pressed = false, repeated = false;
  for (int button = 0; button < kButtons; ++button) {
    auto& queue = events_.buttons;
    auto next = std::find_if(queue.begin(), queue.end(),
                             [&](const Events::Button& b) { return b.button == button; });
    if (next == queue.end()) {
      buttons_down_[button] = glfwGetMouseButton(window_, button) == GLFW_PRESS;
    } else {
      if (next->press && !buttons_down_[button]) {
        const bool again = next->seconds - last_press_[button] < kDoubleClickSeconds;
        last_press_[button] = next->seconds;
        if (!pressed) repeated = again;  // one setting a frame: the lowest button decides
        pressed = true;
      }
      buttons_down_[button] = next->press;
      queue.erase(next);
    }
    io.MouseDown[button] = buttons_down_[button];
  }
  if (pressed) io.MouseDoubleClickTime = repeated ? 1e9f : 0.0f;
}

void DesktopWindow::end_frame() {
  ImGui::Render();
  int width = 0, height = 0;
  glfwGetFramebufferSize(window_, &width, &height);
  glViewport(0, 0, width, height);
  const ImVec4 clear = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glClearColor(clear.x, clear.y, clear.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glfwSwapBuffers(window_);
}

std::vector<std::string> DesktopWindow::take_dropped_paths() {
  std::vector<std::string> paths;
  paths.swap(events_.dropped);
  return paths;
}

void DesktopWindow::window_size(int& width, int& height, bool& maximized) const {
  glfwGetWindowSize(window_, &width, &height);
  maximized = glfwGetWindowAttrib(window_, GLFW_MAXIMIZED) == GLFW_TRUE;
}

void DesktopWindow::set_window_size(int width, int height) {
  if (glfwGetWindowAttrib(window_, GLFW_MAXIMIZED) == GLFW_TRUE) glfwRestoreWindow(window_);
  glfwSetWindowSize(window_, width, height);
}

void DesktopWindow::window_position(int& x, int& y) const {
  glfwGetWindowPos(window_, &x, &y);
}

}  // namespace attnviz

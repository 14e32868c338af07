#include "ui/imgui_theme.h"

namespace attnviz::ui {

ImGuiStyle imgui_style(Theme theme, float scale) {
  ImGuiStyle style;
  // The window background is the colour registry's, so a view on screen and its exported
  // figure have the same background.
  const Rgba background = theme_colors(theme).background;
  const ImVec4 window_bg{background.r / 255.0f, background.g / 255.0f, background.b / 255.0f, 1};
  if (theme == Theme::kLight) {
    ImGui::StyleColorsLight(&style);
    style.Colors[ImGuiCol_WindowBg] = window_bg;
    style.Colors[ImGuiCol_ChildBg] = {window_bg.x, window_bg.y, window_bg.z, 0};
    // ImGui's light grey (0.60) is 2.7:1 on the window; and white frames on a near-white
    // window hid the checkboxes, so frames get a border dark enough to see (3:1).
    style.Colors[ImGuiCol_TextDisabled] = {0.38f, 0.38f, 0.40f, 1};
    style.Colors[ImGuiCol_Border] = {0, 0, 0, 0.45f};
  } else {
    ImGui::StyleColorsDark(&style);
    style.Colors[ImGuiCol_WindowBg] = window_bg;
    style.Colors[ImGuiCol_TitleBg] = {0.13f, 0.14f, 0.17f, 1};
    style.Colors[ImGuiCol_TitleBgActive] = {0.16f, 0.19f, 0.25f, 1};
    style.Colors[ImGuiCol_MenuBarBg] = {0.13f, 0.14f, 0.17f, 1};
    style.Colors[ImGuiCol_FrameBg] = {0.18f, 0.19f, 0.23f, 1};
    style.Colors[ImGuiCol_Tab] = {0.16f, 0.18f, 0.23f, 1};
    style.Colors[ImGuiCol_TabActive] = {0.26f, 0.36f, 0.55f, 1};
    style.Colors[ImGuiCol_TabHovered] = {0.32f, 0.45f, 0.68f, 1};
    // ImGui's bright blues under white text are 3:1; these keep 4.5:1 (WCAG AA).
    style.Colors[ImGuiCol_ButtonHovered] = {0.16f, 0.36f, 0.62f, 1};
    style.Colors[ImGuiCol_ButtonActive] = {0.10f, 0.30f, 0.55f, 1};
    style.Colors[ImGuiCol_HeaderHovered] = {0.20f, 0.40f, 0.65f, 0.80f};
    style.Colors[ImGuiCol_HeaderActive] = {0.16f, 0.36f, 0.62f, 1};
    style.Colors[ImGuiCol_TextDisabled] = {0.60f, 0.60f, 0.62f, 1};
    style.Colors[ImGuiCol_Border] = {0.55f, 0.57f, 0.62f, 0.80f};
  }
  // Frames (checkboxes, text boxes, sliders) are outlined, so they show on either theme.
  style.FrameBorderSize = 1.0f;
  style.WindowRounding = 0.0f;
  style.FrameRounding = 4.0f;
  style.GrabRounding = 4.0f;
  style.TabRounding = 4.0f;
  style.WindowBorderSize = 1.0f;
  style.FramePadding = {8, 5};
  style.ItemSpacing = {8, 6};
  style.WindowPadding = {10, 8};
  style.ScaleAllSizes(scale);
  return style;
}

}  // namespace attnviz::ui

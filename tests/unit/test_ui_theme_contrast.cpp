// WCAG AA contrast of every text/background pair of both themes (issue 11, item 18): the ImGui
// style's text on each surface it is drawn on (composited over the window, as on screen), the
// check mark and the frame of a checkbox, and the colour registry's text colours (muted text,
// warnings, chip ink, head-role labels).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/view/colors.h"
#include "core/view/map_scene.h"
#include "ui/imgui_theme.h"

namespace attnviz {
namespace {

Rgba rgba(const ImVec4& c) {
  const auto byte = [](float v) { return static_cast<uint8_t>(v * 255.0f + 0.5f); };
  return {byte(c.x), byte(c.y), byte(c.z), byte(c.w)};
}

const char* name(Theme theme) {
  return theme == Theme::kLight ? "light" : "dark";
}

TEST(ThemeContrast, ImGuiTextOnEverySurfaceMeetsAA) {
  for (Theme theme : {Theme::kDark, Theme::kLight}) {
    const ImGuiStyle style = ui::imgui_style(theme, 1.0f);
    const Rgba window = over(rgba(style.Colors[ImGuiCol_WindowBg]), {0, 0, 0, 255});
    const Rgba text = rgba(style.Colors[ImGuiCol_Text]);
    const Rgba disabled = rgba(style.Colors[ImGuiCol_TextDisabled]);
    const std::pair<const char*, ImGuiCol_> surfaces[] = {
        {"WindowBg", ImGuiCol_WindowBg},   {"FrameBg", ImGuiCol_FrameBg},
        {"Button", ImGuiCol_Button},       {"ButtonHovered", ImGuiCol_ButtonHovered},
        {"Header", ImGuiCol_Header},       {"HeaderHovered", ImGuiCol_HeaderHovered},
        {"PopupBg", ImGuiCol_PopupBg},     {"MenuBarBg", ImGuiCol_MenuBarBg},
        {"TitleBg", ImGuiCol_TitleBg},     {"TitleBgActive", ImGuiCol_TitleBgActive},
        {"Tab", ImGuiCol_Tab},             {"TabActive", ImGuiCol_TabActive},
        {"TabHovered", ImGuiCol_TabHovered}};
    for (const auto& [surface_name, surface] : surfaces) {
      const Rgba bg = over(rgba(style.Colors[surface]), window);
      EXPECT_GE(contrast_ratio(over(text, bg), bg), 4.5) << name(theme) << " Text on " << surface_name;
    }
    EXPECT_GE(contrast_ratio(over(disabled, window), window), 4.5)
        << name(theme) << " TextDisabled (status bar, notes) on WindowBg";
    const Rgba frame = over(rgba(style.Colors[ImGuiCol_FrameBg]), window);
    EXPECT_GE(contrast_ratio(over(rgba(style.Colors[ImGuiCol_CheckMark]), frame), frame), 3.0)
        << name(theme) << " CheckMark on FrameBg";
    // A checkbox must be visible: its frame, or its border when it has one, against the window.
    const Rgba border = over(rgba(style.Colors[ImGuiCol_Border]), window);
    const double edge = style.FrameBorderSize > 0 ? std::max(contrast_ratio(border, window),
                                                             contrast_ratio(border, frame))
                                                  : contrast_ratio(frame, window);
    EXPECT_GE(edge, 3.0) << name(theme) << " checkbox edge against the window";
  }
}

TEST(ThemeContrast, RegistryTextColoursMeetAA) {
  for (Theme theme : {Theme::kDark, Theme::kLight}) {
    const ThemeColors& c = theme_colors(theme);
    EXPECT_GE(contrast_ratio(c.text, c.background), 4.5) << name(theme) << " text";
    EXPECT_GE(contrast_ratio(c.muted, c.background), 4.5) << name(theme) << " muted";
    EXPECT_GE(contrast_ratio(c.warning, c.background), 4.5) << name(theme) << " warning";
    // The export message and load errors (issue 11: the light theme's green was hard to read).
    EXPECT_GE(contrast_ratio(c.success, c.background), 4.5) << name(theme) << " success";
    EXPECT_GE(contrast_ratio(c.error, c.background), 4.5) << name(theme) << " error";
    // The chips take whichever ink reads better on them (dark on light chips and vice versa).
    for (Rgba chip : {c.chip, c.chip_hot})
      EXPECT_GE(std::max(contrast_ratio(c.chip_text_light, chip), contrast_ratio(c.chip_text_dark, chip)), 4.5)
          << name(theme) << " ink on chip";
    for (const char* role : {"mixed", "prev", "dup", "induction", "first", "self", "local", "broad"})
      EXPECT_GE(contrast_ratio(role_color(role, theme), c.background), 4.5)
          << name(theme) << " role label " << role;
  }
}

TEST(ThemeContrast, RatioMatchesWcagExamples) {
  EXPECT_NEAR(contrast_ratio({0, 0, 0, 255}, {255, 255, 255, 255}), 21.0, 1e-9);
  EXPECT_NEAR(contrast_ratio({118, 118, 118, 255}, {255, 255, 255, 255}), 4.54, 0.01);
  EXPECT_NEAR(contrast_ratio({10, 20, 30, 255}, {10, 20, 30, 255}), 1.0, 1e-9);
}

}  // namespace
}  // namespace attnviz

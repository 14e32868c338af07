// The ImGui style of each theme: ImGui's dark or light colours with the colour registry's
// window background (so a view on screen and its exported figure share it), adjusted so that
// every text/background pair meets WCAG AA (tests/unit/test_ui_theme_contrast.cpp checks).
#pragma once

#include <imgui.h>

#include "core/view/colors.h"

namespace attnviz::ui {

// A fresh style for `theme`, its sizes scaled by `scale` (HiDPI). Needs no ImGui context.
ImGuiStyle imgui_style(Theme theme, float scale);

}  // namespace attnviz::ui

// The colour registry's colours (core/view/colors.h) as ImGui takes them.
#pragma once

#include <imgui.h>

#include "core/view/colors.h"

namespace attnviz::ui {

inline ImU32 to_imgui(Rgba c) {
  return IM_COL32(c.r, c.g, c.b, c.a);
}
inline ImVec4 to_imvec4(Rgba c) {
  return {c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, c.a / 255.0f};
}

}  // namespace attnviz::ui

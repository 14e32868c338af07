#include "ui/draw_helpers.h"

#include <imgui_internal.h>

#include <algorithm>
#include <vector>

#include "core/view/colors.h"

namespace attnviz::ui {

ImU32 viridis_colour(float t, float alpha) {
  const Rgba rgb = viridis(t);
  return IM_COL32(rgb.r, rgb.g, rgb.b, static_cast<int>(std::clamp(alpha, 0.0f, 1.0f) * 255));
}

void add_text_vertical(ImDrawList* draw_list, ImVec2 anchor, ImU32 colour, const char* text,
                       float size) {
  // ImGui has no rotated text, but its vertices are plain 2D positions: lay the text out
  // horizontally at the clip rectangle's corner (so ImGui's CPU-side glyph culling keeps it),
  // then turn it by 90° and move it to the anchor. The scissor still clips the result.
  ImFont* font = ImGui::GetFont();
  if (size <= 0.0f) size = ImGui::GetFontSize();
  const ImVec2 extent = font->CalcTextSizeA(size, 1e9f, 0.0f, text);
  const ImVec2 origin = draw_list->GetClipRectMin();
  const int first_vertex = draw_list->VtxBuffer.Size;
  draw_list->AddText(font, size, origin, colour, text);
  for (int i = first_vertex; i < draw_list->VtxBuffer.Size; ++i) {
    ImVec2& p = draw_list->VtxBuffer[i].pos;
    const float along = p.x - origin.x;                 // 0 .. width, along the text
    const float across = p.y - (origin.y + extent.y);   // -height .. 0, from the bottom
    p = ImVec2(anchor.x + across, anchor.y - along);    // counter-clockwise on a y-down screen
  }
}

void keep_windows_in_front(std::initializer_list<const char*> names) {
  std::vector<ImGuiWindow*> floating;
  for (const char* name : names)
    if (ImGuiWindow* window = ImGui::FindWindowByName(name); window && window->Active)
      floating.push_back(window);
  std::sort(floating.begin(), floating.end(), [](ImGuiWindow* a, ImGuiWindow* b) {
    return ImGui::FindWindowDisplayIndex(a) < ImGui::FindWindowDisplayIndex(b);
  });
  for (ImGuiWindow* window : floating) ImGui::BringWindowToDisplayFront(window);
}

void expand_collapsed_on_title_click() {
  const ImGuiContext& g = *GImGui;
  ImGuiWindow* window = g.HoveredWindow;
  if (!window || !window->Collapsed || !ImGui::IsMouseClicked(ImGuiMouseButton_Left) ||
      ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) || (window->Flags & ImGuiWindowFlags_NoTitleBar))
    return;
  if (window->TitleBarRect().Contains(ImGui::GetIO().MousePos))
    ImGui::SetWindowCollapsed(window, false);
}

void text_wrapped_coloured(ImVec4 colour, std::string_view text) {
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

}  // namespace attnviz::ui

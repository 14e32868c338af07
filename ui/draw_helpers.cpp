#include "ui/draw_helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/heatmap_math.h"

namespace attnviz::ui {

ImU32 viridis_colour(float t, float alpha) {
  const auto rgb = viridis_rgb(t);
  return IM_COL32(rgb[0], rgb[1], rgb[2], static_cast<int>(std::clamp(alpha, 0.0f, 1.0f) * 255));
}

void add_text_vertical(ImDrawList* draw_list, ImVec2 anchor, ImU32 colour, const char* text) {
  // ImGui has no rotated text, but its vertices are plain 2D positions: lay the text out
  // horizontally at the clip rectangle's corner (so ImGui's CPU-side glyph culling keeps it),
  // then turn it by 90° and move it to the anchor. The scissor still clips the result.
  const ImVec2 size = ImGui::CalcTextSize(text);
  const ImVec2 origin = draw_list->GetClipRectMin();
  const int first_vertex = draw_list->VtxBuffer.Size;
  draw_list->AddText(origin, colour, text);
  for (int i = first_vertex; i < draw_list->VtxBuffer.Size; ++i) {
    ImVec2& p = draw_list->VtxBuffer[i].pos;
    const float along = p.x - origin.x;               // 0 .. width, along the text
    const float across = p.y - (origin.y + size.y);   // -height .. 0, from the baseline
    p = ImVec2(anchor.x + across, anchor.y - along);  // counter-clockwise on a y-down screen
  }
}

void draw_colour_bar(ImDrawList* draw_list, ImVec2 top_left, ImVec2 bottom_right, float value_max,
                     float gamma) {
  constexpr int kSegments = 48;
  const float height = bottom_right.y - top_left.y;
  for (int i = 0; i < kSegments; ++i) {
    // Segment i spans colour-map positions [i, i+1] / kSegments, bottom = 0.
    const float t0 = static_cast<float>(i) / kSegments, t1 = static_cast<float>(i + 1) / kSegments;
    const float y0 = bottom_right.y - t0 * height, y1 = bottom_right.y - t1 * height;
    const ImU32 low = viridis_colour(t0), high = viridis_colour(t1);
    draw_list->AddRectFilledMultiColor(ImVec2(top_left.x, y1), ImVec2(bottom_right.x, y0), high,
                                       high, low, low);
  }
  draw_list->AddRect(top_left, bottom_right, ImGui::GetColorU32(ImGuiCol_Border));
  const float line_height = ImGui::GetTextLineHeight();
  const int max_ticks = std::clamp(static_cast<int>(height / (line_height * 1.6f)), 2, 11);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  for (float tick : colour_bar_ticks(value_max, max_ticks)) {
    const float t = value_max > 0.0f ? std::pow(tick / value_max, gamma) : 0.0f;
    const float y = bottom_right.y - t * height;
    draw_list->AddLine(ImVec2(bottom_right.x, y), ImVec2(bottom_right.x + 4.0f, y), text);
    char label[32];
    std::snprintf(label, sizeof label, "%g", static_cast<double>(tick));
    draw_list->AddText(ImVec2(bottom_right.x + 6.0f, y - line_height * 0.5f), text, label);
  }
}

ImU32 dim_text_colour() {
  return ImGui::GetColorU32(ImGuiCol_TextDisabled);
}

}  // namespace attnviz::ui

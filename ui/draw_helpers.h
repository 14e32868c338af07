// ImGui drawing helpers shared by the heatmap, grid and inspector panels: viridis colours for
// CPU-drawn strips, text rotated for column labels, a vertical colour bar with ticks.
#pragma once

#include <imgui.h>

#include <string>

namespace attnviz::ui {

// viridis(t) as an ImGui colour, t in [0, 1].
ImU32 viridis_colour(float t, float alpha = 1.0f);

// Draws `text` rotated 90° counter-clockwise, reading bottom to top: it starts at `anchor`
// and runs up; the glyphs lie in [anchor.x - line height, anchor.x].
void add_text_vertical(ImDrawList* draw_list, ImVec2 anchor, ImU32 colour, const char* text);

// A vertical colour bar in [top_left, bottom_right] for values 0..value_max with `gamma`
// (0.5 = square root), with round ticks and their labels to the right.
void draw_colour_bar(ImDrawList* draw_list, ImVec2 top_left, ImVec2 bottom_right, float value_max,
                     float gamma);

// Text colour that reads on the current style's window background, dimmed.
ImU32 dim_text_colour();

}  // namespace attnviz::ui

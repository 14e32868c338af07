// ImGui drawing helpers: viridis colours for CPU-drawn strips (the inspector's softmax row) and
// text rotated for column labels.
#pragma once

#include <imgui.h>

namespace attnviz::ui {

// viridis(t) as an ImGui colour, t in [0, 1].
ImU32 viridis_colour(float t, float alpha = 1.0f);

// Draws `text` rotated 90° counter-clockwise, reading bottom to top: it starts at `anchor`
// and runs up; the glyphs lie in [anchor.x - size, anchor.x]. size: the font size (0: the
// current one).
void add_text_vertical(ImDrawList* draw_list, ImVec2 anchor, ImU32 colour, const char* text,
                       float size = 0.0f);

}  // namespace attnviz::ui

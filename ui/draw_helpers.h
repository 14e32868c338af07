// ImGui drawing helpers: viridis colours for CPU-drawn strips (the inspector's softmax row) and
// text rotated for column labels.
#pragma once

#include <imgui.h>

#include <initializer_list>
#include <string_view>

namespace attnviz::ui {

// A wrapped paragraph in `colour` (a warning, a refusal).
void text_wrapped_coloured(ImVec4 colour, std::string_view text);

// viridis(t) as an ImGui colour, t in [0, 1].
ImU32 viridis_colour(float t, float alpha = 1.0f);

// Draws `text` rotated 90° counter-clockwise, reading bottom to top: it starts at `anchor`
// and runs up; the glyphs lie in [anchor.x - size, anchor.x]. size: the font size (0: the
// current one).
void add_text_vertical(ImDrawList* draw_list, ImVec2 anchor, ImU32 colour, const char* text,
                       float size = 0.0f);

// Call at the end of a frame with the names of the floating windows (Diff, the model picker,
// help): those open stay drawn above the tiled panels, in their own order, even when a click
// on a tab or panel brought one of those to the front (issue 11). Only the drawing order
// changes; keyboard focus stays where it is.
void keep_windows_in_front(std::initializer_list<const char*> names);

// Call once a frame, before the panels: a click on the title bar of a collapsed panel opens it
// (ImGui itself opens it only on a double-click or on the small arrow).
void expand_collapsed_on_title_click();

}  // namespace attnviz::ui

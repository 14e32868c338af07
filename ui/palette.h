// Colours of the app as plain RGBA floats (no ImGui types), so the panels and the exporters
// colour heads and weights the same way.
#pragma once

#include <array>

namespace attnviz::ui {

struct Rgba {
  float r = 0, g = 0, b = 0, a = 1;
};

// A distinct colour per head: well-separated hues for up to 12 heads (Tableau-like), then
// evenly spaced hues. `light_theme` darkens them a little for a white background.
Rgba head_color(int head, int heads, bool light_theme);
// Weight 0..1 on a perceptual sequential map (dark purple → orange → light yellow, "inferno"-ish).
Rgba weight_color(float weight);
// Blend a into b by t (0 = a).
Rgba mix(const Rgba& a, const Rgba& b, float t);
// ImGui's packed ABGR (IM_COL32 layout) without including ImGui.
unsigned int pack_abgr(const Rgba& c);

}  // namespace attnviz::ui

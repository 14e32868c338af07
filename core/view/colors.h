// The colour registry: every colour a view shows, on screen and in exported figures, comes from
// here, so a figure cannot differ from the screen in colour. One Rgba, one Theme, one head
// palette, the weight colour maps (viridis for weights; a diverging blue-white-red map for
// differences, which have a sign) and the theme colours (background, text, chips, masks).
// No GL and no ImGui: ui/ converts these to ImGui's packed colours.
#pragma once

#include <array>
#include <cstdint>

namespace attnviz {

struct Rgba {
  uint8_t r = 0, g = 0, b = 0, a = 255;
  bool operator==(const Rgba&) const = default;
};

enum class Theme { kDark, kLight };

// a blended towards b by t in [0, 1] (0 = a), every channel including alpha.
Rgba mix(Rgba a, Rgba b, float t);
Rgba with_alpha(Rgba color, float alpha);
// Perceived brightness in [0, 1] (Rec. 601 weights): text on a fill is dark above 0.55.
float luminance(Rgba color);

// The colours of a theme. The screen's window background is `background`, so the pixels of a
// view and of its exported figure are the same.
struct ThemeColors {
  Rgba background, text, muted, frame;
  Rgba masked, hatch;                    // cells a causal mask hides, and their hatch lines
  Rgba window_masked, window_hatch;      // keys outside a sliding window, and their hatch
  Rgba chip, chip_hot;                   // token chips: no attention .. the most attention
  Rgba chip_text_dark, chip_text_light;  // ink on light / on dark chips
  Rgba pinned_outline, hover_outline;
  Rgba combined_arc;    // arcs of a mode that combines heads (mean, max, ...)
  Rgba background_arc;  // the faded arcs of other queries (two columns)
  Rgba highlight;       // the pinned row of a heatmap, a selected grid tile
  Rgba warning;         // what-if banners and notes
  Rgba success;         // a finished export, a supported model
  Rgba error;           // load, run and export failures
};
const ThemeColors& theme_colors(Theme theme);

// WCAG 2 contrast ratio of two opaque colours, 1 (same) to 21 (black on white); AA asks 4.5
// for text, 3 for large text and the parts of controls. `over` composites a colour with alpha
// on an opaque one, as it shows on screen.
double contrast_ratio(Rgba a, Rgba b);
Rgba over(Rgba top, Rgba bottom);

// The colour of head `head` out of `heads`: twelve well-separated hues (Tableau) while they
// suffice, evenly spaced hues beyond; a little darker on the light theme.
Rgba head_color(int head, int heads, Theme theme);

// ---- weight colour maps ----

// The 256 entries of matplotlib's viridis (van der Walt, Smith and Firing, CC0), as floats in
// [0, 1]; entry 0 is the colour of the lowest value. The GPU uploads it as a lookup texture.
const std::array<std::array<float, 3>, 256>& viridis_table();
// The same table rounded to 8 bits per channel, RGB interleaved (768 bytes).
const std::array<uint8_t, 768>& viridis_table_rgb8();
// Index of the entry a value in [0, 1] takes (clamped; NaN reads as 0): the nearest one, as
// shaders/heatmap.frag picks it.
int viridis_index(float value);
// Colour of a value in [0, 1] on viridis.
Rgba viridis(float value);

// Colour of a signed difference in [-1, 1] (clamped): blue below 0, white at 0, red above.
Rgba diverging(float value);

}  // namespace attnviz

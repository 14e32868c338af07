// Figures of a view: the picture the screen shows, built by the same code (core/view:
// arcs_scene.h, map_scene.h) from the same ViewSpec, with what a figure adds around it: a
// title, a subtitle that says what is drawn and what is left out, a legend of the heads, a
// colour bar. So a figure differs from the screen only in resolution and in what it adds.
// render_raster (PNG) and render_svg draw a Figure alike.
//
// Legend: L layers, H heads, T tokens. Weights are post-softmax, rows = queries.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/view/attention_reader.h"
#include "core/view/figure.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"

namespace attnviz {

// What a figure adds to the view it draws.
struct FigureSpec {
  int scale = 1;           // raster pixels per logical pixel: 1, 2 or 4
  std::string title;       // empty: "model · what is drawn · the text or the query"
  std::string model_name;  // the model in the default title; empty: the trace's model_name
  // Appended to the default title: the derived view ("words, token 0 hidden"), a what-if.
  std::string view_note;
  std::vector<std::string> roles;  // (L, H) role labels under the grid's tiles; empty: none
};

// The note a figure's title adds to the view: the derived view's description ("words, token 0
// hidden") and, for a what-if run, what it changed. The app's exports and `attnviz export` (a
// session's figure) word it the same way.
std::string figure_view_note(const std::string& derived_description, const RunOptions& run);

// The line height of text in pictures, as the app draws it (ImGui's font size at scale 1).
inline constexpr float kPictureTextHeight = 16.0f;

// Layer, head, enabled heads and the pinned token (arcs) must lie in the trace, and a mode
// that draws the enabled heads needs one; the Error names the valid range or the fix.
Status validate_view(const AttentionReader& reader, const ViewSpec& view);

// The figure of a view. `whole_map` is the (T, T) map of a whole-model head mode (mean of all
// layers, rollout), required for those modes. `picture` (optional) receives where the view's
// picture lies in the figure, in logical pixels.
Result<Figure> build_figure(const AttentionReader& reader, const ViewSpec& view,
                            std::span<const float> whole_map, const FigureSpec& spec,
                            const Font& font, Rect* picture = nullptr);

// The default title: spec.title, else "model · layer 2 · heads 1, 2 · from token 5 “cat”".
std::string figure_title(const AttentionReader& reader, const ViewSpec& view,
                         const FigureSpec& spec);

// The picture size `attnviz export` uses when no screen set one: arcs wrap at 960 pixels, a
// heatmap's cells are at most 40 pixels and the map about 640 pixels.
void set_default_picture_size(const AttentionReader& reader, const Font& font, ViewSpec& view);

}  // namespace attnviz

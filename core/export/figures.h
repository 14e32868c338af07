// Figure builders: one head's heatmap, the grid of all layers × heads, and the arcs from one
// token (one head, or every head of a layer in its own colour). Each returns a Figure (a list of
// primitives) that render_raster (PNG) and render_svg draw identically.
//
// Legend: L layers, H heads, T tokens. Weights are post-softmax, rows = queries.
#pragma once

#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/export/figure.h"
#include "core/export/font.h"
#include "core/result.h"

namespace attnviz {

enum class FigureKind {
  kHeatmap,       // one head, (T, T) cells with token labels and a colour bar
  kGrid,          // every layer × head as small heatmaps with one shared colour bar
  kArcs,          // arcs from one token to the keys it attends to, one head
  kArcsAllHeads,  // the same for every head of a layer, each head its own colour
};

enum class Theme { kLight, kDark };

struct FigureSpec {
  FigureKind kind = FigureKind::kHeatmap;
  int layer = 0;
  int head = 0;
  int token = 0;  // the query of the arcs figures
  int scale = 1;  // raster pixels per logical pixel: 1, 2 or 4
  Theme theme = Theme::kLight;
  std::string title;       // empty: "model · layer L · head H · text…"
  std::string model_name;  // the model in the default title; empty: the trace's model_name
  // kArcsAllHeads: the heads drawn (and in the legend), e.g. the heads enabled on screen;
  // empty: every head of the layer.
  std::vector<int> heads;
  // Replaces "layer L · head H" / "layer L · all heads" in the default title, e.g. "mean of
  // layer 2" when the trace drawn is an aggregate (core/view_trace.h aggregate_trace).
  std::string source_label;
  // Appended to the default title, e.g. the derived view on screen ("words, token 0 hidden").
  std::string view_note;
};

// Colours of a theme, shared by the figures (and usable by the GUI for the same look).
struct Palette {
  Rgba background, text, muted, frame;
  Rgba masked, hatch;             // cells the causal mask hides
  Rgba token_fill, token_stroke;  // token boxes of the arcs figures
  Rgba selected_fill, selected_text;
  Rgba arc;  // single-head arcs
};
Palette palette_for(Theme theme);

// The colour of head `head` in multi-head views (categorical, distinct for the first 10).
Rgba head_color(int head);

// Layer, head, token and scale must lie in the trace; the Error names the valid range.
Status validate_figure_spec(const AttentionTrace& trace, const FigureSpec& spec);

Result<Figure> build_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font);

// An arc of the arcs figures: the key a query attends to and how much.
struct ArcWeight {
  int key = 0;
  float weight = 0.0f;
};
constexpr float kArcThreshold = 0.01f;  // weaker arcs are not drawn
constexpr int kMaxArcs = 64;            // at most this many, strongest first

// Keys of `query` with weight >= threshold, strongest first, at most max_arcs (ties: lower key
// first, so the choice is deterministic).
std::vector<ArcWeight> select_arcs(const AttentionTrace& trace, int layer, int head, int query,
                                   float threshold = kArcThreshold, int max_arcs = kMaxArcs);

}  // namespace attnviz

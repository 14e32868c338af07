// The heatmap rule: how attention maps become pixels, on screen and in figures. A map (or an
// atlas of the grid's thumbnails) is a texture of values; each pixel of a picture shows the
// largest visible value under its footprint (so a thin diagonal of a long text stays visible
// when several cells share a pixel), through viridis with the view's value range and gamma;
// pixels whose cells are all masked show the mask colour: the causal mask's when any of them is
// after its query, else the sliding window's. shaders/heatmap.frag is the same rule
// on the GPU, and `attnviz selftest-gl` checks the two against each other.
//
// Legend: T tokens, L layers, H heads. Maps are (T, T), rows = queries.
#pragma once

#include <span>
#include <vector>

#include "core/view/attention_reader.h"
#include "core/view/colors.h"
#include "core/view/map_geometry.h"
#include "core/view/view_spec.h"

namespace attnviz {

// Values as the GPU holds them: square tiles of `tile_texels` texels (one tile for a heatmap,
// layers x heads tiles for the grid), each texel the largest of (block x block) cells.
struct MapAtlas {
  int width = 0, height = 0;  // texels
  int tile_texels = 0;
  int block = 1;
  // The cell (key, query) of texel (0, 0) of each tile: a region of a map (the heatmap zoomed
  // into a long text) starts there; 0 for whole maps.
  int origin_x = 0, origin_y = 0;
  std::vector<float> values;  // (height, width), texel (x = key, y = query)
};

// How values become colours.
struct MapStyle {
  float value_max = 1.0f;  // value at the top of the colour map
  float gamma = 1.0f;      // 1 linear, 0.5 square root (lifts faint weights)
  bool causal = false;     // keys after the query are masked
  // (tile rows) the sliding window of each row of tiles in cells (a heatmap: one row; the grid:
  // one per layer); 0 or absent: no window. Keys before a query's window are masked. The GPU
  // holds the first kMaxWindowRows.
  std::vector<int> windows;
  Rgba masked;         // pixels whose cells are all masked (causal)
  Rgba window_masked;  // pixels whose cells are all outside the window
  Rgba outside;        // pixels outside the atlas (a map smaller than its rectangle)
};
inline constexpr int kMaxWindowRows = 256;  // shaders/heatmap.frag's u_windows

// The mask of texel (x, y) of an atlas: kCausal when every cell of its block is after its
// query, kOutsideWindow when every cell is outside its row's window, else kNone.
MaskKind texel_mask(const MapAtlas& atlas, const MapStyle& style, int x, int y);

// The part of the atlas a picture shows: texel coordinates at its top-left and bottom-right
// corners.
struct MapWindow {
  float x0 = 0.0f, y0 = 0.0f, x1 = 0.0f, y1 = 0.0f;
};

// One (T, T) map as a one-tile atlas.
MapAtlas single_map_atlas(std::vector<float> map, int tokens);

// The grid's atlas: every head of the trace max-pooled to at most `max_texels` per side, each
// divided by its own largest weight when per_head_contrast (else absolute weights, 0..1).
// head_max (L, H) receives each head's largest weight.
MapAtlas grid_atlas(const AttentionReader& reader, bool per_head_contrast, int max_texels,
                    std::vector<float>& head_max);
inline constexpr int kGridMaxTexels = 128;

// The colour of one visible value.
Rgba map_value_colour(float value, const MapStyle& style);

// Pixels (width x height, rows top to bottom) of the atlas window, by the heatmap rule.
std::vector<Rgba> paint_map(const MapAtlas& atlas, const MapWindow& window, const MapStyle& style,
                            int width, int height);

// The window of one tile of the grid atlas.
MapWindow tile_window(const MapAtlas& atlas, int layer, int head);

}  // namespace attnviz

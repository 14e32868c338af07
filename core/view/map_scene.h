// The pictures of the heatmap and the model grid, built once and painted by the screen and by
// the exporters: where the map (or each head's tile) goes, its cell window and colour style,
// the token labels, the colour bar, the hatch over masked cells and the outlines of what is
// pinned or selected. The map pixels themselves follow the heatmap rule (map_picture.h): the
// screen draws them with the GPU, a figure with paint_map; the figure's shapes leave their
// rectangles empty and `map_layer` says where in the painting order they go.
//
// Legend: T tokens, L layers, H heads. Coordinates are logical pixels, y down.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/view/attention_reader.h"
#include "core/view/figure.h"
#include "core/view/font.h"
#include "core/view/heatmap_values.h"
#include "core/view/map_geometry.h"
#include "core/view/map_picture.h"
#include "core/view/view_spec.h"

namespace attnviz {

struct HeatmapSceneInput {
  const AttentionReader* reader = nullptr;
  const ViewSpec* spec = nullptr;
  float map_max = 1.0f;  // the largest value of the view's map
  const Font* font = nullptr;
  float text_height = 16.0f;              // line height of labels (ImGui's font size)
  float width = 640.0f, height = 640.0f;  // the area the map, its labels and bar fill
  // The region the screen shows now, kept while it still covers the view (a pan inside it
  // needs no recompute); null for figures.
  const HeatmapPlan* shown_plan = nullptr;
};

struct HeatmapScene {
  Figure figure;         // labels, colour bar, hatch, the pinned row; the map rectangle left empty
  size_t map_layer = 0;  // shapes before this index are painted under the map, the rest over it
  Rect map_rect;         // where the map picture goes
  int map_pixels_x = 0, map_pixels_y = 0;  // its size in pixels at scale 1
  HeatmapTransform transform;  // cells <-> picture coordinates (origin = map_rect's corner)
  MapWindow window;            // the cells the picture shows
  MapStyle style;
  std::vector<float> ticks;  // of the colour bar
  Rect bar_rect;
  // What the map's values are (core/view/heatmap_values.h): the whole map, a pooled overview
  // or an exact region; a long text's picture says which under the map.
  HeatmapPlan plan;
};

HeatmapScene build_heatmap_scene(const HeatmapSceneInput& input);

// The room the heatmap's token labels take left of and above the map (0 without labels).
float heatmap_label_margin(const AttentionReader& reader, const ViewSpec& spec, const Font* font,
                           float text_height);
// Under the map: the room of the mask legend of a view with a sliding window and of the line
// saying whether a long text's map is pooled or exact (0 without either).
float heatmap_legend_room(const AttentionReader& reader, const ViewSpec& spec, float text_height);
// Beside the map: the gap, the colour bar and its tick labels.
inline constexpr float kHeatmapBarRoom = 70.0f;

// A tile of the grid: one head's thumbnail.
struct GridTile {
  int layer = 0, head = 0;
  Rect rect;
};

struct GridSceneInput {
  int layers = 0, heads = 0;
  const ViewSpec* spec = nullptr;
  int tile_texels = 0;  // texels per tile side of the grid's atlas (map_picture.h grid_atlas)
  bool causal = false;
  // (L, H) role label of each head ("prev", "induction", ...), empty: no labels under tiles.
  std::span<const std::string> roles;
  const Font* font = nullptr;
  float text_height = 16.0f;
  // Grouped-query attention: G < H labels each group of H / G heads "kv g" above them.
  int kv_heads = 0;
  // (L) sliding window of each layer (0: global); with any window, rows read "L0 local" or
  // "L1 global". Empty: no labels.
  std::vector<int> windows;
};

struct GridScene {
  Figure figure;  // labels and outlines; the tiles' rectangles left empty
  std::vector<GridTile> tiles;
  float tile = 0.0f;  // tile side in logical pixels (a whole multiple of the texels when larger)
  MapStyle style;
};

GridScene build_grid_scene(const GridSceneInput& input);

// A vertical colour bar in `bar` for values 0 (bottom) to value_max (top) with `gamma`: every
// viridis entry, an outline, round ticks labelled right of it. Returns the ticks.
std::vector<float> add_colour_bar(Figure& figure, const Font* font, float text_height,
                                  const Rect& bar, float value_max, float gamma, Theme theme);

// A box showing a mask as the heatmap draws it: its fill and its hatch (along the diagonal for
// the causal mask, across it for keys outside the window). Legends fill it (and outline it);
// over a token chip the fill is translucent (fill_opacity < 1), so the label still reads.
void add_mask_swatch(Figure& figure, const Rect& box, MaskKind kind, Theme theme,
                     float fill_opacity = 1.0f, bool hatched = true);
// "masked (causal)"; "outside the window (the last 8 keys are seen)" with a window.
std::string mask_legend_label(MaskKind kind, int window);
// A swatch and its label for each mask, left to right from `at` (the line's top-left corner);
// `hatched` false for pictures that show the fills only (the grid's tiles). Returns the width
// taken.
float add_mask_legend(Figure& figure, const Font* font, float text_height, Point at,
                      std::span<const MaskKind> masks, int window, Theme theme,
                      bool hatched = true);

// The colour of a head role label ("prev", "induction", ...) in the grid and the role table.
Rgba role_color(const std::string& label, Theme theme);

}  // namespace attnviz

// The values under a heatmap at any T (issue 13): the view's whole (T, T) map for texts up to
// kDenseHeatmapTokens; above that, never T² floats: a pooled overview at screen resolution
// (blocks of B × B cells, max- or mean-pooled, read through the reader one row at a time), and,
// once the user zooms in so that the visible cells fit the pixels, the exact values of the
// visible region only. Hover reads the exact weight of one cell (view_weight). The screen and
// the figures take the same values through the same plan (HeatmapPlan in the scene).
//
// Legend: T tokens, H heads, B cells per pooled block side, N = ceil(T / B) texels per side.
// Maps are (T, T), rows = queries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/view/attention_reader.h"
#include "core/view/map_geometry.h"
#include "core/view/map_picture.h"
#include "core/view/view_spec.h"

namespace attnviz {

// A heatmap of more tokens than this is shown pooled (or as an exact region when zoomed in).
inline constexpr int kDenseHeatmapTokens = 2048;
// Texels per side of a pooled overview at most (about a screen's pixels).
inline constexpr int kOverviewTexels = 1024;

enum class Pooling { kMax, kMean };

// What a heatmap shows: the whole map (block 1, origin 0), a pooled overview (block B > 1), or
// an exact region of cells (block 1, the region's corner in atlas.origin_x/y).
struct HeatmapValues {
  MapAtlas atlas;
  Pooling pooling = Pooling::kMax;
  float max_value = 0.0f;  // the largest value of the view's map (max pooling keeps it exact)
  bool pooled() const { return atlas.block > 1; }
  bool region() const { return atlas.origin_x != 0 || atlas.origin_y != 0 || partial; }
  bool partial = false;  // a region smaller than the map
};

// What the picture of a transform needs: the whole map (short texts), the overview, or the
// exact cells [key0, key0 + keys) x [query0, query0 + queries) (zoomed in to at least a pixel
// per cell, with a margin so that a small pan needs no recompute).
struct HeatmapPlan {
  enum class Kind { kWhole, kOverview, kRegion };
  Kind kind = Kind::kWhole;
  int block = 1;  // of the overview
  int key0 = 0, query0 = 0, keys = 0, queries = 0;
  bool operator==(const HeatmapPlan&) const = default;
};

// B for T tokens: 1 up to kDenseHeatmapTokens, else ceil(T / kOverviewTexels).
int overview_block(int tokens);
// The plan for a picture of `transform`; a region when the view is zoomed to ≥ 1 pixel per cell
// and T > kDenseHeatmapTokens. A region plan covers `region` when that still contains the
// visible cells (so panning inside it keeps it).
HeatmapPlan plan_heatmap(int tokens, const HeatmapTransform& transform,
                         const HeatmapPlan* region = nullptr);

// What a heatmap's map depends on: the trace (by id) and the parts of the spec that choose it
// (the layer unless the mode is whole-model, the head in single-head mode, the enabled heads in
// the modes that use them).
struct MapKey {
  uint64_t trace_id = 0;
  HeadMode mode = HeadMode::kSingleHead;
  int layer = 0, head = 0;
  std::vector<char> heads;
  bool whole_map_ready = false;
  bool operator==(const MapKey&) const = default;
};
MapKey map_key(uint64_t trace_id, const ViewSpec& spec, bool whole_map_ready);

// The view's map pooled in blocks of `block` cells (block 1: the whole map). Values are the
// max (or mean) of each block's cells inside the map (masked cells are 0), as view_map would
// give them; rows recomputed in parallel through the reader, never the (T, T) map.
HeatmapValues pooled_view_map(const AttentionReader& reader, const ViewSpec& spec,
                              std::span<const float> whole_map, int block, Pooling pooling);
// The overview a heatmap starts from: the whole map up to kDenseHeatmapTokens, else max-pooled.
HeatmapValues heatmap_overview(const AttentionReader& reader, const ViewSpec& spec,
                               std::span<const float> whole_map);
// The exact cells of a region plan; max_value is `map_max` (the whole map's, from the
// overview, so colours do not jump on zoom).
HeatmapValues view_map_region(const AttentionReader& reader, const ViewSpec& spec,
                              std::span<const float> whole_map, const HeatmapPlan& plan,
                              float map_max);
// The values of a plan: `overview` itself, or the region's cells.
HeatmapValues plan_values(const AttentionReader& reader, const ViewSpec& spec,
                          std::span<const float> whole_map, const HeatmapPlan& plan,
                          const HeatmapValues& overview);

// The exact value the view's map has at (query, key): one head's weight, the mean or max of
// the enabled heads, or whole_map's; read from the reader (recomputed when not stored), the
// same bits as view_map.
float view_weight(const AttentionReader& reader, const ViewSpec& spec,
                  std::span<const float> whole_map, int query, int key);

// The atlas window showing the cells `cells` (the scene's window, in cell coordinates).
MapWindow atlas_window(const HeatmapValues& values, const MapWindow& cells);

// What the picture is, for the line under the map: "pooled (1024×1024 blocks of 8 tokens, max);
// zoom in for exact values", "exact values (zoomed in: keys 100-612)"; "" for the whole map.
std::string heatmap_plan_label(const HeatmapPlan& plan, int tokens, Pooling pooling);

}  // namespace attnviz

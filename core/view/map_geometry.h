// The geometry of the heatmap and grid views, shared by the screen and the figures, with no GL
// or ImGui: screen <-> cell transforms for zoom and pan, hit-testing, label thinning,
// colour-bar ticks and the down-sampled thumbnails of the model grid; and the statistics of a
// softmax row the inspector shows. Tested in test_ui_heatmap_math.
//
// Legend: T tokens, L layers, H heads. A map is (T, T) row-major, rows = queries (y, down),
// columns = keys (x, right). Cell (query q, key k) covers [k, k+1) x [q, q+1) in cell space.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/view/attention_reader.h"
#include "core/view/geometry.h"

namespace attnviz {

// Where a map is drawn: the screen rectangle, its size in cells, and zoom/pan.
// zoom 1 fits the whole map (square cells); pan is the cell coordinate at the rectangle's
// top-left corner.
struct HeatmapTransform {
  Point origin;        // top-left of the drawing rectangle, screen pixels
  Point size;          // width, height of the rectangle, pixels
  int cells = 0;       // T: the map is cells x cells
  float scale = 1.0f;  // pixels per cell = fit scale * zoom
  Point pan;           // cell coordinate shown at origin

  Point cell_at(Point screen) const {
    return {pan.x + (screen.x - origin.x) / scale, pan.y + (screen.y - origin.y) / scale};
  }
  Point screen_at(Point cell) const {
    return {origin.x + (cell.x - pan.x) * scale, origin.y + (cell.y - pan.y) * scale};
  }
  // The visible part of cell space, [x0, x1) x [y0, y1) (may extend past the map).
  Point visible_min() const { return pan; }
  Point visible_max() const { return {pan.x + size.x / scale, pan.y + size.y / scale}; }
};

// Pixels per cell at zoom 1: the whole (cells x cells) map fits the rectangle.
float fit_scale(Point size, int cells);
// Builds the transform from the view's zoom and pan (clamped, see clamp_pan).
HeatmapTransform make_transform(Point origin, Point size, int cells, float zoom, Point pan);
// Keeps the map on screen: when it is larger than the rectangle, pan stays within the map;
// when smaller, it is centred (pan negative).
Point clamp_pan(Point size, int cells, float scale, Point pan);

// Zoom by `factor` keeping the cell under `cursor` fixed; zoom is clamped to [1, max_zoom]
// (max_zoom: a cell at most `max_cell_pixels` wide). Returns the new zoom and pan.
struct ZoomPan {
  float zoom = 1.0f;
  Point pan;
};
ZoomPan zoom_around(const HeatmapTransform& transform, float zoom, Point cursor, float factor,
                    float max_cell_pixels = 64.0f);
// Dragging by `delta` pixels moves the map with the mouse.
Point pan_by_drag(const HeatmapTransform& transform, Point delta);

struct Cell {
  int query = 0;
  int key = 0;
  bool operator==(const Cell&) const = default;
};
// The cell under a screen point, or none outside the rectangle or the map.
std::optional<Cell> hit_test(const HeatmapTransform& transform, Point screen);

// Every how many tokens a label fits when cells are `cell_pixels` apart and a label needs
// `label_pixels`: 1, 2, 5, 10, 20, 50, ... (round numbers, so labels land on 0, 5, 10, ...).
int label_stride(float cell_pixels, float label_pixels);

// A token as an axis label: newlines and tabs shown as \n and \t, at most `max_chars` code
// points (longer ones end in "..").
std::string token_label(const std::string& text, size_t max_chars);

// Round tick values in [0, max_value] for a colour bar with at most `max_ticks` ticks,
// always including 0; step 1, 2 or 5 times a power of ten.
std::vector<float> colour_bar_ticks(float max_value, int max_ticks);

// Largest value of a map (0 for an empty map).
float map_max(std::span<const float> map);

// Grid thumbnails: a map of T cells shown with at most `max_texels` texels per side; each
// texel holds the largest weight of its (block x block) cells so thin diagonals stay visible.
struct Thumbnail {
  int block = 1;   // cells per texel side
  int texels = 0;  // texels per side = ceil(T / block)
};
Thumbnail thumbnail_layout(int cells, int max_texels);
// Max-pools one head's rows into out (texels x texels, row-major); `divide_by` normalizes
// (the head's max for per-head contrast, 1 for absolute weights).
void downsample_max(const AttentionReader& trace, int layer, int head, const Thumbnail& layout,
                    float divide_by, std::span<float> out);

// Shannon entropy (nats) of a probability row.
float entropy(std::span<const float> probabilities);
// softmax(scores * scale), skipping -inf (masked) entries which get probability 0.
std::vector<float> softmax(std::span<const float> scores, float scale);

}  // namespace attnviz

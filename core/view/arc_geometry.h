// Geometry of the arcs view and the token chips, shared by the screen and the figures: where
// each token sits (a flow of lines that wraps, or two columns), which token is under the mouse,
// the Bézier curve of an arc, and which arcs are worth drawing. No GL and no ImGui.
//
// Legend: T tokens, H heads. Coordinates are pixels, y grows downwards (screen convention).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/tokenizer.h"
#include "core/view/geometry.h"

namespace attnviz {

// ---- flow layout: tokens left to right on lines that wrap ----

struct FlowParams {
  float line_width = 600.0f;  // available width; a token wider than this gets a line alone
  float chip_height = 20.0f;
  float gap_x = 4.0f;       // between chips on a line
  float line_gap = 6.0f;    // between lines (the arcs view leaves room for arcs here)
  float top_margin = 0.0f;  // space above the first line (arcs of the first line rise here)
};

struct FlowLayout {
  std::vector<Rect> boxes;      // (T) chip rectangles, relative to the canvas origin
  std::vector<int> line_first;  // first token of each line; lines = line_first.size()
  float height = 0.0f;          // total height of all lines
  float line_advance = 0.0f;    // chip_height + line_gap

  int lines() const { return static_cast<int>(line_first.size()); }
  // The line a token sits on (binary search over line_first).
  int line_of(int token) const;
  // Tokens [first, last) whose lines meet the vertical band [y0, y1): what a scrolled view
  // draws, so long texts cost what is visible, not what exists.
  std::pair<int, int> tokens_in_band(float y0, float y1) const;
};

// widths: (T) chip widths in pixels (text width plus padding).
FlowLayout layout_flow(std::span<const float> widths, const FlowParams& params);

// How many lines layout_flow would make, without building it (sizing the gaps before layout).
int count_flow_lines(std::span<const float> widths, float line_width, float gap_x);

// The token whose chip contains p, if any (p relative to the canvas origin).
std::optional<int> hit_test(const FlowLayout& layout, Point p);

// ---- two columns: queries on the left, keys on the right, one row per token ----

struct ColumnsParams {
  float left_x = 0.0f;  // left edge of the query column
  float column_width = 120.0f;
  float gap = 240.0f;  // between the columns (the arcs cross here)
  float row_height = 18.0f;
  float top_margin = 0.0f;
};

struct ColumnsLayout {
  std::vector<Rect> queries;  // (T) left column
  std::vector<Rect> keys;     // (T) right column
  float height = 0.0f;
};

ColumnsLayout layout_columns(int tokens, const ColumnsParams& params);
// Which column and token is under p: first = 0 for queries, 1 for keys.
std::optional<std::pair<int, int>> hit_test_columns(const ColumnsLayout& layout, Point p);

// ---- curves ----

// A cubic Bézier: start, two control points, end.
struct Bezier {
  Point p0, c0, c1, p1;
};

// Arc from the query chip to the key chip in the flow view: both ends on the chips' top edges,
// bulging upwards by a height that grows with the horizontal distance (capped at max_height), so
// nested arcs do not overlap. Ends sit slightly apart when query == key (a small loop). A key
// on another line gets an S-like sweep that lands on the key from above.
Bezier flow_arc(const Rect& query, const Rect& key, float max_height);
// Arc between the columns: from the right edge of a query row to the left edge of a key row.
Bezier column_arc(const Rect& query, const Rect& key);
Point bezier_point(const Bezier& curve, float t);
// Smallest distance from p to the curve, sampled at `segments` points (hover on an arc).
float distance_to_bezier(const Bezier& curve, Point p, int segments = 24);

// ---- which arcs to draw ----

struct ArcPick {
  int key = 0;
  float weight = 0.0f;
};

// Keys of one query row with weight >= min_weight, strongest first, at most top_k (top_k <= 0:
// no limit). Ties keep the lower key first so the picture is stable between frames.
std::vector<ArcPick> pick_arcs(std::span<const float> row, float min_weight, int top_k);

// Stroke of an arc of this weight: thicker and more opaque for stronger attention.
float arc_thickness(float weight, float ui_scale);

// Straight pieces to draw a curve with: one per ~12 px of its control polygon (an upper bound on
// its length), 4 to 32. ImGui's adaptive default cuts long arcs much finer, and a software
// rasterizer pays for every triangle (about 6 per piece of a thick anti-aliased line).
int bezier_segments(const Bezier& curve, float ui_scale);
float arc_alpha(float weight);

// What a chip shows for a token: newlines as ⏎, tabs as →, the leading space of a GPT-2 word
// dropped (the gap between chips shows it), an all-space token as ␣, and long tokens elided.
std::string chip_label(const Token& token, size_t max_chars = 24);

}  // namespace attnviz

// A picture as a list of drawing primitives in logical pixels. A view's picture is built once
// (core/view: arcs_scene.h, map_scene.h) and painted by the screen (ImGui), the raster (PNG)
// and the SVG back ends, so a figure shows what the screen shows.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/view/colors.h"
#include "core/view/geometry.h"

namespace attnviz {

// A filled rectangle, optionally rounded and outlined.
struct RectShape {
  float x = 0, y = 0, width = 0, height = 0;
  Rgba fill;
  float radius = 0.0f;
  Rgba stroke{0, 0, 0, 0};  // alpha 0: no outline
  float stroke_width = 0.0f;
};

struct PathSegment {
  enum class Kind { kLine, kQuadratic, kCubic };
  Kind kind = Kind::kLine;
  Point control1, control2;  // control2 only for cubic
  Point end;
};

// An open stroked path (no fill): axis ticks, hatching, attention arcs.
struct PathShape {
  Point start;
  std::vector<PathSegment> segments;
  Rgba stroke;
  float width = 1.0f;
  bool round_caps = true;
};

enum class TextAnchor { kStart, kMiddle, kEnd };

// One line of text. (x, y) is the anchor on the baseline. A vertical text is rotated 90°
// counter-clockwise and reads bottom to top; its baseline runs upward from (x, y).
struct TextShape {
  float x = 0, y = 0;
  std::string text;  // UTF-8
  float size = 12.0f;
  Rgba color;
  TextAnchor anchor = TextAnchor::kStart;
  bool vertical = false;
};

// A grid of coloured cells (a heatmap): rows top to bottom, columns left to right. Rendered as
// one rectangle per cell (SVG) or as nearest-neighbour pixels (raster); alpha 0 = no cell.
struct CellGridShape {
  float x = 0, y = 0, cell_width = 1, cell_height = 1;
  int rows = 0, cols = 0;
  std::vector<Rgba> colors;  // (rows, cols)
};

using Shape = std::variant<RectShape, PathShape, TextShape, CellGridShape>;

struct Figure {
  float width = 0, height = 0;  // logical pixels; PNG pixels = logical × scale
  Rgba background{255, 255, 255, 255};
  std::vector<Shape> shapes;  // painted in order
};

}  // namespace attnviz

namespace attnviz {

// Appends a primitive. Out of line on purpose: GCC 12 warns falsely (maybe-uninitialized) when
// a variant's push_back is inlined into large builder functions.
void add_shape(Figure& figure, Shape shape);
// Rectangle, line and text primitives, in logical pixels.
void add_rect(Figure& figure, float x, float y, float w, float h, Rgba fill);
// An outline drawn just outside the rectangle, so the cells inside keep their exact colours.
void add_frame(Figure& figure, float x, float y, float w, float h, Rgba color, float width);
void add_line(Figure& figure, Point a, Point b, Rgba color, float width);
void add_text(Figure& figure, float x, float y, std::string text, float size, Rgba color,
              TextAnchor anchor = TextAnchor::kStart, bool vertical = false);
// Appends shapes[first, last) of `from`, moved by (dx, dy).
void append_moved(Figure& into, const Figure& from, size_t first, size_t last, float dx, float dy);

}  // namespace attnviz

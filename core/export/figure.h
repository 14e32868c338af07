// A figure as a list of drawing primitives in logical pixels, built once by a figure builder
// (figures.h) and rendered by both the raster (PNG) and the SVG back ends, so the two formats
// always show the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace attnviz {

struct Rgba {
  uint8_t r = 0, g = 0, b = 0, a = 255;
  bool operator==(const Rgba&) const = default;
};

struct Point {
  float x = 0.0f, y = 0.0f;
};

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

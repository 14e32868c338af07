#include "core/view/figure.h"

namespace attnviz {

namespace {

struct Mover {
  float dx, dy;
  void operator()(RectShape& s) const { s.x += dx, s.y += dy; }
  void operator()(TextShape& s) const { s.x += dx, s.y += dy; }
  void operator()(CellGridShape& s) const { s.x += dx, s.y += dy; }
  void operator()(PathShape& s) const {
    const auto move = [this](Point& p) { p.x += dx, p.y += dy; };
    move(s.start);
    for (PathSegment& segment : s.segments) {
      move(segment.control1);
      move(segment.control2);
      move(segment.end);
    }
  }
};

}  // namespace

void add_shape(Figure& figure, Shape shape) {
  figure.shapes.push_back(std::move(shape));
}

void add_rect(Figure& figure, float x, float y, float w, float h, Rgba fill) {
  add_shape(figure, RectShape{x, y, w, h, fill});
}

void add_frame(Figure& figure, float x, float y, float w, float h, Rgba color, float width) {
  RectShape frame{x - width, y - width, w + 2 * width, h + 2 * width, Rgba{0, 0, 0, 0}};
  frame.stroke = color;
  frame.stroke_width = width;
  add_shape(figure, frame);
}

void add_line(Figure& figure, Point a, Point b, Rgba color, float width) {
  PathShape path;
  path.start = a;
  path.segments.push_back({PathSegment::Kind::kLine, {}, {}, b});
  path.stroke = color;
  path.width = width;
  path.round_caps = false;
  add_shape(figure, std::move(path));
}

void add_text(Figure& figure, float x, float y, std::string text, float size, Rgba color,
              TextAnchor anchor, bool vertical) {
  add_shape(figure, TextShape{x, y, std::move(text), size, color, anchor, vertical});
}

void append_moved(Figure& into, const Figure& from, size_t first, size_t last, float dx, float dy) {
  for (size_t i = first; i < last && i < from.shapes.size(); ++i) {
    Shape shape = from.shapes[i];
    std::visit(Mover{dx, dy}, shape);
    into.shapes.push_back(std::move(shape));
  }
}

}  // namespace attnviz

// Points and rectangles in logical pixels, y growing downwards (screen convention), shared by
// the view geometry, the figures and the screen.
#pragma once

namespace attnviz {

struct Point {
  float x = 0.0f;
  float y = 0.0f;
};

struct Rect {
  float x0 = 0.0f, y0 = 0.0f, x1 = 0.0f, y1 = 0.0f;

  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
  float center_x() const { return 0.5f * (x0 + x1); }
  float center_y() const { return 0.5f * (y0 + y1); }
  bool contains(Point p) const { return p.x >= x0 && p.x < x1 && p.y >= y0 && p.y < y1; }
  bool overlaps(const Rect& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  Rect translated(float dx, float dy) const { return {x0 + dx, y0 + dy, x1 + dx, y1 + dy}; }
};

}  // namespace attnviz

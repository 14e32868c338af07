// Paints a picture of core/view (arcs_scene.h, map_scene.h) with ImGui: the screen's half of
// "one picture, on screen and in figures". The exporters paint the same shapes with
// core/export/raster.cpp and svg.cpp.
#pragma once

#include <imgui.h>

#include <cstddef>

#include "core/view/figure.h"
#include "core/view/font.h"

namespace attnviz::ui {

struct FigurePainter {
  ImDrawList* draw = nullptr;
  ImVec2 origin;               // screen position of the picture's (0, 0)
  float scale = 1.0f;          // screen pixels per logical pixel (the UI scale)
  const Font* font = nullptr;  // the metrics the picture was laid out with (null: estimated)

  // Paints shapes[first, last) of the figure.
  void paint(const Figure& figure, size_t first, size_t last) const;
  void paint(const Figure& figure) const { paint(figure, 0, figure.shapes.size()); }

  ImVec2 to_screen(Point p) const { return {origin.x + p.x * scale, origin.y + p.y * scale}; }
  Rect to_screen_rect(const Rect& r) const {
    return {origin.x + r.x0 * scale, origin.y + r.y0 * scale, origin.x + r.x1 * scale,
            origin.y + r.y1 * scale};
  }
  Point to_picture(ImVec2 p) const { return {(p.x - origin.x) / scale, (p.y - origin.y) / scale}; }
};

}  // namespace attnviz::ui

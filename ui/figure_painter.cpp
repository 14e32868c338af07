#include "ui/figure_painter.h"

#include <algorithm>
#include <cmath>
#include <variant>

#include "core/view/arc_geometry.h"
#include "ui/draw_helpers.h"
#include "ui/imgui_colors.h"

namespace attnviz::ui {

namespace {

// Line height (ImGui's font size) of an em size, and the ascent, by the picture's metrics.
float line_height(const Font* font, float em) {
  return font ? em * (font->ascent(1.0f) + font->descent(1.0f)) : em * 1.164f;
}
float ascent(const Font* font, float em) {
  return font ? font->ascent(em) : 0.797f * line_height(font, em);
}

struct ShapePainter {
  const FigurePainter& p;

  void operator()(const RectShape& s) const {
    const ImVec2 a = p.to_screen({s.x, s.y}), b = p.to_screen({s.x + s.width, s.y + s.height});
    const float radius = s.radius * p.scale;
    if (s.fill.a > 0) {
      if (s.radius > 0.0f && std::abs(2 * s.radius - s.width) < 1e-3f &&
          std::abs(s.width - s.height) < 1e-3f) {
        p.draw->AddCircleFilled({0.5f * (a.x + b.x), 0.5f * (a.y + b.y)}, radius, to_imgui(s.fill),
                                10);
      } else {
        // No anti-aliased fringe: a rounded box is 14 triangles instead of 46, which a software
        // rasterizer feels with a thousand chips on screen; 4 px corners look the same.
        const ImDrawListFlags flags = p.draw->Flags;
        p.draw->Flags &= ~ImDrawListFlags_AntiAliasedFill;
        p.draw->AddRectFilled(a, b, to_imgui(s.fill), radius);
        p.draw->Flags = flags;
      }
    }
    if (s.stroke.a > 0 && s.stroke_width > 0.0f) {
      // Inside the edge, as the raster does; ImGui centres its stroke half a pixel in.
      const float half = 0.5f * s.stroke_width * p.scale;
      p.draw->AddRect({a.x + half - 0.5f, a.y + half - 0.5f}, {b.x - half + 0.5f, b.y - half + 0.5f},
                      to_imgui(s.stroke), std::max(0.0f, radius - half), 0,
                      s.stroke_width * p.scale);
    }
  }

  void operator()(const PathShape& s) const {
    const ImU32 color = to_imgui(s.stroke);
    const float width = s.width * p.scale;
    Point start = s.start;
    for (const PathSegment& segment : s.segments) {
      switch (segment.kind) {
        case PathSegment::Kind::kLine: {
          // ImGui draws a line half a pixel right of and below its ends; the raster does not.
          const ImVec2 a = p.to_screen(start), b = p.to_screen(segment.end);
          p.draw->AddLine({a.x - 0.5f, a.y - 0.5f}, {b.x - 0.5f, b.y - 0.5f}, color, width);
          break;
        }
        case PathSegment::Kind::kQuadratic:
          p.draw->AddBezierQuadratic(p.to_screen(start), p.to_screen(segment.control1),
                                     p.to_screen(segment.end), color, width);
          break;
        case PathSegment::Kind::kCubic: {
          const Bezier curve{start, segment.control1, segment.control2, segment.end};
          p.draw->AddBezierCubic(p.to_screen(start), p.to_screen(segment.control1),
                                 p.to_screen(segment.control2), p.to_screen(segment.end), color,
                                 width, bezier_segments(curve, p.scale));
          break;
        }
      }
      start = segment.end;
    }
  }

  void operator()(const TextShape& s) const {
    if (s.text.empty()) return;
    const float size = line_height(p.font, s.size) * p.scale;
    const ImU32 color = to_imgui(s.color);
    if (s.vertical) {
      // The baseline runs upward from (x, y); the glyphs' bottoms (descent) lie right of it.
      const float descent = line_height(p.font, s.size) - ascent(p.font, s.size);
      add_text_vertical(p.draw, p.to_screen({s.x + descent, s.y}), color, s.text.c_str(), size);
      return;
    }
    const ImVec2 top_left = p.to_screen({s.x, s.y - ascent(p.font, s.size)});
    p.draw->AddText(ImGui::GetFont(), size, top_left, color, s.text.c_str());
  }

  void operator()(const CellGridShape& s) const {
    for (int row = 0; row < s.rows; ++row) {
      for (int column = 0; column < s.cols; ++column) {
        const Rgba color = s.colors[static_cast<size_t>(row) * s.cols + column];
        if (color.a == 0) continue;
        const float x = s.x + column * s.cell_width, y = s.y + row * s.cell_height;
        p.draw->AddRectFilled(p.to_screen({x, y}),
                              p.to_screen({x + s.cell_width, y + s.cell_height}), to_imgui(color));
      }
    }
  }
};

}  // namespace

void FigurePainter::paint(const Figure& figure, size_t first, size_t last) const {
  const ShapePainter painter{*this};
  for (size_t i = first; i < last && i < figure.shapes.size(); ++i)
    std::visit(painter, figure.shapes[i]);
}

}  // namespace attnviz::ui

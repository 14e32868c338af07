// An RGBA canvas with anti-aliased drawing and alpha blending, and the renderer that paints a
// Figure onto it at 1×, 2× or 4× scale. No GL: exports work headless.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/view/figure.h"
#include "core/view/font.h"
#include "core/result.h"

namespace attnviz {

class Canvas {
 public:
  Canvas(int width, int height, Rgba background);

  int width() const { return width_; }
  int height() const { return height_; }
  // Non-premultiplied RGBA, rows top to bottom: (height, width, 4).
  const std::vector<uint8_t>& pixels() const { return pixels_; }
  Rgba pixel(int x, int y) const;

  // Blends `color` over one pixel with `coverage` in [0, 1] (times the colour's own alpha).
  void blend(int x, int y, Rgba color, float coverage);
  // Rectangle from (x0, y0) to (x1, y1) with fractional edges anti-aliased; corners rounded by
  // `radius`.
  void fill_rect(float x0, float y0, float x1, float y1, Rgba color, float radius = 0.0f);
  // Outline of width `stroke` inside the rectangle's edge.
  void stroke_rect(float x0, float y0, float x1, float y1, Rgba color, float stroke,
                   float radius = 0.0f);
  // A polyline of `width` pixels, anti-aliased; each pixel is blended once, so a translucent
  // curve has no darker joints.
  void stroke_polyline(std::span<const Point> points, float width, Rgba color, bool round_caps);
  // Text with its anchor on the baseline at (x, y); vertical text reads bottom to top.
  void draw_text(const Font& font, std::string_view utf8, float x, float y, float size, Rgba color,
                 TextAnchor anchor, bool vertical);

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

// Points along a path, close enough that the polyline deviates from the curve by < tolerance.
std::vector<Point> flatten_path(const PathShape& path, float tolerance);

// Paints `figure` at `scale` (1, 2 or 4) pixels per logical pixel. The canvas is
// ceil(width × scale) × ceil(height × scale); an Error if that is too large to allocate sanely.
Result<Canvas> render_raster(const Figure& figure, const Font& font, int scale);

}  // namespace attnviz

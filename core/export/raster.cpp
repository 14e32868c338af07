#include "core/export/raster.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <string>

namespace attnviz {
namespace {

float clamp01(float v) {
  return std::clamp(v, 0.0f, 1.0f);
}

// Length of [a, b] ∩ [lo, hi].
float overlap(float a, float b, float lo, float hi) {
  return std::max(0.0f, std::min(b, hi) - std::max(a, lo));
}

// Signed distance from p to a rectangle with rounded corners (negative inside).
float rounded_box_distance(float px, float py, float x0, float y0, float x1, float y1, float r) {
  const float cx = (x0 + x1) * 0.5f, cy = (y0 + y1) * 0.5f;
  const float hx = (x1 - x0) * 0.5f - r, hy = (y1 - y0) * 0.5f - r;
  const float qx = std::abs(px - cx) - hx, qy = std::abs(py - cy) - hy;
  const float outside = std::hypot(std::max(qx, 0.0f), std::max(qy, 0.0f));
  return outside + std::min(std::max(qx, qy), 0.0f) - r;
}

// Distance from p to segment ab; `along_outside` is how far p lies beyond the segment's ends
// measured along it (0 when its projection falls inside), for butt caps.
float segment_distance(Point p, Point a, Point b, float* along_outside) {
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float length_sq = dx * dx + dy * dy;
  float t = length_sq > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length_sq : 0.0f;
  const float length = std::sqrt(length_sq);
  *along_outside = t < 0 ? -t * length : (t > 1 ? (t - 1) * length : 0.0f);
  if (length_sq <= 0) *along_outside = 0;
  t = std::clamp(t, 0.0f, 1.0f);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

Point lerp(Point a, Point b, float t) {
  return {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t};
}

float distance(Point a, Point b) {
  return std::hypot(b.x - a.x, b.y - a.y);
}

}  // namespace

Canvas::Canvas(int width, int height, Rgba background) : width_(width), height_(height) {
  assert(width > 0 && height > 0 && "Canvas: empty size");
  pixels_.resize(static_cast<size_t>(width) * height * 4);
  for (size_t i = 0; i < pixels_.size(); i += 4) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
    pixels_[i + 3] = background.a;
  }
}

Rgba Canvas::pixel(int x, int y) const {
  assert(x >= 0 && y >= 0 && x < width_ && y < height_ && "Canvas::pixel out of range");
  const uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 4];
  return {p[0], p[1], p[2], p[3]};
}

void Canvas::blend(int x, int y, Rgba color, float coverage) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const float alpha = clamp01(coverage) * (color.a / 255.0f);
  if (alpha <= 0.0f) return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 4];
  if (alpha >= 1.0f) {
    p[0] = color.r, p[1] = color.g, p[2] = color.b, p[3] = 255;
    return;
  }
  // Source-over on non-premultiplied colours.
  const float dst_alpha = p[3] / 255.0f;
  const float out_alpha = alpha + dst_alpha * (1.0f - alpha);
  const uint8_t src[3] = {color.r, color.g, color.b};
  for (int c = 0; c < 3; ++c) {
    const float value = (src[c] * alpha + p[c] * dst_alpha * (1.0f - alpha)) / out_alpha;
    p[c] = static_cast<uint8_t>(std::lround(std::clamp(value, 0.0f, 255.0f)));
  }
  p[3] = static_cast<uint8_t>(std::lround(out_alpha * 255.0f));
}

void Canvas::fill_rect(float x0, float y0, float x1, float y1, Rgba color, float radius) {
  if (x1 <= x0 || y1 <= y0) return;
  radius = std::min({radius, (x1 - x0) * 0.5f, (y1 - y0) * 0.5f});
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0)));
  const int iy0 = std::max(0, static_cast<int>(std::floor(y0)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(x1)));
  const int iy1 = std::min(height_, static_cast<int>(std::ceil(y1)));
  for (int y = iy0; y < iy1; ++y) {
    const float cover_y = overlap(y, y + 1.0f, y0, y1);
    for (int x = ix0; x < ix1; ++x) {
      float coverage = overlap(x, x + 1.0f, x0, x1) * cover_y;
      if (radius > 0.0f) {
        const float d = rounded_box_distance(x + 0.5f, y + 0.5f, x0, y0, x1, y1, radius);
        coverage = std::min(coverage, clamp01(0.5f - d));
      }
      blend(x, y, color, coverage);
    }
  }
}

void Canvas::stroke_rect(float x0, float y0, float x1, float y1, Rgba color, float stroke,
                         float radius) {
  if (x1 <= x0 || y1 <= y0 || stroke <= 0.0f) return;
  radius = std::min({radius, (x1 - x0) * 0.5f, (y1 - y0) * 0.5f});
  const float inner_radius = std::max(0.0f, radius - stroke);
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0)));
  const int iy0 = std::max(0, static_cast<int>(std::floor(y0)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(x1)));
  const int iy1 = std::min(height_, static_cast<int>(std::ceil(y1)));
  for (int y = iy0; y < iy1; ++y) {
    for (int x = ix0; x < ix1; ++x) {
      const float px = x + 0.5f, py = y + 0.5f;
      const float outer = clamp01(0.5f - rounded_box_distance(px, py, x0, y0, x1, y1, radius));
      const float inner =
          clamp01(0.5f - rounded_box_distance(px, py, x0 + stroke, y0 + stroke, x1 - stroke,
                                              y1 - stroke, inner_radius));
      blend(x, y, color, outer - inner);
    }
  }
}

void Canvas::stroke_polyline(std::span<const Point> points, float width, Rgba color,
                             bool round_caps) {
  if (points.size() < 2) return;
  // Lines thinner than a pixel are drawn a pixel wide and proportionally fainter.
  const float fade = std::min(1.0f, width);
  const float half = std::max(width, 1.0f) * 0.5f;
  const float reach = half + 1.0f;  // pixels further than this from the centre line get nothing
  float top = points[0].y, bottom = top;
  for (Point p : points) top = std::min(top, p.y), bottom = std::max(bottom, p.y);
  const int oy = std::max(0, static_cast<int>(std::floor(top - reach)));
  const int ey = std::min(height_, static_cast<int>(std::ceil(bottom + reach)));
  if (ey <= oy) return;

  // The pixels of row y that segment ab can touch: where the segment's y lies within `reach`
  // of the row, widened by `reach`. Keeps the work proportional to the stroke's area.
  const auto row_range = [&](Point a, Point b, int y, int* x0, int* x1) {
    const float py = y + 0.5f, dy = b.y - a.y;
    float t0 = 0.0f, t1 = 1.0f;
    if (std::abs(dy) > 1e-6f) {
      t0 = (py - reach - a.y) / dy;
      t1 = (py + reach - a.y) / dy;
      if (t0 > t1) std::swap(t0, t1);
      t0 = std::max(t0, 0.0f);
      t1 = std::min(t1, 1.0f);
      if (t0 > t1) return false;
    } else if (std::abs(a.y - py) > reach) {
      return false;
    }
    const float xa = a.x + (b.x - a.x) * t0, xb = a.x + (b.x - a.x) * t1;
    *x0 = std::max(0, static_cast<int>(std::floor(std::min(xa, xb) - reach)));
    *x1 = std::min(width_, static_cast<int>(std::ceil(std::max(xa, xb) + reach)));
    return *x0 < *x1;
  };

  // Pass 1: the span of columns each row needs; pass 2: coverage (max over segments, so a
  // pixel under two segments is blended once); pass 3: blend.
  struct Span {
    int x0 = INT_MAX, x1 = INT_MIN;
    size_t offset = 0;
  };
  std::vector<Span> spans(static_cast<size_t>(ey - oy));
  const auto for_each_row = [&](auto&& visit) {
    for (size_t i = 0; i + 1 < points.size(); ++i) {
      const Point a = points[i], b = points[i + 1];
      const int y0 = std::max(oy, static_cast<int>(std::floor(std::min(a.y, b.y) - reach)));
      const int y1 = std::min(ey, static_cast<int>(std::ceil(std::max(a.y, b.y) + reach)));
      for (int y = y0; y < y1; ++y) {
        int x0 = 0, x1 = 0;
        if (row_range(a, b, y, &x0, &x1)) visit(a, b, y, x0, x1);
      }
    }
  };
  for_each_row([&](Point, Point, int y, int x0, int x1) {
    Span& span = spans[y - oy];
    span.x0 = std::min(span.x0, x0);
    span.x1 = std::max(span.x1, x1);
  });
  size_t total = 0;
  for (Span& span : spans) {
    span.offset = total;
    if (span.x1 > span.x0) total += static_cast<size_t>(span.x1 - span.x0);
  }
  std::vector<float> coverage(total, 0.0f);
  const bool butt = !round_caps && points.size() == 2;
  for_each_row([&](Point a, Point b, int y, int x0, int x1) {
    const Span& span = spans[y - oy];
    for (int x = x0; x < x1; ++x) {
      float along = 0.0f;
      float d = segment_distance({x + 0.5f, y + 0.5f}, a, b, &along) - half;
      if (butt) d = std::max(d, along);
      float& c = coverage[span.offset + (x - span.x0)];
      c = std::max(c, clamp01(0.5f - d));
    }
  });
  for (int y = oy; y < ey; ++y) {
    const Span& span = spans[y - oy];
    for (int x = span.x0; x < span.x1; ++x)
      if (float c = coverage[span.offset + (x - span.x0)]; c > 0) blend(x, y, color, c * fade);
  }
}

void Canvas::draw_text(const Font& font, std::string_view utf8, float x, float y, float size,
                       Rgba color, TextAnchor anchor, bool vertical) {
  if (utf8.empty()) return;
  const float text_width = font.measure(utf8, size);
  const float offset = anchor == TextAnchor::kStart    ? 0.0f
                       : anchor == TextAnchor::kMiddle ? text_width * 0.5f
                                                       : text_width;
  if (!vertical) {
    const float pen = x - offset;
    const float pen_floor = std::floor(pen);
    const TextMask mask = font.render(utf8, size, pen - pen_floor);
    const int left = static_cast<int>(pen_floor) - mask.origin_x;
    const int top = static_cast<int>(std::lround(y)) - mask.baseline;
    for (int my = 0; my < mask.height; ++my)
      for (int mx = 0; mx < mask.width; ++mx)
        if (uint8_t c = mask.coverage[static_cast<size_t>(my) * mask.width + mx])
          blend(left + mx, top + my, color, c / 255.0f);
    return;
  }
  // Rotated 90° counter-clockwise: the baseline runs up from the pen start (x, y + offset) and
  // the glyphs' tops point left. Mask pixel (u, v) lands at (x + v, pen_y - u).
  const TextMask mask = font.render(utf8, size, 0.0f);
  const int anchor_x = static_cast<int>(std::lround(x));
  const int pen_y = static_cast<int>(std::lround(y + offset));
  for (int my = 0; my < mask.height; ++my)
    for (int mx = 0; mx < mask.width; ++mx)
      if (uint8_t c = mask.coverage[static_cast<size_t>(my) * mask.width + mx])
        blend(anchor_x + (my - mask.baseline), pen_y - (mx - mask.origin_x) - 1, color, c / 255.0f);
}

std::vector<Point> flatten_path(const PathShape& path, float tolerance) {
  std::vector<Point> points{path.start};
  Point current = path.start;
  for (const PathSegment& segment : path.segments) {
    if (segment.kind == PathSegment::Kind::kLine) {
      points.push_back(segment.end);
      current = segment.end;
      continue;
    }
    const bool cubic = segment.kind == PathSegment::Kind::kCubic;
    const float hull =
        cubic ? distance(current, segment.control1) + distance(segment.control1, segment.control2) +
                    distance(segment.control2, segment.end)
              : distance(current, segment.control1) + distance(segment.control1, segment.end);
    const int steps = std::clamp(static_cast<int>(std::ceil(std::sqrt(hull / tolerance))), 2, 400);
    for (int i = 1; i <= steps; ++i) {
      const float t = static_cast<float>(i) / steps;
      // de Casteljau
      Point a = lerp(current, segment.control1, t);
      if (cubic) {
        const Point b = lerp(segment.control1, segment.control2, t);
        const Point c = lerp(segment.control2, segment.end, t);
        const Point ab = lerp(a, b, t), bc = lerp(b, c, t);
        points.push_back(lerp(ab, bc, t));
      } else {
        const Point b = lerp(segment.control1, segment.end, t);
        points.push_back(lerp(a, b, t));
      }
    }
    current = segment.end;
  }
  return points;
}

namespace {

void paint(Canvas& canvas, const RectShape& rect, const Font&, float s) {
  canvas.fill_rect(rect.x * s, rect.y * s, (rect.x + rect.width) * s, (rect.y + rect.height) * s,
                   rect.fill, rect.radius * s);
  if (rect.stroke.a > 0 && rect.stroke_width > 0) {
    canvas.stroke_rect(rect.x * s, rect.y * s, (rect.x + rect.width) * s,
                       (rect.y + rect.height) * s, rect.stroke, rect.stroke_width * s,
                       rect.radius * s);
  }
}

void paint(Canvas& canvas, const PathShape& path, const Font&, float s) {
  std::vector<Point> points = flatten_path(path, 0.25f / s);
  for (Point& p : points) p = {p.x * s, p.y * s};
  canvas.stroke_polyline(points, path.width * s, path.stroke, path.round_caps);
}

void paint(Canvas& canvas, const TextShape& text, const Font& font, float s) {
  canvas.draw_text(font, text.text, text.x * s, text.y * s, text.size * s, text.color, text.anchor,
                   text.vertical);
}

// Nearest-neighbour: each pixel takes the colour of the cell under its centre, so a cell's
// colour is exact (tests read it back) and tiny cells never blur into their neighbours.
void paint(Canvas& canvas, const CellGridShape& grid, const Font&, float s) {
  if (grid.rows <= 0 || grid.cols <= 0) return;
  const float x0 = grid.x * s, y0 = grid.y * s;
  const float cw = grid.cell_width * s, ch = grid.cell_height * s;
  const int px0 = std::max(0, static_cast<int>(std::lround(x0)));
  const int py0 = std::max(0, static_cast<int>(std::lround(y0)));
  const int px1 = std::min(canvas.width(), static_cast<int>(std::lround(x0 + cw * grid.cols)));
  const int py1 = std::min(canvas.height(), static_cast<int>(std::lround(y0 + ch * grid.rows)));
  std::vector<int> column_of(static_cast<size_t>(std::max(0, px1 - px0)));
  for (int x = px0; x < px1; ++x) {
    column_of[x - px0] = std::clamp(static_cast<int>((x + 0.5f - x0) / cw), 0, grid.cols - 1);
  }
  for (int y = py0; y < py1; ++y) {
    const int row = std::clamp(static_cast<int>((y + 0.5f - y0) / ch), 0, grid.rows - 1);
    const Rgba* colors = grid.colors.data() + static_cast<size_t>(row) * grid.cols;
    for (int x = px0; x < px1; ++x) {
      const Rgba color = colors[column_of[x - px0]];
      if (color.a > 0) canvas.blend(x, y, color, 1.0f);
    }
  }
}

}  // namespace

Result<Canvas> render_raster(const Figure& figure, const Font& font, int scale) {
  if (scale != 1 && scale != 2 && scale != 4) {
    return make_error("scale must be 1, 2 or 4, got " + std::to_string(scale));
  }
  const double width = std::ceil(figure.width * scale), height = std::ceil(figure.height * scale);
  constexpr double kMaxPixels = 1 << 28;  // 1 GiB of RGBA
  if (width < 1 || height < 1 || width > 32767 || height > 32767 || width * height > kMaxPixels) {
    return make_error("the image would be " + std::to_string(static_cast<long>(width)) + "×" +
                      std::to_string(static_cast<long>(height)) +
                      " pixels, too large; use a smaller --scale or fewer tokens");
  }
  Canvas canvas(static_cast<int>(width), static_cast<int>(height), figure.background);
  const float s = static_cast<float>(scale);
  for (const Shape& shape : figure.shapes) {
    std::visit([&](const auto& item) { paint(canvas, item, font, s); }, shape);
  }
  return canvas;
}

}  // namespace attnviz

#include "core/view/map_geometry.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace attnviz {

float fit_scale(Point size, int cells) {
  if (cells <= 0 || size.x <= 0.0f || size.y <= 0.0f) return 1.0f;
  // Whole pixels per cell while cells are at least a pixel, so every cell is drawn crisp and a
  // figure of the view has the same cells (larger maps are pooled, several cells per pixel).
  const float fit = std::min(size.x, size.y) / static_cast<float>(cells);
  return fit >= 1.0f ? std::floor(fit) : fit;
}

Point clamp_pan(Point size, int cells, float scale, Point pan) {
  auto clamp_axis = [&](float extent, float value) {
    const float visible = extent / scale;  // cells that fit on this axis
    // Centred, on a whole pixel.
    if (visible >= static_cast<float>(cells))
      return -std::round((visible - cells) * 0.5f * scale) / scale;
    return std::clamp(value, 0.0f, static_cast<float>(cells) - visible);
  };
  return {clamp_axis(size.x, pan.x), clamp_axis(size.y, pan.y)};
}

HeatmapTransform make_transform(Point origin, Point size, int cells, float zoom, Point pan) {
  HeatmapTransform transform;
  transform.origin = origin;
  transform.size = size;
  transform.cells = cells;
  transform.scale = fit_scale(size, cells) * std::max(zoom, 1.0f);
  transform.pan = clamp_pan(size, cells, transform.scale, pan);
  return transform;
}

ZoomPan zoom_around(const HeatmapTransform& transform, float zoom, Point cursor, float factor,
                    float max_cell_pixels) {
  const float fit = fit_scale(transform.size, transform.cells);
  const float max_zoom = std::max(1.0f, max_cell_pixels / fit);
  ZoomPan result;
  result.zoom = std::clamp(zoom * factor, 1.0f, max_zoom);
  const float new_scale = fit * result.zoom;
  const Point anchor = transform.cell_at(cursor);  // stays under the cursor
  const Point pan = {anchor.x - (cursor.x - transform.origin.x) / new_scale,
                     anchor.y - (cursor.y - transform.origin.y) / new_scale};
  result.pan = clamp_pan(transform.size, transform.cells, new_scale, pan);
  return result;
}

Point pan_by_drag(const HeatmapTransform& transform, Point delta) {
  const Point pan = {transform.pan.x - delta.x / transform.scale,
                     transform.pan.y - delta.y / transform.scale};
  return clamp_pan(transform.size, transform.cells, transform.scale, pan);
}

std::optional<Cell> hit_test(const HeatmapTransform& transform, Point screen) {
  if (screen.x < transform.origin.x || screen.y < transform.origin.y ||
      screen.x >= transform.origin.x + transform.size.x ||
      screen.y >= transform.origin.y + transform.size.y)
    return std::nullopt;
  const Point cell = transform.cell_at(screen);
  const int key = static_cast<int>(std::floor(cell.x));
  const int query = static_cast<int>(std::floor(cell.y));
  if (key < 0 || query < 0 || key >= transform.cells || query >= transform.cells)
    return std::nullopt;
  return Cell{query, key};
}

int label_stride(float cell_pixels, float label_pixels) {
  if (cell_pixels <= 0.0f) return std::numeric_limits<int>::max();
  const float needed = label_pixels / cell_pixels;
  if (needed <= 1.0f) return 1;
  for (long magnitude = 1; magnitude < 1'000'000'000L; magnitude *= 10) {
    for (int mantissa : {1, 2, 5}) {
      const long stride = mantissa * magnitude;
      if (static_cast<float>(stride) >= needed) return static_cast<int>(stride);
    }
  }
  return std::numeric_limits<int>::max();
}

std::string token_label(const std::string& text, size_t max_chars) {
  std::string out;
  size_t code_points = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
    if (code_points == max_chars) {
      out += "..";
      return out;
    }
    if (text[i] == '\n') {
      out += "\\n";
    } else if (text[i] == '\t') {
      out += "\\t";
    } else if (text[i] == '\r') {
      out += "\\r";
    } else {
      out.append(text, i, std::min(length, text.size() - i));
    }
    ++code_points;
    i += length;
  }
  return out;
}

std::vector<float> colour_bar_ticks(float max_value, int max_ticks) {
  std::vector<float> ticks{0.0f};
  if (!(max_value > 0.0f) || max_ticks < 2) return ticks;
  const double raw_step = max_value / static_cast<double>(max_ticks - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude * 10.0;
  for (double mantissa : {1.0, 2.0, 5.0, 10.0}) {
    if (mantissa * magnitude >= raw_step * (1.0 - 1e-9)) {
      step = mantissa * magnitude;
      break;
    }
  }
  for (int i = 1;; ++i) {
    const double value = step * i;
    if (value > max_value * (1.0 + 1e-6)) break;
    ticks.push_back(static_cast<float>(value));
  }
  return ticks;
}

float map_max(std::span<const float> map) {
  float best = 0.0f;
  for (float v : map) best = std::max(best, v);
  return best;
}

Thumbnail thumbnail_layout(int cells, int max_texels) {
  assert(max_texels > 0 && "thumbnail_layout: max_texels must be positive");
  Thumbnail layout;
  if (cells <= 0) return layout;
  layout.block = (cells + max_texels - 1) / max_texels;
  layout.texels = (cells + layout.block - 1) / layout.block;
  return layout;
}

void downsample_max(const AttentionReader& trace, int layer, int head, const Thumbnail& layout,
                    float divide_by, std::span<float> out) {
  const int n = layout.texels;
  assert(out.size() >= static_cast<size_t>(n) * n && "downsample_max: output too small");
  std::fill(out.begin(), out.begin() + static_cast<size_t>(n) * n, 0.0f);
  const float inverse = divide_by > 0.0f ? 1.0f / divide_by : 1.0f;
  const int t = trace.tokens_count();
  // Texel rows in parallel (each writes its own), the head's keys prepared once when its rows are
  // recomputed (a long text: T = 8192 is 2.1 GFLOP of scores).
  const AttentionReader::HeadReader rows = trace.head_reader(layer, head);
#pragma omp parallel if (static_cast<double>(t) * t >= 1e6)
  {
    std::vector<float> buffer;
#pragma omp for schedule(dynamic, 4)
    for (int texel_row = 0; texel_row < n; ++texel_row) {
      float* dst = out.data() + static_cast<size_t>(texel_row) * n;
      // Block by block, so the inner loop has no division (the grid pools L·H·T² weights).
      const size_t block = static_cast<size_t>(layout.block);
      const int end_query = std::min(t, (texel_row + 1) * layout.block);
      rows.visit_rows(texel_row * layout.block, end_query, buffer,
                      [&](int, std::span<const float> row) {
                        for (size_t start = 0, c = 0; start < row.size(); start += block, ++c) {
                          const size_t end = std::min(row.size(), start + block);
                          float best = dst[c];
                          for (size_t k = start; k < end; ++k)
                            best = std::max(best, row[k] * inverse);
                          dst[c] = best;
                        }
                      });
    }
  }
}

float entropy(std::span<const float> probabilities) {
  double sum = 0.0;
  for (float p : probabilities)
    if (p > 0.0f) sum -= static_cast<double>(p) * std::log(static_cast<double>(p));
  return static_cast<float>(sum);
}

std::vector<float> softmax(std::span<const float> scores, float scale) {
  std::vector<float> out(scores.size(), 0.0f);
  float best = -std::numeric_limits<float>::infinity();
  for (float s : scores)
    if (std::isfinite(s)) best = std::max(best, s * scale);
  if (!std::isfinite(best)) return out;
  double sum = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) continue;
    out[i] = static_cast<float>(std::exp(static_cast<double>(scores[i] * scale - best)));
    sum += out[i];
  }
  for (float& p : out) p = static_cast<float>(p / sum);
  return out;
}

}  // namespace attnviz

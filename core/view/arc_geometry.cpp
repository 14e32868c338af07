#include "core/view/arc_geometry.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace attnviz {

int FlowLayout::line_of(int token) const {
  assert(token >= 0 && token < static_cast<int>(boxes.size()) && "line_of: bad token");
  auto it = std::upper_bound(line_first.begin(), line_first.end(), token);
  return static_cast<int>(it - line_first.begin()) - 1;
}

std::pair<int, int> FlowLayout::tokens_in_band(float y0, float y1) const {
  const int t = static_cast<int>(boxes.size());
  if (t == 0 || line_advance <= 0.0f) return {0, 0};
  const float top = boxes.front().y0;
  const int first_line =
      std::clamp(static_cast<int>(std::floor((y0 - top) / line_advance)), 0, lines() - 1);
  const int last_line =
      std::clamp(static_cast<int>(std::floor((y1 - top) / line_advance)), 0, lines() - 1);
  const int first = line_first[first_line];
  const int last = last_line + 1 < lines() ? line_first[last_line + 1] : t;
  return {first, std::max(first, last)};
}

FlowLayout layout_flow(std::span<const float> widths, const FlowParams& params) {
  FlowLayout layout;
  layout.line_advance = params.chip_height + params.line_gap;
  layout.boxes.reserve(widths.size());
  float x = 0.0f;
  float y = params.top_margin;
  for (size_t i = 0; i < widths.size(); ++i) {
    const float w = std::max(1.0f, widths[i]);
    const bool line_full = x > 0.0f && x + w > params.line_width;
    if (layout.line_first.empty() || line_full) {
      if (!layout.line_first.empty()) y += layout.line_advance;
      layout.line_first.push_back(static_cast<int>(i));
      x = 0.0f;
    }
    layout.boxes.push_back({x, y, x + w, y + params.chip_height});
    x += w + params.gap_x;
  }
  layout.height = layout.boxes.empty() ? params.top_margin : y + params.chip_height;
  return layout;
}

int count_flow_lines(std::span<const float> widths, float line_width, float gap_x) {
  int lines = 0;
  float x = 0.0f;
  for (float width : widths) {
    const float w = std::max(1.0f, width);
    if (lines == 0 || (x > 0.0f && x + w > line_width)) {
      ++lines;
      x = 0.0f;
    }
    x += w + gap_x;
  }
  return lines;
}

std::optional<int> hit_test(const FlowLayout& layout, Point p) {
  if (layout.boxes.empty()) return std::nullopt;
  auto [first, last] = layout.tokens_in_band(p.y, p.y);
  // Chips of a line are sorted by x: binary search the first chip ending right of p.
  auto begin = layout.boxes.begin() + first, end = layout.boxes.begin() + last;
  auto it = std::upper_bound(begin, end, p.x, [](float x, const Rect& r) { return x < r.x1; });
  if (it != end && it->contains(p)) return static_cast<int>(it - layout.boxes.begin());
  return std::nullopt;
}

ColumnsLayout layout_columns(int tokens, const ColumnsParams& params) {
  ColumnsLayout layout;
  layout.queries.reserve(tokens);
  layout.keys.reserve(tokens);
  const float right_x = params.left_x + params.column_width + params.gap;
  for (int i = 0; i < tokens; ++i) {
    const float y = params.top_margin + i * params.row_height;
    layout.queries.push_back(
        {params.left_x, y, params.left_x + params.column_width, y + params.row_height});
    layout.keys.push_back({right_x, y, right_x + params.column_width, y + params.row_height});
  }
  layout.height = params.top_margin + tokens * params.row_height;
  return layout;
}

std::optional<std::pair<int, int>> hit_test_columns(const ColumnsLayout& layout, Point p) {
  if (layout.queries.empty()) return std::nullopt;
  const float top = layout.queries.front().y0;
  const float row = layout.queries.front().height();
  const int index = static_cast<int>(std::floor((p.y - top) / row));
  if (index < 0 || index >= static_cast<int>(layout.queries.size())) return std::nullopt;
  if (layout.queries[index].contains(p)) return std::pair{0, index};
  if (layout.keys[index].contains(p)) return std::pair{1, index};
  return std::nullopt;
}

Bezier flow_arc(const Rect& query, const Rect& key, float max_height) {
  Point from{query.center_x(), query.y0};
  Point to{key.center_x(), key.y0};
  if (std::abs(from.x - to.x) < 1.0f && std::abs(from.y - to.y) < 1.0f) {
    // Attention to itself: a small loop above the chip.
    const float half = std::max(3.0f, 0.25f * query.width());
    from.x -= half;
    to.x += half;
  }
  if (std::abs(from.y - to.y) > 1.0f) {
    // Another line: leave the query upwards a little, sweep across and land on the key from
    // above, so arcs to far lines fan out instead of stacking into one vertical bundle.
    return {from, {from.x, from.y - 0.5f * max_height}, {to.x, to.y - max_height}, to};
  }
  const float distance = std::abs(to.x - from.x);
  const float lift = std::min(max_height, 8.0f + 0.35f * distance);
  const float top = from.y - lift;
  // Control points straight above the ends: the arc leaves and lands vertically, like a bridge.
  return {from, {from.x, top}, {to.x, top}, to};
}

Bezier column_arc(const Rect& query, const Rect& key) {
  const Point from{query.x1, query.center_y()};
  const Point to{key.x0, key.center_y()};
  const float pull = 0.45f * (to.x - from.x);
  return {from, {from.x + pull, from.y}, {to.x - pull, to.y}, to};
}

Point bezier_point(const Bezier& c, float t) {
  const float u = 1.0f - t;
  const float a = u * u * u, b = 3 * u * u * t, d = 3 * u * t * t, e = t * t * t;
  return {a * c.p0.x + b * c.c0.x + d * c.c1.x + e * c.p1.x,
          a * c.p0.y + b * c.c0.y + d * c.c1.y + e * c.p1.y};
}

float distance_to_bezier(const Bezier& curve, Point p, int segments) {
  float best = std::numeric_limits<float>::infinity();
  for (int i = 0; i <= segments; ++i) {
    const Point q = bezier_point(curve, static_cast<float>(i) / segments);
    best = std::min(best, std::hypot(q.x - p.x, q.y - p.y));
  }
  return best;
}

std::vector<ArcPick> pick_arcs(std::span<const float> row, float min_weight, int top_k) {
  std::vector<ArcPick> picks;
  for (size_t k = 0; k < row.size(); ++k) {
    if (row[k] >= min_weight && row[k] > 0.0f) picks.push_back({static_cast<int>(k), row[k]});
  }
  auto stronger = [](const ArcPick& a, const ArcPick& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
  };
  if (top_k > 0 && static_cast<int>(picks.size()) > top_k) {
    std::partial_sort(picks.begin(), picks.begin() + top_k, picks.end(), stronger);
    picks.resize(top_k);
  } else {
    std::sort(picks.begin(), picks.end(), stronger);
  }
  return picks;
}

float arc_thickness(float weight, float ui_scale) {
  return ui_scale * (0.75f + 5.25f * std::sqrt(std::clamp(weight, 0.0f, 1.0f)));
}

int bezier_segments(const Bezier& curve, float ui_scale) {
  auto distance = [](Point a, Point b) { return std::hypot(b.x - a.x, b.y - a.y); };
  const float length =
      distance(curve.p0, curve.c0) + distance(curve.c0, curve.c1) + distance(curve.c1, curve.p1);
  return std::clamp(static_cast<int>(std::ceil(length / (12.0f * std::max(ui_scale, 0.5f)))), 4,
                    32);
}

float arc_alpha(float weight) {
  return 0.25f + 0.75f * std::sqrt(std::clamp(weight, 0.0f, 1.0f));
}

namespace {

// Bytes of the UTF-8 sequence that starts with this byte (1 for stray continuation bytes).
size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string chip_label(const Token& token, size_t max_chars) {
  std::string label;
  const std::string& text = token.text;
  size_t i = 0;
  bool only_spaces = !text.empty();
  for (char c : text) only_spaces = only_spaces && c == ' ';
  if (only_spaces)
    return text.size() == 1 ? "\xE2\x90\xA3" : "\xE2\x90\xA3\xC3\x97" + std::to_string(text.size());
  if (!text.empty() && text[0] == ' ' && text.size() > 1) i = 1;
  size_t chars = 0;
  while (i < text.size()) {
    if (chars == max_chars) {
      label += "\xE2\x80\xA6";  // …
      break;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      label += "\xE2\x8F\x8E";  // ⏎
      ++i;
    } else if (c == '\r') {
      ++i;
      continue;
    } else if (c == '\t') {
      label += "\xE2\x86\x92";  // →
      ++i;
    } else {
      const size_t n = std::min(utf8_length(c), text.size() - i);
      label.append(text, i, n);
      i += n;
    }
    ++chars;
  }
  if (label.empty()) label = "\xE2\x88\x85";  // ∅: an empty special token
  return label;
}

}  // namespace attnviz

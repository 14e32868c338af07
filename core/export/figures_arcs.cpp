// The arcs figures: the text as a row of token boxes (wrapping into lines), the selected token
// highlighted, and curves from it to every key it attends to, width and opacity ∝ weight.
//
// Legend: L layers, H heads, T tokens. Weights are post-softmax, rows = queries.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/export/figure_parts.h"
#include "core/export/figures.h"
#include "core/export/text.h"

namespace attnviz {

using namespace figure_parts;

namespace {

constexpr float kLineWidth = 960.0f;  // logical width the token lines wrap at
constexpr float kTokenSize = 14.0f;
constexpr float kBoxHeight = 24.0f;
constexpr float kBoxPadding = 5.0f;
constexpr float kTokenGap = 6.0f;
constexpr float kArcSpace = 72.0f;  // room above each line for the arcs
constexpr int kLabelledArcs = 3;    // the strongest arcs show their weight

struct TokenBox {
  float x, y, width;  // top-left of the box
  std::string label;
  float top_center_x() const { return x + width * 0.5f; }
};

// Lays the tokens out left to right, wrapping at kLineWidth; returns the y below the last line.
float layout_tokens(const AttentionTrace& trace, const Font& font, float top,
                    std::vector<TokenBox>& boxes) {
  float x = kMargin, y = top + kArcSpace;
  for (const Token& token : trace.tokens()) {
    TokenBox box;
    box.label = font.fit(display_token(token.text), kTokenSize, 240.0f);
    if (box.label.empty()) box.label = "\u2205";  // an empty token still gets a box to click
    box.width = font.measure(box.label, kTokenSize) + 2 * kBoxPadding;
    if (x + box.width > kMargin + kLineWidth && x > kMargin) {
      x = kMargin;
      y += kBoxHeight + kArcSpace;
    }
    box.x = x;
    box.y = y;
    boxes.push_back(box);
    x += box.width + kTokenGap;
  }
  return y + kBoxHeight;
}

// A cubic from the top of the query's box to the top of the key's box, rising higher for keys
// further away; `lift` spreads the arcs of different heads between the same two tokens.
PathShape make_arc(const TokenBox& from, const TokenBox& to, float lift) {
  PathShape arc;
  const float room = kArcSpace - 10.0f;
  if (&from == &to) {  // attention to itself: a small loop
    const float cx = from.top_center_x(), cy = from.y;
    arc.start = {cx - 5.0f, cy};
    arc.segments.push_back({PathSegment::Kind::kCubic,
                            {cx - 18.0f, cy - 34.0f * lift},
                            {cx + 18.0f, cy - 34.0f * lift},
                            {cx + 5.0f, cy}});
    return arc;
  }
  const Point a{from.top_center_x(), from.y};
  arc.start = a;
  if (to.y < from.y) {
    // A key on an earlier line: an S-curve up into the bottom of its box, so the arc never
    // hooks over the key's text.
    const Point b{to.top_center_x(), to.y + kBoxHeight};
    const float d = 0.4f * (a.y - b.y);
    arc.segments.push_back({PathSegment::Kind::kCubic, {a.x, a.y - d}, {b.x, b.y + d}, b});
    return arc;
  }
  const Point b{to.top_center_x(), to.y};
  // A cubic whose control points both sit h above the ends peaks at 0.75 h.
  const float apex = std::min(room, 16.0f + 0.3f * std::abs(b.x - a.x)) * lift;
  const float h = apex / 0.75f;
  arc.segments.push_back({PathSegment::Kind::kCubic, {a.x, a.y - h}, {b.x, b.y - h}, b});
  return arc;
}

Point arc_middle(const PathShape& arc) {
  const PathSegment& s = arc.segments.front();
  const Point a = arc.start;  // cubic at t = 1/2
  return {(a.x + 3 * s.control1.x + 3 * s.control2.x + s.end.x) / 8.0f,
          (a.y + 3 * s.control1.y + 3 * s.control2.y + s.end.y) / 8.0f};
}

struct DrawnArc {
  int head, key;
  float weight;
};

// The heads a figure draws: spec.head, or spec.heads (empty: every head of the layer).
std::vector<int> drawn_heads(const AttentionTrace& trace, const FigureSpec& spec) {
  if (spec.kind != FigureKind::kArcsAllHeads) return {spec.head};
  if (!spec.heads.empty()) return spec.heads;
  std::vector<int> heads(trace.heads());
  for (int h = 0; h < trace.heads(); ++h) heads[h] = h;
  return heads;
}

// Arcs of the figure: one head, or the heads of the layer (strongest kMaxArcs overall).
std::vector<DrawnArc> collect_arcs(const AttentionTrace& trace, const FigureSpec& spec,
                                   int* candidates) {
  std::vector<DrawnArc> arcs;
  for (int h : drawn_heads(trace, spec)) {
    for (const ArcWeight& arc :
         select_arcs(trace, spec.layer, h, spec.token, kArcThreshold, trace.tokens_count())) {
      arcs.push_back({h, arc.key, arc.weight});
    }
  }
  *candidates = static_cast<int>(arcs.size());
  std::stable_sort(arcs.begin(), arcs.end(),
                   [](const DrawnArc& a, const DrawnArc& b) { return a.weight > b.weight; });
  if (arcs.size() > static_cast<size_t>(kMaxArcs)) arcs.resize(kMaxArcs);
  return arcs;
}

void add_head_legend(Figure& figure, const Font& font, const Palette& palette,
                     const std::vector<int>& heads, float y) {
  float x = kMargin;
  for (int h : heads) {
    const std::string label = "H" + std::to_string(h);
    add_rect(figure, x, y - 9.0f, 16.0f, 4.0f, head_color(h));
    add_text(figure, x + 20.0f, y, label, kLabelSize, palette.text);
    x += 20.0f + font.measure(label, kLabelSize) + 12.0f;
  }
}

}  // namespace

Figure build_arcs_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font) {
  const Palette palette = palette_for(spec.theme);
  const bool all_heads = spec.kind == FigureKind::kArcsAllHeads;
  int candidates = 0;
  const std::vector<DrawnArc> arcs = collect_arcs(trace, spec, &candidates);
  const float strongest = arcs.empty() ? 1.0f : arcs.front().weight;

  Figure figure;
  figure.background = palette.background;
  figure.width = kLineWidth + 2 * kMargin;
  std::string subtitle =
      "arcs to the keys the token attends to \u00B7 width and opacity \u221D weight"
      " \u00B7 weights < 0.01 hidden \u00B7 ";
  subtitle += std::to_string(arcs.size()) + " of " + std::to_string(candidates) + " shown";
  float top = add_header(figure, font, palette, figure_title(trace, spec), subtitle,
                         figure.width - 2 * kMargin);
  if (all_heads) {
    add_head_legend(figure, font, palette, drawn_heads(trace, spec), top);
    top += 10.0f;
  }

  std::vector<TokenBox> boxes;
  figure.height = std::ceil(layout_tokens(trace, font, top, boxes) + kMargin);
  // A short text gets a figure as wide as its line (and its title), not the full wrap width.
  float right = 0.0f;
  for (const TokenBox& box : boxes) right = std::max(right, box.x + box.width);
  const float header_width = std::max(font.measure(figure_title(trace, spec), kTitleSize),
                                      font.measure(subtitle, kSubtitleSize));
  figure.width =
      std::ceil(std::max({right, kMargin + std::min(header_width, kLineWidth), 360.0f}) + kMargin);

  // Keys tinted by how much attention they get (the strongest head's weight for all heads).
  std::vector<float> key_weight(trace.tokens_count(), 0.0f);
  for (const DrawnArc& arc : arcs) key_weight[arc.key] = std::max(key_weight[arc.key], arc.weight);
  const Rgba tint = all_heads ? palette.muted : palette.arc;

  // Weakest first so the strongest arcs lie on top.
  std::vector<PathShape> paths(arcs.size());
  for (size_t i = arcs.size(); i-- > 0;) {
    const DrawnArc& arc = arcs[i];
    const float relative = arc.weight / strongest;
    const float lift = all_heads && trace.heads() > 1
                           ? 0.65f + 0.35f * arc.head / static_cast<float>(trace.heads() - 1)
                           : 1.0f;
    paths[i] = make_arc(boxes[spec.token], boxes[arc.key], lift);
    paths[i].stroke =
        with_alpha(all_heads ? head_color(arc.head) : palette.arc, 0.25f + 0.75f * relative);
    paths[i].width = 1.0f + 5.0f * relative;
    add_shape(figure, paths[i]);
  }

  for (int i = 0; i < trace.tokens_count(); ++i) {
    const TokenBox& box = boxes[i];
    const bool selected = i == spec.token;
    RectShape rect{box.x,
                   box.y,
                   box.width,
                   kBoxHeight,
                   selected ? palette.selected_fill
                            : mix(palette.token_fill, tint, 0.6f * key_weight[i] / strongest),
                   4.0f};
    rect.stroke = selected ? palette.selected_fill : palette.token_stroke;
    rect.stroke_width = 1.0f;
    add_shape(figure, rect);
    const bool strong_tint = !selected && 0.6f * key_weight[i] / strongest > 0.45f;
    const Rgba text_color = selected || strong_tint     ? palette.selected_text
                            : trace.tokens()[i].special ? palette.muted
                                                        : palette.text;
    add_text(figure, box.x + kBoxPadding, box.y + 17.0f, box.label, kTokenSize, text_color);
  }

  // Weight labels on the strongest arcs, on a backing so they read over other arcs; a label
  // that would overlap one already placed is left out.
  std::vector<RectShape> placed;
  for (size_t i = 0; i < arcs.size() && placed.size() < kLabelledArcs; ++i) {
    const Point middle = arc_middle(paths[i]);
    std::string label = format_weight(arcs[i].weight);
    if (all_heads) label = "H" + std::to_string(arcs[i].head) + " " + label;
    const float width = font.measure(label, 10.0f) + 6.0f;
    RectShape backing{middle.x - width * 0.5f,
                      middle.y - 8.0f,
                      width,
                      14.0f,
                      with_alpha(palette.background, 0.85f),
                      3.0f};
    const bool overlaps = std::any_of(placed.begin(), placed.end(), [&](const RectShape& other) {
      return backing.x < other.x + other.width && other.x < backing.x + backing.width &&
             backing.y < other.y + other.height && other.y < backing.y + backing.height;
    });
    if (overlaps) continue;
    placed.push_back(backing);
    add_shape(figure, backing);
    add_text(figure, middle.x, middle.y + 3.5f, label, 10.0f, palette.text, TextAnchor::kMiddle);
  }
  return figure;
}

}  // namespace attnviz

#include "core/export/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/export/colormap.h"
#include "core/export/figure_parts.h"
#include "core/export/text.h"

namespace attnviz {

// Defined in figures_heatmap.cpp and figures_arcs.cpp.
Figure build_heatmap_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font);
Figure build_grid_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font);
Figure build_arcs_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font);

Palette palette_for(Theme theme) {
  if (theme == Theme::kDark) {
    return {.background = {24, 26, 31, 255},
            .text = {230, 230, 230, 255},
            .muted = {150, 154, 162, 255},
            .frame = {90, 94, 102, 255},
            .masked = {44, 47, 54, 255},
            .hatch = {66, 70, 79, 255},
            .token_fill = {38, 41, 48, 255},
            .token_stroke = {78, 82, 92, 255},
            .selected_fill = {255, 153, 51, 255},
            .selected_text = {20, 20, 20, 255},
            .arc = {94, 178, 255, 255}};
  }
  return {.background = {255, 255, 255, 255},
          .text = {28, 28, 30, 255},
          .muted = {105, 105, 110, 255},
          .frame = {170, 170, 175, 255},
          .masked = {236, 236, 238, 255},
          .hatch = {206, 206, 210, 255},
          .token_fill = {246, 246, 248, 255},
          .token_stroke = {200, 200, 206, 255},
          .selected_fill = {240, 128, 20, 255},
          .selected_text = {255, 255, 255, 255},
          .arc = {31, 100, 196, 255}};
}

Rgba head_color(int head) {
  // Tableau 10: distinct hues that stay apart for colour-blind readers better than a rainbow.
  static constexpr Rgba kColors[] = {
      {31, 119, 180, 255},  {255, 127, 14, 255}, {44, 160, 44, 255},   {214, 39, 40, 255},
      {148, 103, 189, 255}, {140, 86, 75, 255},  {227, 119, 194, 255}, {127, 127, 127, 255},
      {188, 189, 34, 255},  {23, 190, 207, 255}};
  const Rgba base = kColors[head % 10];
  // Beyond ten heads, later rounds are darker so that H0 and H10 still differ.
  const float darken = 1.0f - 0.25f * static_cast<float>((head / 10) % 3);
  return {static_cast<uint8_t>(base.r * darken), static_cast<uint8_t>(base.g * darken),
          static_cast<uint8_t>(base.b * darken), 255};
}

Status validate_figure_spec(const AttentionTrace& trace, const FigureSpec& spec) {
  const auto range = [](const char* what, int value, int count) {
    return make_error(
        std::string(what) + " " + std::to_string(value) + " is out of range: " +
        (count > 0 ? "this model has " + std::string(what) + "s 0 to " + std::to_string(count - 1)
                   : "there are none"));
  };
  if (trace.tokens_count() == 0) return make_error("there are no tokens to draw");
  if (spec.layer < 0 || spec.layer >= trace.layers())
    return range("layer", spec.layer, trace.layers());
  const bool one_head = spec.kind == FigureKind::kHeatmap || spec.kind == FigureKind::kArcs;
  if (one_head && (spec.head < 0 || spec.head >= trace.heads())) {
    return range("head", spec.head, trace.heads());
  }
  for (int head : spec.heads)
    if (head < 0 || head >= trace.heads()) return range("head", head, trace.heads());
  const bool arcs = spec.kind == FigureKind::kArcs || spec.kind == FigureKind::kArcsAllHeads;
  if (arcs && (spec.token < 0 || spec.token >= trace.tokens_count())) {
    return make_error("token " + std::to_string(spec.token) +
                      " is out of range: the text has tokens 0 to " +
                      std::to_string(trace.tokens_count() - 1));
  }
  if (spec.scale != 1 && spec.scale != 2 && spec.scale != 4) {
    return make_error("scale must be 1, 2 or 4, got " + std::to_string(spec.scale));
  }
  return Ok{};
}

Result<Figure> build_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font) {
  if (Status valid = validate_figure_spec(trace, spec); !valid.ok()) return valid.error();
  switch (spec.kind) {
    case FigureKind::kHeatmap:
      return build_heatmap_figure(trace, spec, font);
    case FigureKind::kGrid:
      return build_grid_figure(trace, spec, font);
    case FigureKind::kArcs:
    case FigureKind::kArcsAllHeads:
      return build_arcs_figure(trace, spec, font);
  }
  return make_error("unknown figure kind");
}

std::vector<ArcWeight> select_arcs(const AttentionTrace& trace, int layer, int head, int query,
                                   float threshold, int max_arcs) {
  std::vector<ArcWeight> arcs;
  const auto row = trace.row(layer, head, query);  // (row_length) keys visible to the query
  for (size_t key = 0; key < row.size(); ++key) {
    if (row[key] >= threshold) arcs.push_back({static_cast<int>(key), row[key]});
  }
  std::stable_sort(arcs.begin(), arcs.end(),
                   [](const ArcWeight& a, const ArcWeight& b) { return a.weight > b.weight; });
  if (arcs.size() > static_cast<size_t>(std::max(0, max_arcs))) arcs.resize(max_arcs);
  return arcs;
}

namespace figure_parts {

Rgba viridis_rgba(float value) {
  const Rgb c = viridis(value);
  return {c.r, c.g, c.b, 255};
}

Rgba mix(Rgba a, Rgba b, float t) {
  const auto channel = [t](uint8_t x, uint8_t y) {
    return static_cast<uint8_t>(std::lround(x + (y - x) * std::clamp(t, 0.0f, 1.0f)));
  };
  return {channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b), channel(a.a, b.a)};
}

Rgba with_alpha(Rgba color, float alpha) {
  color.a = static_cast<uint8_t>(std::lround(std::clamp(alpha, 0.0f, 1.0f) * 255.0f));
  return color;
}

std::string format_weight(float weight) {
  char buffer[32];
  if (weight != 0.0f && std::abs(weight) < 0.01f) {
    std::snprintf(buffer, sizeof buffer, "%.1e", weight);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f", weight);
  }
  return buffer;
}

std::string text_excerpt(const AttentionTrace& trace, size_t max_code_points) {
  // The trace has tokens, not the input, so the text is rebuilt from them: a gap between two
  // byte spans was whitespace the tokenizer dropped (BERT), a "##" piece continues a word.
  std::string joined;
  size_t previous_end = 0;
  bool space = false;
  for (const Token& token : trace.tokens()) {
    if (token.special || token.start == token.end) continue;
    std::string_view text = token.text;
    if (!joined.empty() && token.start > previous_end) space = true;
    if (text.starts_with("##") && token.start == previous_end) text.remove_prefix(2);
    previous_end = token.end;
    for (char32_t cp : decode_utf8(text)) {
      if (cp == U' ' || cp == U'\n' || cp == U'\t' || cp == U'\r') {
        space = !joined.empty();
        continue;
      }
      if (space) joined += ' ';
      space = false;
      append_utf8(joined, cp < 0x20 ? 0xFFFD : cp);
    }
  }
  return truncate_utf8(joined, max_code_points);
}

std::string figure_title(const AttentionTrace& trace, const FigureSpec& spec) {
  if (!spec.title.empty()) return spec.title;
  const std::string model = !spec.model_name.empty()    ? spec.model_name
                            : !trace.model_name.empty() ? trace.model_name
                                                        : "attention";
  const std::string note = spec.view_note.empty() ? "" : " \u00B7 " + spec.view_note;
  std::string title = model;
  if (!spec.source_label.empty()) {
    title += " \u00B7 " + spec.source_label;
  } else if (spec.kind != FigureKind::kGrid) {
    title += " \u00B7 layer " + std::to_string(spec.layer);
    if (spec.kind == FigureKind::kArcsAllHeads) {
      title += spec.heads.empty() || static_cast<int>(spec.heads.size()) == trace.heads()
                   ? " \u00B7 all heads"
                   : " \u00B7 " + std::to_string(spec.heads.size()) + " of " +
                         std::to_string(trace.heads()) + " heads";
    } else {
      title += " \u00B7 head " + std::to_string(spec.head);
    }
  }
  switch (spec.kind) {
    case FigureKind::kGrid:
      return model + " \u00B7 all " + std::to_string(trace.layers()) + " layers \u00D7 " +
             std::to_string(trace.heads()) + " heads \u00B7 \u201C" + text_excerpt(trace, 60) +
             "\u201D" + note;
    case FigureKind::kArcs:
    case FigureKind::kArcsAllHeads:
      return title + " \u00B7 from token " + std::to_string(spec.token) + " \u201C" +
             truncate_utf8(display_token(trace.tokens()[spec.token].text), 24) + "\u201D" + note;
    case FigureKind::kHeatmap:
      break;
  }
  return title + " \u00B7 \u201C" + text_excerpt(trace, 60) + "\u201D" + note;
}

float add_header(Figure& figure, const Font& font, const Palette& palette, const std::string& title,
                 const std::string& subtitle, float max_width) {
  float y = kMargin + kTitleSize;
  add_text(figure, kMargin, y, font.fit(title, kTitleSize, max_width), kTitleSize, palette.text);
  if (!subtitle.empty()) {
    y += kSubtitleSize + 7.0f;
    add_text(figure, kMargin, y, font.fit(subtitle, kSubtitleSize, max_width), kSubtitleSize,
             palette.muted);
  }
  return y + 14.0f;
}

std::vector<float> colour_bar_ticks(float max_value) {
  // Round steps (1, 2 or 5 × 10^k) giving at most five ticks, then the scale's end itself;
  // a round tick too close to the end makes way for it.
  const float raw = max_value / 4.0f;
  const float power = std::pow(10.0f, std::floor(std::log10(raw)));
  float step = power;
  for (float m : {1.0f, 2.0f, 2.5f, 5.0f, 10.0f}) {
    step = m * power;
    if (step >= raw) break;
  }
  std::vector<float> ticks;
  for (int i = 0; i * step < max_value - 0.4f * step; ++i) ticks.push_back(i * step);
  ticks.push_back(max_value);
  return ticks;
}

float add_colour_bar(Figure& figure, const Font& font, const Palette& palette, float x, float y,
                     float height, float max_value) {
  constexpr float kBarWidth = 14.0f, kTick = 4.0f;
  // 256 rows, top = the highest value, so the bar shows every entry of the table once.
  CellGridShape bar;
  bar.x = x;
  bar.y = y;
  bar.rows = 256;
  bar.cols = 1;
  bar.cell_width = kBarWidth;
  bar.cell_height = height / 256.0f;
  bar.colors.resize(256);
  for (int i = 0; i < 256; ++i) bar.colors[i] = viridis_rgba((255 - i) / 255.0f);
  add_shape(figure, std::move(bar));
  add_frame(figure, x, y, kBarWidth, height, palette.frame, 0.75f);

  float label_width = 0.0f;
  for (float value : colour_bar_ticks(max_value)) {
    const float ty = y + height - height * value / max_value;
    add_line(figure, {x + kBarWidth, ty}, {x + kBarWidth + kTick, ty}, palette.frame, 1.0f);
    const std::string label = value == 0.0f ? "0" : format_weight(value);
    add_text(figure, x + kBarWidth + kTick + 3.0f, ty + 0.35f * kLabelSize, label, kLabelSize,
             palette.text);
    label_width = std::max(label_width, font.measure(label, kLabelSize));
  }
  const float caption_x = x + kBarWidth + kTick + 3.0f + label_width + 8.0f + 0.7f * kLabelSize;
  add_text(figure, caption_x, y + height * 0.5f, "attention weight", kLabelSize, palette.muted,
           TextAnchor::kMiddle, true);
  return caption_x - x + 0.4f * kLabelSize;
}

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

}  // namespace figure_parts
}  // namespace attnviz

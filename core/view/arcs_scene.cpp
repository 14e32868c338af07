#include "core/view/arcs_scene.h"

#include <algorithm>
#include <cmath>

#include "core/view/map_scene.h"
#include "core/view/text.h"
#include "core/view/view_weights.h"

namespace attnviz {

namespace {

constexpr float kChipRounding = 4.0f;
constexpr int kBackgroundTopK = 4;  // two columns: arcs of each query other than the focus
constexpr float kChipMaskOpacity = 0.6f;  // a key chip outside the query's window

// Whether key `key` is outside the active query's sliding window (hatched like the heatmap).
bool outside_window(const ArcsSceneInput& in, int key) {
  if (!in.query) return false;
  const int window = view_window(*in.reader, *in.spec);
  return window > 0 &&
         mask_kind(in.reader->causal(), window, *in.query, key) == MaskKind::kOutsideWindow;
}

PathShape arc_path(const Bezier& curve, Rgba color, float width) {
  PathShape path;
  path.start = curve.p0;
  path.segments.push_back({PathSegment::Kind::kCubic, curve.c0, curve.c1, curve.p1});
  path.stroke = color;
  path.width = width;
  return path;
}

// An arc to a key on another line of the wrapped layout, routed around the chips instead of
// across them (issue 11): up from the query into the gap above its line, along that gap to
// the channel right of the lines, along the channel to the gap above the key's line, along it
// and down onto the key. Corners are rounded; the lane within each gap and the channel's lane
// follow the key's x, so arcs to different keys run apart. Every piece lies in a gap or in the
// channel, where there are no chips.
PathShape routed_arc(const Rect& query, const Rect& key, float arc_room, float channel_x,
                     float channel_width, float line_width, Rgba color, float width) {
  const float along = std::clamp(key.center_x() / std::max(1.0f, line_width), 0.0f, 1.0f);
  const float lift = 4.0f + (0.25f + 0.6f * (1.0f - along)) * (arc_room - 8.0f);
  const float x_query = query.center_x(), x_key = key.center_x();
  const float y_query = query.y0 - lift, y_key = key.y0 - lift;
  const float x_channel = channel_x + (0.2f + 0.6f * along) * channel_width;
  const float corner = std::max(1.0f, std::min({0.4f * lift, 0.5f * std::abs(y_key - y_query),
                                                0.5f * (x_channel - std::max(x_query, x_key))}));
  const float down = y_key > y_query ? 1.0f : -1.0f;  // the channel's direction
  PathShape path;
  path.start = {x_query, query.y0};
  const auto line = [&](Point to) {
    path.segments.push_back({PathSegment::Kind::kLine, {}, {}, to});
  };
  const auto turn = [&](Point corner_point, Point to) {
    path.segments.push_back({PathSegment::Kind::kQuadratic, corner_point, {}, to});
  };
  line({x_query, y_query + corner});
  turn({x_query, y_query}, {x_query + corner, y_query});
  line({x_channel - corner, y_query});
  turn({x_channel, y_query}, {x_channel, y_query + down * corner});
  line({x_channel, y_key - down * corner});
  turn({x_channel, y_key}, {x_channel - corner, y_key});
  line({x_key + corner, y_key});
  turn({x_key, y_key}, {x_key, y_key + corner});
  line({x_key, key.y0});
  path.stroke = color;
  path.width = width;
  return path;
}

// A filled dot: a rectangle rounded into a circle.
RectShape dot(Point center, float radius, Rgba color) {
  return {center.x - radius, center.y - radius, 2 * radius, 2 * radius, color, radius};
}

// (T) weights of the query for one series.
void series_row(const ArcsSceneInput& in, const ArcSeries& series, int query,
                std::vector<float>& row) {
  row.resize(in.reader->tokens_count());
  query_weights(*in.reader, *in.spec, in.whole_map, query, series.head, row);
}

int count_candidates(std::span<const float> row, float min_weight) {
  int count = 0;
  for (float w : row) count += w >= min_weight && w > 0.0f;
  return count;
}

void build_line(const ArcsSceneInput& in, const ChipLook& style, const std::vector<float>& heat,
                ArcsScene& scene) {
  const ViewSpec& spec = *in.spec;
  FlowParams params;
  params.line_width = std::max(80.0f, in.width - 24.0f);
  params.gap_x = 6.0f;
  params.chip_height = style.height;
  std::vector<float> widths(in.labels->widths);
  for (float& w : widths) w += 2 * style.padding_x;
  // Room for arcs above each line: generous for a sentence, tight for long texts so more lines
  // fit on screen.
  const float lines =
      static_cast<float>(std::max(1, count_flow_lines(widths, params.line_width, params.gap_x)));
  scene.arc_room = std::round(std::clamp((in.height - 24.0f) / lines - style.height,
                                         2.2f * style.height, 7.0f * style.height));
  params.line_gap = scene.arc_room;
  params.top_margin = scene.arc_room + 8.0f;
  scene.flow = layout_flow(widths, params);
  scene.figure.height = scene.flow.height + 16.0f;

  // Arcs first, chips on top, so token text stays readable where arcs land.
  if (in.query) {
    const Rect query_box = scene.flow.boxes[*in.query];
    const int count = static_cast<int>(scene.series.size());
    std::vector<float> row;
    for (int i = 0; i < count; ++i) {
      series_row(in, scene.series[i], *in.query, row);
      scene.arcs_candidates += count_candidates(row, spec.arc_min_weight);
      // Heads side by side on the chip's edge, so coincident arcs of two heads stay apart.
      const float spread = count > 1 ? std::min(6.0f, query_box.width() / (count + 1)) : 0.0f;
      const float offset = (i - 0.5f * (count - 1)) * spread;
      for (const ArcPick& pick : pick_arcs(row, spec.arc_min_weight, spec.arc_top_k)) {
        const Rect key_box = scene.flow.boxes[pick.key].translated(offset, 0);
        const Rgba color =
            with_alpha(scene.series[i].color, arc_alpha(pick.weight) * (in.preview ? 0.8f : 1.0f));
        const float thickness = arc_thickness(pick.weight, 1.0f);
        Point end{key_box.center_x(), key_box.y0};
        if (scene.flow.line_of(pick.key) != scene.flow.line_of(*in.query)) {
          add_shape(scene.figure,
                    routed_arc(query_box.translated(offset, 0), key_box, scene.arc_room,
                               params.line_width, in.width - params.line_width, params.line_width,
                               color, thickness));
        } else {
          const Bezier curve =
              flow_arc(query_box.translated(offset, 0), key_box, scene.arc_room - 4);
          add_shape(scene.figure, arc_path(curve, color, thickness));
          end = curve.p1;
        }
        add_shape(scene.figure, dot(end, 1.0f + 0.6f * thickness, color));
        ++scene.arcs_drawn;
        scene.arc_keys.push_back(pick.key);
      }
    }
  }
  auto [first, last] =
      scene.flow.tokens_in_band(in.visible_top - scene.arc_room, in.visible_bottom);
  const auto& tokens = in.reader->tokens();
  for (int i = first; i < last; ++i) {
    add_chip(scene.figure, scene.flow.boxes[i], in.labels->labels[i], heat[i],
             spec.pinned_token == i, in.hovered == i, tokens[i].special, style);
    if (outside_window(in, i))
      add_mask_swatch(scene.figure, scene.flow.boxes[i], MaskKind::kOutsideWindow, spec.theme,
                      kChipMaskOpacity);
  }
}

void build_columns(const ArcsSceneInput& in, const ChipLook& style, const std::vector<float>& heat,
                   ArcsScene& scene) {
  const ViewSpec& spec = *in.spec;
  const ThemeColors& colors = theme_colors(spec.theme);
  const int tokens = in.reader->tokens_count();
  ColumnsParams params;
  params.row_height = style.text_height + 6.0f;
  params.column_width = std::clamp(0.22f * in.width, 80.0f, 220.0f);
  params.gap = std::max(80.0f, in.width - 2 * params.column_width - 24.0f);
  scene.layout = layout_columns(tokens, params);
  scene.figure.height = std::max(1.0f, scene.layout.height);
  const int first = std::clamp(static_cast<int>(in.visible_top / params.row_height) - 1, 0, tokens);
  const int last =
      std::isfinite(in.visible_bottom)
          ? std::clamp(static_cast<int>(in.visible_bottom / params.row_height) + 1, 0, tokens)
          : tokens;

  // Every visible query's strongest arcs, thin and faded behind the focused query's. One
  // neutral series (the mean of the drawn heads), so their cost does not grow with the heads.
  ViewSpec combined = spec;
  if (head_mode_info(spec.head_mode).separate_heads) {
    combined.enabled_heads.assign(in.reader->heads(), 0);
    for (const ArcSeries& s : scene.series)
      if (s.head >= 0) combined.enabled_heads[s.head] = 1;
    combined.head_mode = HeadMode::kMeanOfHeads;
  }
  std::vector<float> row(tokens);
  for (int q = first; q < last; ++q) {
    if (in.query == q) continue;  // drawn last, on top
    query_weights(*in.reader, combined, in.whole_map, q, spec.head, row);
    for (const ArcPick& pick :
         pick_arcs(row, spec.arc_min_weight, std::min(spec.arc_top_k, kBackgroundTopK))) {
      const Bezier curve = column_arc(scene.layout.queries[q], scene.layout.keys[pick.key]);
      const Rgba color =
          with_alpha(colors.background_arc, arc_alpha(pick.weight) * (in.query ? 0.15f : 0.5f));
      add_shape(scene.figure,
                arc_path(curve, color, std::min(1.5f, arc_thickness(pick.weight, 1.0f))));
    }
  }
  if (in.query) {
    for (const ArcSeries& series : scene.series) {
      series_row(in, series, *in.query, row);
      scene.arcs_candidates += count_candidates(row, spec.arc_min_weight);
      for (const ArcPick& pick : pick_arcs(row, spec.arc_min_weight, spec.arc_top_k)) {
        const Bezier curve =
            column_arc(scene.layout.queries[*in.query], scene.layout.keys[pick.key]);
        add_shape(scene.figure,
                  arc_path(curve, with_alpha(series.color, arc_alpha(pick.weight) * 0.85f),
                           arc_thickness(pick.weight, 1.0f)));
        ++scene.arcs_drawn;
        scene.arc_keys.push_back(pick.key);
      }
    }
  }
  ChipLook column_style = style;
  column_style.padding_x = 5.0f;
  const auto& token_list = in.reader->tokens();
  for (int i = first; i < last; ++i) {
    const Rect left = scene.layout.queries[i], right = scene.layout.keys[i];
    const bool special = token_list[i].special;
    add_chip(scene.figure, {left.x0, left.y0 + 1, left.x1, left.y1 - 1}, in.labels->labels[i], 0.0f,
             spec.pinned_token == i, in.hovered == i, special, column_style);
    add_chip(scene.figure, {right.x0, right.y0 + 1, right.x1, right.y1 - 1}, in.labels->labels[i],
             in.query ? heat[i] : 0.0f, false, false, special, column_style);
    if (outside_window(in, i))
      add_mask_swatch(scene.figure, {right.x0, right.y0 + 1, right.x1, right.y1 - 1},
                      MaskKind::kOutsideWindow, spec.theme, kChipMaskOpacity);
  }
}

}  // namespace

ChipLook chip_look(const Font* font, float text_height, float box_height, float padding_x,
                   Theme theme) {
  ChipLook look;
  look.text_height = text_height;
  look.height = box_height;
  look.padding_x = padding_x;
  look.em = em_size_for_line_height(font, text_height);
  look.ascent = font ? font->ascent(look.em) : 0.797f * text_height;
  look.theme = theme;
  return look;
}

void add_chip(Figure& figure, const Rect& box, const std::string& label, float heat, bool pinned,
              bool hovered, bool special, const ChipLook& look) {
  const ThemeColors& c = theme_colors(look.theme);
  // sqrt: small weights stay visible next to one dominant key.
  const Rgba fill = mix(c.chip, c.chip_hot, std::sqrt(std::clamp(heat, 0.0f, 1.0f)));
  RectShape rect{box.x0, box.y0, box.width(), box.height(), fill, kChipRounding};
  if (pinned) {
    rect.stroke = c.pinned_outline;
    rect.stroke_width = 2.5f;
  } else if (hovered) {
    rect.stroke = c.hover_outline;
    rect.stroke_width = 1.5f;
  }
  add_shape(figure, rect);
  // The ink follows the fill's brightness so it reads on any heat.
  Rgba ink = luminance(fill) > 0.55f ? c.chip_text_dark : c.chip_text_light;
  if (special) ink = with_alpha(ink, 0.6f);
  const float top = box.y0 + 0.5f * (box.height() - look.text_height);
  add_shape(figure, TextShape{box.x0 + look.padding_x, top + look.ascent, label, look.em, ink});
}

float em_size_for_line_height(const Font* font, float line_height) {
  if (!font) return line_height / 1.164f;  // DejaVu Sans: ascent + descent = 1.164 em
  return line_height / (font->ascent(1.0f) + font->descent(1.0f));
}

ChipLabels measure_chip_labels(std::span<const Token> tokens, const Font* font, float text_height) {
  ChipLabels labels;
  labels.text_height = text_height;
  const float em = em_size_for_line_height(font, text_height);
  labels.labels.reserve(tokens.size());
  labels.widths.reserve(tokens.size());
  for (const Token& token : tokens) {
    labels.labels.push_back(chip_label(token));
    const std::string& label = labels.labels.back();
    labels.widths.push_back(font ? font->measure(label, em)
                                 : 0.6f * em * static_cast<float>(decode_utf8(label).size()));
  }
  return labels;
}

std::vector<ArcSeries> arc_series(const ViewSpec& spec, int heads) {
  std::vector<ArcSeries> series;
  if (!head_mode_info(spec.head_mode).separate_heads) {
    series.push_back({-1, theme_colors(spec.theme).combined_arc});
    return series;
  }
  for (int h : series_heads(spec, heads)) series.push_back({h, head_color(h, heads, spec.theme)});
  return series;
}

ArcsScene build_arcs_scene(const ArcsSceneInput& in) {
  ArcsScene scene;
  const ViewSpec& spec = *in.spec;
  const ThemeColors& colors = theme_colors(spec.theme);
  scene.figure.width = in.width;
  scene.figure.background = colors.background;
  scene.series = arc_series(spec, in.reader->heads());
  scene.columns = spec.arcs_layout == ArcsLayout::kTwoColumns;
  const int tokens = in.reader->tokens_count();
  if (tokens == 0 || !in.labels || static_cast<int>(in.labels->labels.size()) != tokens)
    return scene;
  ArcsSceneInput input = in;
  if (input.query && (*input.query < 0 || *input.query >= tokens)) input.query.reset();
  // An unbounded band (figures) as finite numbers: the layouts turn them into line indices.
  input.visible_top = std::clamp(in.visible_top, -1e9f, 1e9f);
  input.visible_bottom = std::clamp(in.visible_bottom, -1e9f, 1e9f);

  const ChipLook style =
      chip_look(in.font, in.text_height, in.text_height + 10.0f, 7.0f, spec.theme);
  std::vector<float> heat;
  chip_heat(*in.reader, spec, in.whole_map, input.query, in.received, heat);
  if (scene.columns) {
    build_columns(input, style, heat, scene);
  } else {
    build_line(input, style, heat, scene);
  }
  return scene;
}

}  // namespace attnviz

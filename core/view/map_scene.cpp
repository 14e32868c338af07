#include "core/view/map_scene.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/view/text.h"
#include "core/view/view_weights.h"

namespace attnviz {

namespace {

constexpr float kBarWidth = 14.0f;
constexpr size_t kLabelChars = 10;  // code points shown per axis label
constexpr float kHatchSpacing = 6.0f;

// Text metrics of pictures: the em size, ascent and descent for a line height.
struct Metrics {
  const Font* font = nullptr;
  float em = 13.7f, ascent = 12.7f, descent = 3.3f, line = 16.0f;

  Metrics(const Font* f, float line_height) : font(f), line(line_height) {
    em = f ? line_height / (f->ascent(1.0f) + f->descent(1.0f)) : line_height / 1.164f;
    ascent = f ? f->ascent(em) : 0.797f * line_height;
    descent = line_height - ascent;
  }
  float measure(const std::string& text) const {
    return font ? font->measure(text, em)
                : 0.6f * em * static_cast<float>(decode_utf8(text).size());
  }
  // A line of text whose box has its top-left corner at (x, top).
  TextShape text(float x, float top, std::string value, Rgba color) const {
    return TextShape{x, top + ascent, std::move(value), em, color};
  }
};

void add_outline(Figure& figure, const Rect& rect, Rgba color, float width) {
  RectShape outline{rect.x0, rect.y0, rect.width(), rect.height(), Rgba{0, 0, 0, 0}};
  outline.stroke = color;
  outline.stroke_width = width;
  add_shape(figure, outline);
}

Rect intersect(const Rect& a, const Rect& b) {
  return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

// The hatch over masked cells: lines key − query = d (parallel to the diagonal), every few
// pixels, from one cell past the diagonal, clipped to the visible part of the map.
void add_mask_hatch(Figure& figure, const HeatmapTransform& transform, const Rect& visible,
                    Rgba color) {
  const float cells = static_cast<float>(transform.cells);
  const float start = std::max(1.0f, 1.0f / transform.scale);  // pooled: a pixel past the edge
  for (float d = start; d < cells; d += kHatchSpacing / transform.scale) {
    // Points (k, q) = (q + d, q) for q in [0, cells - d], as picture coordinates, clipped.
    Point a = transform.screen_at({d, 0.0f});
    Point b = transform.screen_at({cells, cells - d});
    // Clip the segment a -> b (direction (1, 1)) to the visible rectangle.
    const float lo = std::max({0.0f, visible.x0 - a.x, visible.y0 - a.y});
    const float hi = std::min({b.x - a.x, visible.x1 - a.x, visible.y1 - a.y});
    if (hi <= lo) continue;
    add_line(figure, {a.x + lo, a.y + lo}, {a.x + hi, a.y + hi}, color, 1.0f);
  }
}

// The hatch over keys outside a sliding window of `window` keys: lines key + query = c (across
// the diagonal, so it never reads as the causal hatch), clipped to the cells no query sees,
// k ≤ q − W (and k ≥ q + W without the causal mask), and to the visible cells.
void add_window_hatch(Figure& figure, const HeatmapTransform& transform, const MapWindow& visible,
                      int window, bool causal, Rgba color) {
  const float cells = static_cast<float>(transform.cells), w = static_cast<float>(window);
  const float step = kHatchSpacing / transform.scale;
  // A point of the line is (k, q) = (t, c − t); each side bounds t to [low, high].
  const auto draw = [&](float c, float low, float high) {
    low = std::max({low, visible.x0, c - visible.y1});
    high = std::min({high, visible.x1, c - visible.y0});
    if (high <= low) return;
    const Point a = transform.screen_at({low, c - low}), b = transform.screen_at({high, c - high});
    add_line(figure, a, b, color, 1.0f);
  };
  for (float c = w + step; c < 2.0f * cells - w; c += step) {
    draw(c, std::max(0.0f, c - cells), 0.5f * (c - w));  // before the window: k ≥ 0, q ≤ T
    if (!causal) draw(c, 0.5f * (c + w), std::min(cells, c));  // after it: k ≤ T, q ≥ 0
  }
}

// Hatch lines of a legend swatch or a chip, spaced `spacing` apart, clipped to `box`: along the
// diagonal (causal) or across it (outside the window), as the heatmap draws them.
void add_box_hatch(Figure& figure, const Rect& box, MaskKind kind, float spacing, Rgba color) {
  const float w = box.width(), h = box.height();
  for (float offset = 0.5f * spacing; offset < w + h; offset += spacing) {
    if (kind == MaskKind::kOutsideWindow) {  // y = c − x
      const float c = offset, x0 = std::max(0.0f, c - h), x1 = std::min(w, c);
      if (x1 > x0)
        add_line(figure, {box.x0 + x0, box.y0 + c - x0}, {box.x0 + x1, box.y0 + c - x1}, color,
                 1.0f);
    } else {  // y = x − d
      const float d = offset - h, x0 = std::max(0.0f, d), x1 = std::min(w, d + h);
      if (x1 > x0)
        add_line(figure, {box.x0 + x0, box.y0 + x0 - d}, {box.x0 + x1, box.y0 + x1 - d}, color,
                 1.0f);
    }
  }
}

std::string tick_label(float value) {
  char label[32];
  std::snprintf(label, sizeof label, "%g", static_cast<double>(value));
  return label;
}

}  // namespace

void add_mask_swatch(Figure& figure, const Rect& box, MaskKind kind, Theme theme,
                     float fill_opacity, bool hatched) {
  const ThemeColors& colors = theme_colors(theme);
  const bool window = kind == MaskKind::kOutsideWindow;
  const Rgba fill = window ? colors.window_masked : colors.masked;
  add_shape(figure,
            RectShape{box.x0, box.y0, box.width(), box.height(), with_alpha(fill, fill_opacity)});
  if (hatched) add_box_hatch(figure, box, kind, 4.0f, window ? colors.window_hatch : colors.hatch);
  if (fill_opacity >= 1.0f) add_outline(figure, box, colors.frame, 1.0f);
}

std::string mask_legend_label(MaskKind kind, int window) {
  std::string label = mask_label(kind);
  if (kind == MaskKind::kOutsideWindow && window > 0)
    label += " (the last " + std::to_string(window) + " keys are seen)";
  return label;
}

float add_mask_legend(Figure& figure, const Font* font, float text_height, Point at,
                      std::span<const MaskKind> masks, int window, Theme theme, bool hatched) {
  const Metrics metrics(font, text_height);
  const ThemeColors& colors = theme_colors(theme);
  const float side = std::round(0.75f * metrics.line);
  float x = at.x;
  for (MaskKind kind : masks) {
    add_mask_swatch(
        figure,
        {x, at.y + 0.5f * (metrics.line - side), x + side, at.y + 0.5f * (metrics.line + side)},
        kind, theme, 1.0f, hatched);
    const std::string label = mask_legend_label(kind, window);
    add_shape(figure, metrics.text(x + side + 5.0f, at.y, label, colors.text));
    x += side + 5.0f + metrics.measure(label) + 16.0f;
  }
  return x - at.x;
}

float heatmap_legend_room(const AttentionReader& reader, const ViewSpec& spec, float text_height) {
  const int lines = (view_window(reader, spec) > 0 ? 1 : 0) +
                    (reader.tokens_count() > kDenseHeatmapTokens ? 1 : 0);
  return lines > 0 ? std::round(lines * text_height + 4.0f + 6.0f * lines) : 0.0f;
}

float heatmap_label_margin(const AttentionReader& reader, const ViewSpec& spec, const Font* font,
                           float text_height) {
  if (!spec.heatmap_labels) return 0.0f;
  const Metrics metrics(font, text_height);
  float widest = metrics.measure("0");
  for (const Token& token : reader.tokens())
    widest = std::max(widest, metrics.measure(token_label(token.text, kLabelChars)));
  return std::round(widest + 8.0f);
}

HeatmapScene build_heatmap_scene(const HeatmapSceneInput& in) {
  HeatmapScene scene;
  const ViewSpec& spec = *in.spec;
  const ThemeColors& colors = theme_colors(spec.theme);
  const Metrics metrics(in.font, in.text_height);
  const int tokens = in.reader->tokens_count();
  scene.figure.width = in.width;
  scene.figure.height = in.height;
  scene.figure.background = colors.background;
  scene.style.value_max = spec.heatmap_to_max && in.map_max > 0.0f ? in.map_max : 1.0f;
  scene.style.gamma = spec.heatmap_sqrt ? 0.5f : 1.0f;
  scene.style.causal = in.reader->causal();
  scene.style.masked = colors.masked;
  scene.style.window_masked = colors.window_masked;
  scene.style.outside = colors.background;
  const int window = view_window(*in.reader, spec);
  if (window > 0) scene.style.windows = {window};
  if (tokens == 0) return scene;

  // Label margins as wide as the widest label needs, the map, the colour bar right of it.
  std::vector<std::string> labels(tokens);
  if (spec.heatmap_labels)
    for (int i = 0; i < tokens; ++i)
      labels[i] = token_label(in.reader->tokens()[i].text, kLabelChars);
  const float margin = heatmap_label_margin(*in.reader, spec, in.font, in.text_height);
  const float legend_room = heatmap_legend_room(*in.reader, spec, in.text_height);
  const Point map_min{margin, margin};
  const Point map_max{std::floor(std::max(map_min.x + 32.0f, in.width - kHeatmapBarRoom)),
                      std::floor(std::max(map_min.y + 32.0f, in.height - legend_room))};
  scene.map_rect = {map_min.x, map_min.y, map_max.x, map_max.y};
  scene.map_pixels_x = static_cast<int>(map_max.x - map_min.x);
  scene.map_pixels_y = static_cast<int>(map_max.y - map_min.y);
  scene.transform = make_transform(map_min, {map_max.x - map_min.x, map_max.y - map_min.y}, tokens,
                                   spec.heatmap_zoom, {spec.heatmap_pan_x, spec.heatmap_pan_y});
  const HeatmapTransform& transform = scene.transform;
  scene.plan = plan_heatmap(tokens, transform, in.shown_plan);
  const Point low = transform.visible_min(), high = transform.visible_max();
  scene.window = {low.x, low.y, high.x, high.y};
  scene.bar_rect = {map_max.x + 10.0f, map_min.y, map_max.x + 10.0f + kBarWidth, map_max.y};
  scene.figure.height = map_max.y + legend_room;

  // Under the map: nothing. Over it: the hatches of masked cells, the pinned row.
  scene.map_layer = scene.figure.shapes.size();
  const Rect map_extent =
      intersect(scene.map_rect, {transform.screen_at({0, 0}).x, transform.screen_at({0, 0}).y,
                                 transform.screen_at({static_cast<float>(tokens), 0}).x,
                                 transform.screen_at({0, static_cast<float>(tokens)}).y});
  if (scene.style.causal && transform.scale * tokens >= 8.0f)
    add_mask_hatch(scene.figure, transform, map_extent, colors.hatch);
  if (window > 0 && transform.scale * tokens >= 8.0f)
    add_window_hatch(
        scene.figure, transform,
        {std::max(0.0f, low.x), std::max(0.0f, low.y), std::min(static_cast<float>(tokens), high.x),
         std::min(static_cast<float>(tokens), high.y)},
        window, scene.style.causal, colors.window_hatch);
  float legend_y = map_max.y + 6.0f;
  if (window > 0) {  // under the map: what each mask's fill and hatch mean
    const std::vector<MaskKind> masks = view_masks(*in.reader, spec);
    add_mask_legend(scene.figure, in.font, in.text_height, {map_min.x, legend_y}, masks, window,
                    spec.theme);
    legend_y += metrics.line + 6.0f;
  }
  if (tokens > kDenseHeatmapTokens)  // a long text: pooled, or exact when zoomed in
    add_shape(scene.figure,
              metrics.text(map_min.x, legend_y, heatmap_plan_label(scene.plan, tokens, Pooling::kMax),
                           scene.plan.kind == HeatmapPlan::Kind::kOverview ? colors.highlight
                                                                           : colors.text));
  if (spec.pinned_token && *spec.pinned_token < tokens) {
    const float q = static_cast<float>(*spec.pinned_token);
    const Point a = transform.screen_at({0.0f, q}), b = transform.screen_at({float(tokens), q + 1});
    const Rect row = intersect({a.x - 1, a.y - 1, b.x + 1, b.y + 1}, scene.map_rect);
    if (row.x1 > row.x0 && row.y1 > row.y0) add_outline(scene.figure, row, colors.highlight, 2.0f);
  }

  // Token labels: queries left of the rows, keys above the columns (reading upwards), thinned
  // to one every `stride` tokens so they never overlap; only those whose cell centre shows.
  if (spec.heatmap_labels) {
    const int stride = label_stride(transform.scale, metrics.line);
    const int first_row = std::max(0, static_cast<int>(std::floor(low.y)) / stride * stride);
    const int last_row = std::min(tokens - 1, static_cast<int>(std::ceil(high.y)));
    for (int q = first_row; q <= last_row; q += stride) {
      const float centre = transform.screen_at({0.0f, q + 0.5f}).y;
      if (centre < map_min.y || centre > map_max.y) continue;
      const Rgba color = spec.pinned_token == q ? colors.highlight : colors.text;
      add_shape(scene.figure, metrics.text(map_min.x - metrics.measure(labels[q]) - 4.0f,
                                           centre - 0.5f * metrics.line, labels[q], color));
    }
    const int first_column = std::max(0, static_cast<int>(std::floor(low.x)) / stride * stride);
    const int last_column = std::min(tokens - 1, static_cast<int>(std::ceil(high.x)));
    for (int k = first_column; k <= last_column; k += stride) {
      const float centre = transform.screen_at({k + 0.5f, 0.0f}).x;
      if (centre < map_min.x || centre > map_max.x) continue;
      TextShape label{centre + 0.5f * metrics.line - metrics.descent, map_min.y - 4.0f, labels[k],
                      metrics.em, colors.text};
      label.vertical = true;
      add_shape(scene.figure, std::move(label));
    }
  }

  scene.ticks = add_colour_bar(scene.figure, in.font, in.text_height, scene.bar_rect,
                               scene.style.value_max, scene.style.gamma, spec.theme);
  return scene;
}

GridScene build_grid_scene(const GridSceneInput& in) {
  GridScene scene;
  const ViewSpec& spec = *in.spec;
  const ThemeColors& colors = theme_colors(spec.theme);
  const Metrics metrics(in.font, in.text_height);
  scene.figure.background = colors.background;
  scene.style.value_max = 1.0f;  // the atlas is already divided (per-head contrast) or absolute
  scene.style.causal = in.causal;
  scene.style.masked = colors.masked;
  scene.style.window_masked = colors.window_masked;
  scene.style.outside = colors.background;
  const int texels = in.tile_texels;
  float side = std::round(spec.grid_tile);
  // Whole pixels per texel when the texels are fewer than the pixels: crisp cells.
  if (texels > 0 && texels <= side) side = std::floor(side / texels) * texels;
  scene.tile = side;
  const bool with_roles =
      in.roles.size() == static_cast<size_t>(in.layers) * in.heads && !in.roles.empty();
  const float line = metrics.line;
  const float label_height = with_roles ? line + 2.0f : 0.0f;
  const float gap = 6.0f;
  const bool grouped =
      in.kv_heads > 0 && in.kv_heads < in.heads && in.heads % in.kv_heads == 0;
  const bool windowed = in.windows.size() == static_cast<size_t>(in.layers) &&
                        std::any_of(in.windows.begin(), in.windows.end(), [](int w) { return w > 0; });
  if (windowed) scene.style.windows = in.windows;  // a row of tiles per layer
  const auto row_label = [&](int l) {
    std::string label = letter_number('L', l);
    if (windowed) label += in.windows[l] > 0 ? " local" : " global";
    return label;
  };
  float row_label_width = std::round(metrics.measure("L00") + 8.0f);
  for (int l = 0; windowed && l < in.layers; ++l)
    row_label_width = std::max(row_label_width, std::round(metrics.measure(row_label(l)) + 8.0f));
  const float cell_x = side + gap, cell_y = side + label_height + gap;
  // Under the tiles of a model with local layers: what the tiles' mask fills mean (the tiles
  // are too small for hatches). The window's size when every local layer has the same.
  const float legend_room = windowed ? std::round(line + 8.0f) : 0.0f;
  const float group_height = grouped ? line + 4.0f : 0.0f;
  const Point origin{row_label_width, group_height + line + 4.0f};
  scene.figure.width = origin.x + in.heads * cell_x;
  scene.figure.height = origin.y + in.layers * cell_y + legend_room;
  if (windowed) {
    int common = 0;  // the window every local layer shares; 0 when they differ
    for (int w : in.windows) {
      if (w == 0 || w == common) continue;
      if (common != 0) {
        common = 0;
        break;
      }
      common = w;
    }
    std::vector<MaskKind> masks;
    if (in.causal) masks.push_back(MaskKind::kCausal);
    masks.push_back(MaskKind::kOutsideWindow);
    const float legend_width = add_mask_legend(scene.figure, in.font, in.text_height,
                                               {origin.x, origin.y + in.layers * cell_y}, masks,
                                               common, spec.theme, false);
    scene.figure.width = std::max(scene.figure.width, std::ceil(origin.x + legend_width));
  }

  for (int l = 0; l < in.layers; ++l)
    for (int h = 0; h < in.heads; ++h)
      scene.tiles.push_back({l,
                             h,
                             {origin.x + h * cell_x, origin.y + l * cell_y,
                              origin.x + h * cell_x + side, origin.y + l * cell_y + side}});
  for (int h = 0; h < in.heads; ++h) {
    const std::string label = letter_number('H', h);
    add_shape(scene.figure,
              metrics.text(origin.x + h * cell_x + 0.5f * (side - metrics.measure(label)),
                           group_height, label, h == spec.head ? colors.text : colors.muted));
  }
  if (grouped) {  // "kv g" over the query heads sharing kv head g, with a bracket line
    const int group = in.heads / in.kv_heads;
    for (int g = 0; g < in.kv_heads; ++g) {
      const float x0 = origin.x + g * group * cell_x, x1 = x0 + group * cell_x - gap;
      const std::string label = "kv " + std::to_string(g);
      add_shape(scene.figure, metrics.text(0.5f * (x0 + x1 - metrics.measure(label)), 0.0f,
                                           label, colors.muted));
      add_line(scene.figure, {x0, line + 1.0f}, {x1, line + 1.0f}, colors.muted, 1.0f);
    }
  }
  for (int l = 0; l < in.layers; ++l) {
    add_shape(scene.figure,
              metrics.text(0.0f, origin.y + l * cell_y + 0.5f * (side - line), row_label(l),
                           l == spec.layer ? colors.text : colors.muted));
  }
  for (const GridTile& tile : scene.tiles) {
    if (tile.layer == spec.layer && tile.head == spec.head)
      add_outline(scene.figure,
                  {tile.rect.x0 - 2, tile.rect.y0 - 2, tile.rect.x1 + 2, tile.rect.y1 + 2},
                  colors.highlight, 2.0f);
    if (with_roles) {
      const std::string& role = in.roles[static_cast<size_t>(tile.layer) * in.heads + tile.head];
      add_shape(scene.figure,
                metrics.text(tile.rect.x0 + 0.5f * (side - metrics.measure(role)),
                             tile.rect.y1 + 1.0f, role, role_color(role, spec.theme)));
    }
  }
  return scene;
}

std::vector<float> add_colour_bar(Figure& figure, const Font* font, float text_height,
                                  const Rect& bar, float value_max, float gamma, Theme theme) {
  // Every entry of viridis from the bottom (0) up; ticks at round values, at their gamma
  // position (square-root contrast lifts them).
  const ThemeColors& colors = theme_colors(theme);
  const Metrics metrics(font, text_height);
  CellGridShape cells;
  cells.x = bar.x0;
  cells.y = bar.y0;
  cells.rows = 256;
  cells.cols = 1;
  cells.cell_width = bar.width();
  cells.cell_height = bar.height() / 256.0f;
  cells.colors.resize(256);
  for (int i = 0; i < 256; ++i) cells.colors[i] = viridis((255 - i) / 255.0f);
  add_shape(figure, std::move(cells));
  add_frame(figure, bar.x0, bar.y0, bar.width(), bar.height(), colors.frame, 1.0f);
  const int max_ticks = std::clamp(static_cast<int>(bar.height() / (metrics.line * 1.6f)), 2, 11);
  const std::vector<float> ticks = colour_bar_ticks(value_max, max_ticks);
  for (float tick : ticks) {
    const float t = value_max > 0.0f ? std::pow(tick / value_max, gamma) : 0.0f;
    const float y = bar.y1 - t * bar.height();
    add_line(figure, {bar.x1, y}, {bar.x1 + 4.0f, y}, colors.text, 1.0f);
    add_shape(figure,
              metrics.text(bar.x1 + 6.0f, y - 0.5f * metrics.line, tick_label(tick), colors.text));
  }
  return ticks;
}

Rgba role_color(const std::string& label, Theme theme) {
  Rgba color{150, 150, 160, 255};  // mixed
  if (label == "prev") color = {110, 180, 255, 255};
  if (label == "dup") color = {240, 130, 200, 255};
  if (label == "induction") color = {255, 170, 60, 255};
  if (label == "first") color = {170, 170, 180, 255};
  if (label == "self") color = {150, 220, 150, 255};
  if (label == "local") color = {120, 210, 210, 255};
  if (label == "broad") color = {200, 190, 130, 255};
  // On a light background the same hues, darker, so the labels keep their contrast.
  return theme == Theme::kLight ? mix(color, Rgba{0, 0, 0, 255}, 0.45f) : color;
}

}  // namespace attnviz

#include "core/export/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/export/figure_parts.h"
#include "core/view/arcs_scene.h"
#include "core/view/map_picture.h"
#include "core/view/map_scene.h"
#include "core/view/text.h"
#include "core/view/view_weights.h"

namespace attnviz {

using namespace figure_parts;

namespace {

constexpr float kDefaultArcsWidth = 984.0f;  // lines wrap at 960 pixels
constexpr float kDefaultArcsHeight = 480.0f;
constexpr float kHeatmapTarget = 640.0f;  // pixels the (T, T) block aims for
constexpr float kMaxCell = 40.0f;

Status range_error(const char* what, int value, int count) {
  return make_error(
      std::string(what) + " " + std::to_string(value) + " is out of range: " +
      (count > 0 ? "this model has " + std::string(what) + "s 0 to " + std::to_string(count - 1)
                 : "there are none"));
}

// The map pixels of `rect` (a heatmap's map, a grid tile): whole cells when each texel is a
// whole number of pixels (the shapes a viewer expects, and vector cells in SVG), else the
// heatmap rule pixel by pixel at the figure's resolution.
void add_map_picture(Figure& figure, const MapAtlas& atlas, const MapWindow& window,
                     const MapStyle& style, const Rect& rect, int scale) {
  const float texels_x = window.x1 - window.x0, texels_y = window.y1 - window.y0;
  const float per_texel = rect.width() / texels_x;
  const bool whole = window.x0 >= 0.0f && window.y0 >= 0.0f && window.x1 <= atlas.width &&
                     window.y1 <= atlas.height && window.x0 == std::floor(window.x0) &&
                     window.y0 == std::floor(window.y0) && texels_x == std::floor(texels_x) &&
                     per_texel >= 1.0f && per_texel == std::floor(per_texel) &&
                     std::abs(rect.height() / texels_y - per_texel) < 1e-4f;
  CellGridShape cells;
  cells.x = rect.x0;
  cells.y = rect.y0;
  if (whole) {
    cells.cols = static_cast<int>(texels_x);
    cells.rows = static_cast<int>(texels_y);
    cells.cell_width = cells.cell_height = per_texel;
    // One pixel per texel, painted by the rule: each cell's colour.
    cells.colors = paint_map(atlas, window, style, cells.cols, cells.rows);
  } else {
    cells.cols = static_cast<int>(std::lround(rect.width() * scale));
    cells.rows = static_cast<int>(std::lround(rect.height() * scale));
    cells.cell_width = cells.cell_height = 1.0f / static_cast<float>(scale);
    cells.colors = paint_map(atlas, window, style, cells.cols, cells.rows);
  }
  for (Rgba& color : cells.colors)
    if (color == style.outside) color.a = 0;  // outside the map: the figure's background
  add_shape(figure, std::move(cells));
}

// "H1 ▬ H2 ▬" swatches, one per series, at the given baseline. Returns the width taken.
float add_legend(Figure& figure, const Font& font, const ThemeColors& colors,
                 const std::vector<ArcSeries>& series, const ViewSpec& view, float y) {
  float x = kMargin;
  for (const ArcSeries& s : series) {
    const std::string label = s.head >= 0 ? letter_number('H', s.head)
                                          : std::string(head_mode_info(view.head_mode).description);
    add_rect(figure, x, y - 9.0f, 16.0f, 4.0f, s.color);
    add_text(figure, x + 20.0f, y, label, kLabelSize, colors.text);
    x += 20.0f + font.measure(label, kLabelSize) + 12.0f;
  }
  return x - kMargin;
}

struct Composed {
  Figure figure;
  Rect picture;
};

// Header above, the picture below it at the left margin.
Composed compose(const std::string& title, const std::string& subtitle, const Font& font,
                 const ThemeColors& colors, float picture_width, float picture_height,
                 float extra_width = 0.0f) {
  Composed out;
  out.figure.background = colors.background;
  const float header_width =
      std::max(font.measure(title, kTitleSize), font.measure(subtitle, kSubtitleSize));
  out.figure.width = std::ceil(
      std::max(picture_width + extra_width, std::min(header_width, 960.0f)) + 2 * kMargin);
  const float top =
      add_header(out.figure, font, colors, title, subtitle, out.figure.width - 2 * kMargin);
  out.picture = {kMargin, top, kMargin + picture_width, top + picture_height};
  out.figure.height = std::ceil(out.picture.y1 + kMargin);
  return out;
}

Result<Figure> arcs_figure(const AttentionReader& reader, const ViewSpec& view,
                           std::span<const float> whole_map, const FigureSpec& spec,
                           const Font& font, Rect* picture) {
  const ThemeColors& colors = theme_colors(view.theme);
  const ChipLabels labels = measure_chip_labels(reader.tokens(), &font, kPictureTextHeight);
  ArcsSceneInput input;
  input.reader = &reader;
  input.spec = &view;
  input.whole_map = whole_map;
  input.query = view.pinned_token;
  input.labels = &labels;
  input.font = &font;
  input.width = view.picture_width;
  input.height = view.picture_height;
  input.text_height = kPictureTextHeight;
  const ArcsScene scene = build_arcs_scene(input);

  char filters[160];
  std::snprintf(filters, sizeof filters, "weights < %s hidden \u00B7 at most %d per %s",
                format_weight(view.arc_min_weight).c_str(), view.arc_top_k,
                scene.series.size() > 1 ? "head" : "query");
  std::string subtitle =
      std::string(scene.columns ? "two columns: queries left, keys right \u00B7 "
                                : "arcs to the keys the token attends to \u00B7 ") +
      "width and opacity \u221D weight \u00B7 " + filters + " \u00B7 " +
      std::to_string(scene.arcs_drawn) + " of " + std::to_string(scene.arcs_candidates) + " shown";
  const float legend = 16.0f;
  Composed out = compose(figure_title(reader, view, spec), subtitle, font, colors,
                         scene.figure.width, scene.figure.height + legend);
  const float series_width =
      add_legend(out.figure, font, colors, scene.series, view, out.picture.y0 + 8.0f);
  // Keys outside the pinned query's window are hatched chips: say so beside the heads.
  if (const int window = view_window(reader, view); window > 0) {
    const MaskKind masks[] = {MaskKind::kOutsideWindow};
    add_mask_legend(out.figure, &font, 13.0f,
                    {kMargin + series_width + 8.0f, out.picture.y0 - 3.0f}, masks, window,
                    view.theme);
  }
  out.picture.y0 += legend;
  append_moved(out.figure, scene.figure, 0, scene.figure.shapes.size(), out.picture.x0,
               out.picture.y0);
  if (picture) *picture = out.picture;
  return std::move(out.figure);
}

Result<Figure> heatmap_figure(const AttentionReader& reader, const ViewSpec& view,
                              std::span<const float> whole_map, const FigureSpec& spec,
                              const Font& font, Rect* picture) {
  const ThemeColors& colors = theme_colors(view.theme);
  std::vector<float> map;  // (T, T)
  view_map(reader, view, whole_map, map);
  HeatmapSceneInput input;
  input.reader = &reader;
  input.spec = &view;
  input.map_max = map_max(map);
  input.font = &font;
  input.text_height = kPictureTextHeight;
  input.width = view.picture_width;
  input.height = view.picture_height;
  const HeatmapScene scene = build_heatmap_scene(input);

  std::string subtitle =
      std::string("rows = queries, columns = keys \u00B7 colour = attention weight, 0 to ") +
      format_weight(scene.style.value_max) + (view.heatmap_sqrt ? " (square-root contrast)" : "") +
      (reader.causal() ? " \u00B7 hatched = masked (causal)" : "") +
      (view_window(reader, view) > 0 ? " \u00B7 cross-hatched = outside the sliding window" : "");
  if (scene.transform.scale < 1.0f)
    subtitle += " \u00B7 each pixel: the largest of " +
                std::to_string(static_cast<int>(std::ceil(1.0f / scene.transform.scale))) +
                " cells";
  Composed out = compose(figure_title(reader, view, spec), subtitle, font, colors,
                         scene.figure.width, scene.figure.height);
  const float dx = out.picture.x0, dy = out.picture.y0;
  append_moved(out.figure, scene.figure, 0, scene.map_layer, dx, dy);
  const MapAtlas atlas = single_map_atlas(std::move(map), reader.tokens_count());
  const HeatmapTransform& t = scene.transform;
  if (view.heatmap_zoom <= 1.0f && t.scale >= 1.0f) {
    // The whole map in whole-pixel cells (centred in its rectangle).
    const Point corner = t.screen_at({0.0f, 0.0f});
    const float side = t.scale * reader.tokens_count();
    add_map_picture(
        out.figure, atlas, {0.0f, 0.0f, float(reader.tokens_count()), float(reader.tokens_count())},
        scene.style, {corner.x + dx, corner.y + dy, corner.x + dx + side, corner.y + dy + side},
        spec.scale);
  } else {
    add_map_picture(out.figure, atlas, scene.window, scene.style, scene.map_rect.translated(dx, dy),
                    spec.scale);
  }
  append_moved(out.figure, scene.figure, scene.map_layer, scene.figure.shapes.size(), dx, dy);
  if (picture) *picture = out.picture;
  return std::move(out.figure);
}

Result<Figure> grid_figure(const AttentionReader& reader, const ViewSpec& view,
                           const FigureSpec& spec, const Font& font, Rect* picture) {
  const ThemeColors& colors = theme_colors(view.theme);
  std::vector<float> head_max;
  const MapAtlas atlas = grid_atlas(reader, view.grid_per_head_contrast, kGridMaxTexels, head_max);
  GridSceneInput input;
  input.layers = reader.layers();
  input.heads = reader.heads();
  input.spec = &view;
  input.tile_texels = atlas.tile_texels;
  input.causal = reader.causal();
  input.roles = spec.roles;
  input.font = &font;
  input.text_height = kPictureTextHeight;
  input.kv_heads = reader.kv_heads();
  input.windows = reader.windows();
  const GridScene scene = build_grid_scene(input);

  std::string subtitle =
      "rows = queries, columns = keys \u00B7 " +
      std::string(view.grid_per_head_contrast ? "each tile from 0 to its own largest weight"
                                              : "one colour scale for all heads, 0 to 1");
  if (!scene.style.windows.empty())
    subtitle += " \u00B7 local layers: keys outside the window shaded";
  if (atlas.block > 1)
    subtitle += " \u00B7 each cell is the max of " + std::to_string(atlas.block) + "\u00D7" +
                std::to_string(atlas.block) + " weights";
  const float bar_room = 24.0f + kHeatmapBarRoom;
  Composed out = compose(figure_title(reader, view, spec), subtitle, font, colors,
                         scene.figure.width, scene.figure.height, bar_room);
  const float dx = out.picture.x0, dy = out.picture.y0;
  for (const GridTile& tile : scene.tiles)
    add_map_picture(out.figure, atlas, tile_window(atlas, tile.layer, tile.head), scene.style,
                    tile.rect.translated(dx, dy), spec.scale);
  append_moved(out.figure, scene.figure, 0, scene.figure.shapes.size(), dx, dy);
  // Beside the grid, what its colours mean (absolute weights, or each tile's own range).
  if (!scene.tiles.empty()) {
    const Rect first = scene.tiles.front().rect.translated(dx, dy);
    const float bar_x = out.picture.x1 + 24.0f;
    const float bar_height = std::clamp(scene.figure.height - first.y0 + dy, 120.0f, 400.0f);
    add_colour_bar(out.figure, &font, kPictureTextHeight,
                   {bar_x, first.y0, bar_x + 14.0f, first.y0 + bar_height}, 1.0f, 1.0f, view.theme);
    out.figure.height = std::max(out.figure.height, std::ceil(first.y0 + bar_height + kMargin));
  }
  if (picture) *picture = out.picture;
  return std::move(out.figure);
}

}  // namespace

std::string figure_view_note(const std::string& derived_description, const RunOptions& run) {
  std::string note = derived_description;
  if (!run.reproduces_model()) {
    if (!note.empty()) note += ", ";
    note += what_if_description(run) + " (not the model's real computation)";
  }
  return note;
}

Status validate_view(const AttentionReader& reader, const ViewSpec& view) {
  if (reader.tokens_count() == 0) return make_error("there are no tokens to draw");
  if (view.layer < 0 || view.layer >= reader.layers())
    return range_error("layer", view.layer, reader.layers());
  if (view.head < 0 || view.head >= reader.heads())
    return range_error("head", view.head, reader.heads());
  if (!view.enabled_heads.empty() && static_cast<int>(view.enabled_heads.size()) != reader.heads())
    return make_error("the view lists " + std::to_string(view.enabled_heads.size()) +
                      " heads; the trace has " + std::to_string(reader.heads()));
  const HeadModeInfo& mode = head_mode_info(view.head_mode);
  if (view.kind != ViewKind::kGrid && mode.uses_enabled_heads && !view.enabled_heads.empty() &&
      view.enabled_head_list(reader.heads()).empty())
    return make_error("no head is enabled: turn one on in the head bar, then export");
  if (view.kind == ViewKind::kArcs) {
    if (!view.pinned_token)
      return make_error("pin a token first (click one in the arcs view), then export its arcs");
    if (*view.pinned_token < 0 || *view.pinned_token >= reader.tokens_count())
      return make_error("token " + std::to_string(*view.pinned_token) +
                        " is out of range: the text has tokens 0 to " +
                        std::to_string(reader.tokens_count() - 1));
  }
  return Ok{};
}

void set_default_picture_size(const AttentionReader& reader, const Font& font, ViewSpec& view) {
  if (view.picture_width > 0.0f && view.picture_height > 0.0f) return;
  if (view.kind == ViewKind::kArcs) {
    view.picture_width = kDefaultArcsWidth;
    view.picture_height = kDefaultArcsHeight;
  } else if (view.kind == ViewKind::kHeatmap) {
    const int t = std::max(1, reader.tokens_count());
    const float cell = std::clamp(std::floor(kHeatmapTarget / t), 1.0f, kMaxCell);
    const float margin = heatmap_label_margin(reader, view, &font, kPictureTextHeight);
    view.picture_width = margin + cell * t + kHeatmapBarRoom;
    view.picture_height = margin + cell * t + heatmap_legend_room(reader, view, kPictureTextHeight);
  }
}

Result<Figure> build_figure(const AttentionReader& reader, const ViewSpec& view_in,
                            std::span<const float> whole_map, const FigureSpec& spec,
                            const Font& font, Rect* picture) {
  if (Status valid = validate_view(reader, view_in); !valid) return valid.error();
  if (spec.scale != 1 && spec.scale != 2 && spec.scale != 4)
    return make_error("scale must be 1, 2 or 4, got " + std::to_string(spec.scale));
  const size_t t = static_cast<size_t>(reader.tokens_count());
  if (view_in.kind != ViewKind::kGrid && head_mode_info(view_in.head_mode).whole_model &&
      whole_map.size() != t * t)
    return make_error(std::string("the ") + head_mode_info(view_in.head_mode).description +
                      " map is not computed yet");
  ViewSpec view = view_in;
  if (view.enabled_heads.empty()) view.enabled_heads.assign(reader.heads(), 1);
  set_default_picture_size(reader, font, view);
  switch (view.kind) {
    case ViewKind::kArcs:
      return arcs_figure(reader, view, whole_map, spec, font, picture);
    case ViewKind::kHeatmap:
      return heatmap_figure(reader, view, whole_map, spec, font, picture);
    case ViewKind::kGrid:
      return grid_figure(reader, view, spec, font, picture);
  }
  return make_error("unknown view kind");
}

std::string figure_title(const AttentionReader& reader, const ViewSpec& view,
                         const FigureSpec& spec) {
  if (!spec.title.empty()) return spec.title;
  const std::string model = !spec.model_name.empty()       ? spec.model_name
                            : !reader.model_name().empty() ? reader.model_name()
                                                           : "attention";
  const std::string note = spec.view_note.empty() ? "" : " \u00B7 " + spec.view_note;
  if (view.kind == ViewKind::kGrid)
    return model + " \u00B7 all " + std::to_string(reader.layers()) + " layers \u00D7 " +
           std::to_string(reader.heads()) + " heads \u00B7 \u201C" + text_excerpt(reader, 60) +
           "\u201D" + note;
  const std::string title = model + " \u00B7 " + view_source_label(view, reader.heads());
  if (view.kind == ViewKind::kArcs && view.pinned_token &&
      *view.pinned_token < reader.tokens_count()) {
    const int token = *view.pinned_token;
    return title + " \u00B7 from token " + std::to_string(token) + " \u201C" +
           truncate_utf8(display_token(reader.tokens()[token].text), 24) + "\u201D" + note;
  }
  return title + " \u00B7 \u201C" + text_excerpt(reader, 60) + "\u201D" + note;
}

namespace figure_parts {

std::string format_weight(float weight) {
  char buffer[32];
  if (weight != 0.0f && std::abs(weight) < 0.01f) {
    std::snprintf(buffer, sizeof buffer, "%.1e", weight);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f", weight);
  }
  return buffer;
}

std::string text_excerpt(const AttentionReader& reader, size_t max_code_points) {
  // The trace has tokens, not the input, so the text is rebuilt from them: a gap between two
  // byte spans was whitespace the tokenizer dropped (BERT), a "##" piece continues a word.
  std::string joined;
  size_t previous_end = 0;
  bool space = false;
  for (const Token& token : reader.tokens()) {
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

float add_header(Figure& figure, const Font& font, const ThemeColors& colors,
                 const std::string& title, const std::string& subtitle, float max_width) {
  float y = kMargin + kTitleSize;
  add_text(figure, kMargin, y, font.fit(title, kTitleSize, max_width), kTitleSize, colors.text);
  if (!subtitle.empty()) {
    y += kSubtitleSize + 7.0f;
    add_text(figure, kMargin, y, font.fit(subtitle, kSubtitleSize, max_width), kSubtitleSize,
             colors.muted);
  }
  return y + 14.0f;
}

}  // namespace figure_parts
}  // namespace attnviz

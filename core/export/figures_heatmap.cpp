// The heatmap of one head and the grid of all layers × heads.
//
// Legend: L layers, H heads, T tokens. Weights are post-softmax, rows = queries.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/export/colormap.h"
#include "core/export/figure_parts.h"
#include "core/export/figures.h"
#include "core/export/text.h"

namespace attnviz {

using namespace figure_parts;

namespace {

constexpr float kHeatmapTarget = 640.0f;  // logical pixels the (T, T) block aims for
constexpr float kMaxCell = 40.0f;
constexpr float kMaxLabelWidth = 130.0f;
constexpr float kAnnotateCell = 30.0f;  // cells at least this big show their weight

float max_weight(const std::vector<float>& weights) {
  float m = 0.0f;
  for (float w : weights) m = std::max(m, w);
  return m > 0.0f ? m : 1.0f;
}

// Labels every `step` tokens so that labels never overlap: cells smaller than a line of text
// share one label among several rows.
int label_step(float cell) {
  return std::max(1, static_cast<int>(std::ceil(13.0f / cell)));
}

// Hatching parallel to the diagonal, confined to the masked (key > query) cells: a line
// x' − y' = c with c ≥ cell never enters a visible cell.
void add_mask_hatch(Figure& figure, const Palette& palette, float x, float y, float cell, int t) {
  const float size = cell * t;
  for (float c = cell; c < size; c += 6.0f) {
    add_line(figure, {x + c, y}, {x + size, y + size - c}, palette.hatch, 1.0f);
  }
}

// Weights inside cells: two decimals like a printed table; tiny weights read "0.00" rather
// than crowding the cell with exponents.
std::string cell_label(float weight) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.2f", weight);
  return buffer;
}

// The colour bar's width is known only once it is laid out: measured on a scratch figure.
float colour_bar_width(const Font& font, const Palette& palette, float top_weight) {
  Figure scratch;
  return add_colour_bar(scratch, font, palette, 0, 0, 100, top_weight);
}

// Wide enough for the content and for the title; a title wider than 960 px widens it no more.
float figure_width(const Font& font, const std::string& title, const std::string& subtitle,
                   float content_right) {
  const float title_width =
      std::max(font.measure(title, kTitleSize), font.measure(subtitle, kSubtitleSize));
  return std::ceil(std::max(content_right, std::min(kMargin + title_width, 960.0f)) + kMargin);
}

}  // namespace

Figure build_heatmap_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font) {
  const Palette palette = palette_for(spec.theme);
  const int t = trace.tokens_count();
  std::vector<float> weights(static_cast<size_t>(t) * t);  // (T, T) rows = queries
  trace.copy_head(spec.layer, spec.head, weights);
  const float top_weight = max_weight(weights);

  const float cell = std::clamp(std::floor(kHeatmapTarget / t), 1.0f, kMaxCell);
  const float block = cell * t;
  const int step = label_step(cell);

  std::vector<std::string> labels(t);
  float label_width = 0.0f;
  for (int i = 0; i < t; i += step) {
    labels[i] = font.fit(display_token(trace.tokens()[i].text), kLabelSize, kMaxLabelWidth);
    label_width = std::max(label_width, font.measure(labels[i], kLabelSize));
  }

  Figure figure;
  figure.background = palette.background;
  const std::string subtitle =
      std::string("rows = queries, columns = keys \u00B7 colour = attention weight") +
      (trace.causal() ? " \u00B7 hatched = masked (causal)" : "") +
      (step > 1 ? " \u00B7 one label per " + std::to_string(step) + " tokens" : "");
  const std::string title = figure_title(trace, spec);

  const float axis_title = kLabelSize + 6.0f;
  const float heat_x = kMargin + axis_title + label_width + 6.0f;
  const float bar_gap = 18.0f;
  const float content_right =
      heat_x + block + bar_gap + colour_bar_width(font, palette, top_weight);
  figure.width = figure_width(font, title, subtitle, content_right);
  const float heat_y =
      add_header(figure, font, palette, title, subtitle, figure.width - 2 * kMargin);

  // Cells: masked ones (key > query in a causal trace) get the neutral masked colour.
  CellGridShape cells;
  cells.x = heat_x;
  cells.y = heat_y;
  cells.cell_width = cells.cell_height = cell;
  cells.rows = cells.cols = t;
  cells.colors.resize(weights.size());
  for (int q = 0; q < t; ++q) {
    for (int k = 0; k < t; ++k) {
      const size_t i = static_cast<size_t>(q) * t + k;
      cells.colors[i] =
          k < trace.row_length(q) ? viridis_rgba(weights[i] / top_weight) : palette.masked;
    }
  }
  add_shape(figure, std::move(cells));
  if (trace.causal() && cell >= 4.0f) add_mask_hatch(figure, palette, heat_x, heat_y, cell, t);

  if (cell >= kAnnotateCell) {
    const float size = std::min(10.0f, cell * 0.3f);
    for (int q = 0; q < t; ++q) {
      for (int k = 0; k < trace.row_length(q); ++k) {
        const float w = weights[static_cast<size_t>(q) * t + k];
        const bool dark_cell = viridis_index(w / top_weight) < 150;
        add_text(figure, heat_x + (k + 0.5f) * cell, heat_y + (q + 0.5f) * cell + 0.35f * size,
                 cell_label(w), size, dark_cell ? Rgba{255, 255, 255, 230} : Rgba{20, 20, 20, 230},
                 TextAnchor::kMiddle);
      }
    }
  }
  add_frame(figure, heat_x, heat_y, block, block, palette.frame, 0.75f);

  // Token labels: queries on the left, keys rotated below.
  for (int i = 0; i < t; i += step) {
    const float center = (i + 0.5f) * cell;
    const Rgba color = trace.tokens()[i].special ? palette.muted : palette.text;
    add_text(figure, heat_x - 6.0f, heat_y + center + 0.35f * kLabelSize, labels[i], kLabelSize,
             color, TextAnchor::kEnd);
    add_text(figure, heat_x + center + 0.35f * kLabelSize, heat_y + block + 6.0f, labels[i],
             kLabelSize, color, TextAnchor::kEnd, true);
  }
  add_text(figure, kMargin + kLabelSize, heat_y + block * 0.5f, "query", kLabelSize, palette.muted,
           TextAnchor::kMiddle, true);
  const float keys_y = heat_y + block + 6.0f + label_width + 6.0f + kLabelSize;
  add_text(figure, heat_x + block * 0.5f, keys_y, "key", kLabelSize, palette.muted,
           TextAnchor::kMiddle);

  const float bar_height = std::max(block, 120.0f);
  add_colour_bar(figure, font, palette, heat_x + block + bar_gap, heat_y, bar_height, top_weight);
  figure.height =
      std::ceil(std::max(keys_y + font.descent(kLabelSize), heat_y + bar_height) + kMargin);
  return figure;
}

Figure build_grid_figure(const AttentionTrace& trace, const FigureSpec& spec, const Font& font) {
  const Palette palette = palette_for(spec.theme);
  const int t = trace.tokens_count(), layers = trace.layers(), heads = trace.heads();
  constexpr float kGap = 8.0f;

  // Tile size: the grid aims for about 1000 logical pixels wide. Long texts are max-pooled so a
  // cell stays at least one pixel and a sharp diagonal stays visible.
  const float tile_target = std::clamp(std::floor(1000.0f / heads) - kGap, 48.0f, 160.0f);
  const int pool = std::max(1, static_cast<int>(std::ceil(t / tile_target)));
  const int n = (t + pool - 1) / pool;  // cells per tile side
  const float cell = pool > 1 ? tile_target / n : std::max(1.0f, std::floor(tile_target / t));
  const float tile = cell * n;

  // One colour scale for all heads; read row by row, since a dense (L, H, T, T) copy of a
  // large model on a long text would take gigabytes.
  float top_weight = 0.0f;
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q)
        for (float w : trace.row(l, h, q)) top_weight = std::max(top_weight, w);
  if (!(top_weight > 0.0f)) top_weight = 1.0f;
  std::vector<float> head(static_cast<size_t>(t) * t);  // (T, T) of the tile being drawn

  Figure figure;
  figure.background = palette.background;
  std::string subtitle = "rows = queries, columns = keys \u00B7 one colour scale for all heads";
  if (pool > 1) {
    subtitle += " \u00B7 each cell is the max of " + std::to_string(pool) + "\u00D7" +
                std::to_string(pool) + " weights";
  }
  const std::string title = figure_title(trace, spec);

  const float row_label_width =
      font.measure(std::string("L") + std::to_string(layers - 1), kLabelSize);
  const float grid_x = kMargin + row_label_width + 8.0f;
  const float grid_w = heads * tile + (heads - 1) * kGap;
  const float grid_h = layers * tile + (layers - 1) * kGap;
  const float content_right = grid_x + grid_w + 20.0f + colour_bar_width(font, palette, top_weight);
  figure.width = figure_width(font, title, subtitle, content_right);
  const float header_bottom =
      add_header(figure, font, palette, title, subtitle, figure.width - 2 * kMargin);
  const float grid_y = header_bottom + kLabelSize + 6.0f;

  for (int h = 0; h < heads; ++h) {
    add_text(figure, grid_x + h * (tile + kGap) + tile * 0.5f, grid_y - 6.0f,
             std::string("H") + std::to_string(h), kLabelSize, palette.text, TextAnchor::kMiddle);
  }
  for (int l = 0; l < layers; ++l) {
    const float tile_y = grid_y + l * (tile + kGap);
    add_text(figure, grid_x - 8.0f, tile_y + tile * 0.5f + 0.35f * kLabelSize,
             std::string("L") + std::to_string(l), kLabelSize, palette.text, TextAnchor::kEnd);
    for (int h = 0; h < heads; ++h) {
      trace.copy_head(l, h, head);
      CellGridShape cells;
      cells.x = grid_x + h * (tile + kGap);
      cells.y = tile_y;
      cells.cell_width = cells.cell_height = cell;
      cells.rows = cells.cols = n;
      cells.colors.resize(static_cast<size_t>(n) * n);
      for (int qi = 0; qi < n; ++qi) {
        for (int ki = 0; ki < n; ++ki) {
          float pooled = 0.0f;
          bool visible = false;  // a pooled cell is masked only if all of its weights are
          for (int q = qi * pool; q < std::min(t, (qi + 1) * pool); ++q) {
            for (int k = ki * pool; k < std::min(t, (ki + 1) * pool); ++k) {
              if (k >= trace.row_length(q)) continue;
              visible = true;
              pooled = std::max(pooled, head[static_cast<size_t>(q) * t + k]);
            }
          }
          cells.colors[static_cast<size_t>(qi) * n + ki] =
              visible ? viridis_rgba(pooled / top_weight) : palette.masked;
        }
      }
      add_shape(figure, std::move(cells));
      add_frame(figure, grid_x + h * (tile + kGap), tile_y, tile, tile, palette.frame, 0.5f);
    }
  }
  const float bar_height = std::clamp(grid_h, 120.0f, 400.0f);
  add_colour_bar(figure, font, palette, grid_x + grid_w + 20.0f, grid_y, bar_height, top_weight);
  figure.height = std::ceil(grid_y + std::max(grid_h, bar_height) + kMargin);
  return figure;
}

}  // namespace attnviz

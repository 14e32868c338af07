// The pictures both the screen and the figures draw (core/view), headless: the heatmap rule
// against naive loops (whole cells, pooled pixels, a zoomed window), the arcs scene (what the
// min weight and top-k leave, one series per enabled head in the registry's colours, two
// columns, nothing drawn for a whole-model mode whose map is not there), and the heatmap scene
// (whole-pixel cells, hatch only over masked cells, the pinned row outlined); sliding windows:
// the mask rule against ScoreRule, texels and pixels outside the window in their own colour,
// their own hatch only over those cells, the legend entry, hatched key chips in the arcs.
//
// Legend: T tokens, H heads. Maps are (T, T), rows = queries.
#include <gtest/gtest.h>

#include <random>

#include "core/view/arcs_scene.h"
#include "core/view/map_picture.h"
#include "core/view/map_scene.h"

namespace attnviz {
namespace {

MapStyle style() {
  MapStyle s;
  s.causal = true;
  s.masked = {40, 40, 40, 255};
  s.outside = {1, 2, 3, 255};
  return s;
}

TEST(MapPicture, WholeCellsPooledPixelsAndAWindow) {
  constexpr int t = 8;
  std::vector<float> map(t * t, 0.0f);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int q = 0; q < t; ++q)
    for (int k = 0; k <= q; ++k) map[q * t + k] = uniform(rng);
  const MapAtlas atlas = single_map_atlas(map, t);
  // Whole: 3 pixels per cell, each pixel its cell's colour or the mask.
  const std::vector<Rgba> whole = paint_map(atlas, {0, 0, t, t}, style(), 3 * t, 3 * t);
  for (int y = 0; y < 3 * t; ++y)
    for (int x = 0; x < 3 * t; ++x) {
      const int q = y / 3, k = x / 3;
      const Rgba want = k > q ? style().masked : map_value_colour(map[q * t + k], style());
      ASSERT_EQ(whole[y * 3 * t + x], want) << x << "," << y;
    }
  // Pooled: 2 x 2 cells per pixel, each pixel the largest visible value of its cells.
  const std::vector<Rgba> pooled = paint_map(atlas, {0, 0, t, t}, style(), t / 2, t / 2);
  for (int y = 0; y < t / 2; ++y)
    for (int x = 0; x < t / 2; ++x) {
      float best = -1.0f;
      for (int q = 2 * y; q < 2 * y + 2; ++q)
        for (int k = 2 * x; k < 2 * x + 2; ++k)
          if (k <= q) best = std::max(best, map[q * t + k]);
      const Rgba want = best < 0.0f ? style().masked : map_value_colour(best, style());
      ASSERT_EQ(pooled[y * (t / 2) + x], want) << x << "," << y;
    }
  // A window of cells 2..4 at 2 pixels per cell, and outside the map.
  const std::vector<Rgba> window = paint_map(atlas, {2, 2, 4, 4}, style(), 4, 4);
  EXPECT_EQ(window[3 * 4 + 0], map_value_colour(map[3 * t + 2], style()));
  const std::vector<Rgba> beyond = paint_map(atlas, {-2, 0, t, t}, style(), t + 2, t);
  EXPECT_EQ(beyond[0], style().outside);
  // Square-root contrast lifts a faint weight.
  MapStyle sqrt = style();
  sqrt.gamma = 0.5f;
  EXPECT_EQ(map_value_colour(0.25f, sqrt), viridis(0.5f));
}

// 2 layers x 3 heads x 6 tokens, causal, each row a known ramp.
AttentionTrace trace() {
  std::vector<Token> tokens;
  for (int i = 0; i < 6; ++i)
    tokens.push_back({i, " w" + std::to_string(i), size_t(i), size_t(i + 1), false});
  AttentionTrace trace(tokens, 2, 3, true);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h)
      for (int q = 0; q < 6; ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0;
        for (size_t k = 0; k < row.size(); ++k) sum += row[k] = 1.0f + h * k + l;
        for (float& w : row) w /= sum;
      }
  return trace;
}

int cubic_paths(const Figure& figure) {
  int count = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* path = std::get_if<PathShape>(&shape);
        path && path->segments.size() == 1 && path->segments[0].kind == PathSegment::Kind::kCubic)
      ++count;
  return count;
}

int rounded_boxes(const Figure& figure) {
  int count = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* rect = std::get_if<RectShape>(&shape); rect && rect->radius == 4.0f) ++count;
  return count;
}

TEST(ArcsScene, FiltersSeriesAndLayouts) {
  const AttentionTrace t = trace();
  const AttentionReader reader(t);
  const ChipLabels labels = measure_chip_labels(t.tokens(), nullptr, 16);
  ViewSpec spec;
  spec.layer = 1;
  spec.head_mode = HeadMode::kMultiHead;
  spec.enabled_heads = {1, 0, 1};
  spec.arc_min_weight = 0.0f;
  spec.arc_top_k = 100;
  ArcsSceneInput in;
  in.reader = &reader;
  in.spec = &spec;
  in.query = 5;
  in.labels = &labels;
  ArcsScene scene = build_arcs_scene(in);
  ASSERT_EQ(scene.series.size(), 2u);
  EXPECT_EQ(scene.series[1].color, head_color(2, 3, spec.theme));
  EXPECT_EQ(cubic_paths(scene.figure), 2 * 6) << "every key of two heads";
  EXPECT_EQ(rounded_boxes(scene.figure), 6) << "one chip per token";
  spec.arc_top_k = 2;
  EXPECT_EQ(cubic_paths(build_arcs_scene(in).figure), 2 * 2);
  spec.arc_top_k = 100;
  spec.arc_min_weight = 0.2f;
  scene = build_arcs_scene(in);
  int above = 0;
  for (int h : {0, 2})
    for (float w : t.row(1, h, 5)) above += w >= 0.2f;
  EXPECT_EQ(cubic_paths(scene.figure), above);
  EXPECT_EQ(scene.arcs_drawn, above);
  spec.arcs_layout = ArcsLayout::kTwoColumns;
  scene = build_arcs_scene(in);
  EXPECT_TRUE(scene.columns);
  EXPECT_EQ(rounded_boxes(scene.figure), 2 * 6) << "a query and a key column";
  spec.arcs_layout = ArcsLayout::kLine;
  spec.arc_min_weight = 0.0f;
  spec.head_mode = HeadMode::kRollout;
  scene = build_arcs_scene(in);
  EXPECT_EQ(cubic_paths(scene.figure), 0) << "no rollout map yet: no arcs, not a stand-in";
  const std::vector<float> rollout(36, 1.0f / 6);
  in.whole_map = rollout;
  EXPECT_EQ(cubic_paths(build_arcs_scene(in).figure), 6);
}

TEST(HeatmapScene, WholePixelCellsHatchOnlyOverMaskedCellsAndThePinnedRow) {
  const AttentionTrace t = trace();
  const AttentionReader reader(t);
  ViewSpec spec;
  spec.head_mode = HeadMode::kSingleHead;
  spec.pinned_token = 2;
  HeatmapSceneInput in;
  in.reader = &reader;
  in.spec = &spec;
  in.width = 400;
  in.height = 300;
  const HeatmapScene scene = build_heatmap_scene(in);
  const HeatmapTransform& tf = scene.transform;
  EXPECT_EQ(tf.scale, std::floor(tf.scale)) << "whole pixels per cell";
  const Point corner = tf.screen_at({0, 0});
  EXPECT_EQ(corner.x, std::floor(corner.x));
  int hatch = 0, outlines = 0;
  for (size_t i = scene.map_layer; i < scene.figure.shapes.size(); ++i) {
    if (const auto* path = std::get_if<PathShape>(&scene.figure.shapes[i]);
        path && path->stroke == theme_colors(spec.theme).hatch) {
      ++hatch;
      // Both ends at or past one cell right of the diagonal: key - query >= 1.
      for (Point p : {path->start, path->segments[0].end}) {
        const Point cell = tf.cell_at(p);
        EXPECT_GE(cell.x - cell.y, 1.0f - 1e-3f);
      }
    }
    if (const auto* rect = std::get_if<RectShape>(&scene.figure.shapes[i]);
        rect && rect->stroke == theme_colors(spec.theme).highlight)
      ++outlines;
  }
  EXPECT_GT(hatch, 3);
  EXPECT_EQ(outlines, 1) << "the pinned row";
}

// ---- sliding windows ----

TEST(MaskKind, FollowsTheForwardPassRule) {
  for (bool causal : {true, false})
    for (int window : {0, 1, 3, 8})
      for (int q = 0; q < 10; ++q)
        for (int k = 0; k < 10; ++k) {
          ScoreRule rule;
          rule.causal = causal;
          rule.window = window;
          const MaskKind want = causal && k > q       ? MaskKind::kCausal
                                : !rule.visible(q, k) ? MaskKind::kOutsideWindow
                                                      : MaskKind::kNone;
          ASSERT_EQ(mask_kind(causal, window, q, k), want) << causal << window << q << k;
        }
  EXPECT_STREQ(mask_label(MaskKind::kOutsideWindow), "outside the window");
  EXPECT_STREQ(mask_label(MaskKind::kCausal), "masked (causal)");
}

// Every texel of pooled atlases (block 1..3, two rows of tiles with different windows) against
// the cells it covers: masked only when all of them are, causal before window.
TEST(MapPicture, TexelMaskIsTheMaskOfAllItsCells) {
  for (bool causal : {true, false})
    for (int block : {1, 2, 3}) {
      MapAtlas atlas;
      atlas.tile_texels = 6;
      atlas.block = block;
      atlas.width = 2 * 6;
      atlas.height = 2 * 6;
      MapStyle s = style();
      s.causal = causal;
      s.windows = {3, 0};  // row 0 local, row 1 global
      for (int y = 0; y < atlas.height; ++y)
        for (int x = 0; x < atlas.width; ++x) {
          const int window = s.windows[y / 6];
          bool all_causal = true, all_window = true;
          for (int q = (y % 6) * block; q < (y % 6 + 1) * block; ++q)
            for (int k = (x % 6) * block; k < (x % 6 + 1) * block; ++k) {
              const MaskKind kind = mask_kind(causal, window, q, k);
              all_causal &= kind == MaskKind::kCausal;
              all_window &= kind == MaskKind::kOutsideWindow;
            }
          const MaskKind want = all_causal   ? MaskKind::kCausal
                                : all_window ? MaskKind::kOutsideWindow
                                             : MaskKind::kNone;
          ASSERT_EQ(texel_mask(atlas, s, x, y), want)
              << "causal " << causal << " block " << block << " texel " << x << "," << y;
        }
    }
}

TEST(MapPicture, CellsOutsideTheWindowTakeTheWindowColour) {
  constexpr int t = 8, w = 3;
  std::vector<float> map(t * t, 0.0f);
  for (int q = 0; q < t; ++q)
    for (int k = std::max(0, q - w + 1); k <= q; ++k) map[q * t + k] = 0.1f * (k + 1);
  const MapAtlas atlas = single_map_atlas(map, t);
  MapStyle s = style();
  s.windows = {w};
  s.window_masked = {90, 70, 50, 255};
  const std::vector<Rgba> pixels = paint_map(atlas, {0, 0, t, t}, s, 2 * t, 2 * t);
  for (int y = 0; y < 2 * t; ++y)
    for (int x = 0; x < 2 * t; ++x) {
      const int q = y / 2, k = x / 2;
      const MaskKind kind = mask_kind(true, w, q, k);
      const Rgba want = kind == MaskKind::kCausal          ? s.masked
                        : kind == MaskKind::kOutsideWindow ? s.window_masked
                                                           : map_value_colour(map[q * t + k], s);
      ASSERT_EQ(pixels[y * 2 * t + x], want) << x << "," << y;
    }
  // Pooled 4 x 4 cells per pixel: the bottom-left pixel (queries 4-7, keys 0-3) still holds
  // visible cells (query 4 sees keys 2-4); nothing is all outside at this size.
  const std::vector<Rgba> pooled = paint_map(atlas, {0, 0, t, t}, s, 2, 2);
  EXPECT_EQ(pooled[1 * 2 + 0], map_value_colour(map[5 * t + 3], s));
  // Without windows in the style, the same cells are plain zero weights.
  MapStyle plain = style();
  EXPECT_EQ(paint_map(atlas, {0, 0, t, t}, plain, t, t)[7 * t + 0], map_value_colour(0.0f, plain));
}

// The 2 x 3 x 6 trace with a window of 3 keys on layer 0 and layer 1 global.
AttentionTrace windowed_trace() {
  AttentionTrace t = trace();
  ScoreRule local, global;
  local.window = 3;
  t.set_rules({local, global});
  return t;
}

size_t count_text(const Figure& figure, const std::string& needle) {
  size_t count = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* text = std::get_if<TextShape>(&shape);
        text && text->text.find(needle) != std::string::npos)
      ++count;
  return count;
}

TEST(HeatmapScene, WindowHatchOnlyOutsideTheWindowAndALegend) {
  const AttentionTrace t = windowed_trace();
  const AttentionReader reader(t);
  ViewSpec spec;
  spec.head_mode = HeadMode::kSingleHead;
  HeatmapSceneInput in;
  in.reader = &reader;
  in.spec = &spec;
  in.width = 400;
  in.height = 300;
  const HeatmapScene scene = build_heatmap_scene(in);
  ASSERT_EQ(scene.style.windows, std::vector<int>{3});
  const HeatmapTransform& tf = scene.transform;
  int window_hatch = 0;
  for (size_t i = scene.map_layer; i < scene.figure.shapes.size(); ++i) {
    const auto* path = std::get_if<PathShape>(&scene.figure.shapes[i]);
    if (!path || path->stroke != theme_colors(spec.theme).window_hatch) continue;
    const Point a = tf.cell_at(path->start), b = tf.cell_at(path->segments[0].end);
    if (a.y < 0 || a.y > 6 || b.y < 0 || b.y > 6) continue;  // the legend's swatch, below
    ++window_hatch;
    for (Point cell : {a, b}) EXPECT_GE(cell.y - cell.x, 3.0f - 1e-3f) << "query - key >= W";
  }
  EXPECT_GT(window_hatch, 2);
  EXPECT_EQ(count_text(scene.figure, "outside the window"), 1u);
  EXPECT_EQ(count_text(scene.figure, "masked (causal)"), 1u);
  EXPECT_LE(scene.map_rect.y1 + 16.0f, scene.figure.height) << "room for the legend";

  // Layer 1 is global, and a whole-model mode mixes layers: no window, no legend.
  for (auto edit : {+[](ViewSpec& v) { v.layer = 1; },
                    +[](ViewSpec& v) { v.head_mode = HeadMode::kMeanAllLayers; }}) {
    ViewSpec other = spec;
    edit(other);
    in.spec = &other;
    const HeatmapScene plain = build_heatmap_scene(in);
    EXPECT_TRUE(plain.style.windows.empty());
    EXPECT_EQ(count_text(plain.figure, "outside the window"), 0u);
    EXPECT_EQ(plain.map_rect.y1, plain.figure.height);
  }
}

// Points along a path, `per_segment` samples per piece (lines, quadratics, cubics).
std::vector<Point> path_points(const PathShape& path, int per_segment = 24) {
  std::vector<Point> points;
  Point from = path.start;
  for (const PathSegment& segment : path.segments) {
    for (int i = 1; i <= per_segment; ++i) {
      const float t = static_cast<float>(i) / per_segment, u = 1.0f - t;
      Point p;
      if (segment.kind == PathSegment::Kind::kLine) {
        p = {u * from.x + t * segment.end.x, u * from.y + t * segment.end.y};
      } else if (segment.kind == PathSegment::Kind::kQuadratic) {
        p = {u * u * from.x + 2 * u * t * segment.control1.x + t * t * segment.end.x,
             u * u * from.y + 2 * u * t * segment.control1.y + t * t * segment.end.y};
      } else {
        p = bezier_point({from, segment.control1, segment.control2, segment.end}, t);
      }
      points.push_back(p);
    }
    from = segment.end;
  }
  return points;
}

// Issue 11: in the wrapped layout, arcs to keys on other lines swept diagonally across the
// chips of the lines between. Every arc now stays off every chip but its own two ends.
TEST(ArcsScene, ArcsToOtherLinesGoAroundTheChips) {
  const int tokens = 48;
  std::vector<Token> token_list;
  for (int i = 0; i < tokens; ++i)
    token_list.push_back({i, " word" + std::to_string(i), size_t(i), size_t(i + 1), false});
  AttentionTrace t(token_list, 1, 1, true);
  for (int q = 0; q < tokens; ++q) {
    auto row = t.mutable_row(0, 0, q);
    for (float& w : row) w = 1.0f / static_cast<float>(row.size());
  }
  const AttentionReader reader(t);
  const ChipLabels labels = measure_chip_labels(reader.tokens(), nullptr, 16.0f);
  ViewSpec spec;
  spec.head_mode = HeadMode::kSingleHead;
  spec.arc_min_weight = 0.0f;
  spec.arc_top_k = 128;
  ArcsSceneInput in;
  in.reader = &reader;
  in.spec = &spec;
  in.labels = &labels;
  in.width = 420.0f;
  in.height = 600.0f;
  for (int query : {tokens - 1, tokens / 2}) {
    in.query = query;
    const ArcsScene scene = build_arcs_scene(in);
    ASSERT_GE(scene.flow.lines(), 4) << "the test needs a wrapped layout";
    const std::vector<Rect>& boxes = scene.flow.boxes;
    int arcs = 0, other_lines = 0;
    for (const Shape& shape : scene.figure.shapes) {
      const auto* path = std::get_if<PathShape>(&shape);
      if (!path || path->segments.empty()) continue;
      ++arcs;
      const Point end = path->segments.back().end;
      int key = -1;
      for (int k = 0; k < tokens; ++k)
        if (std::abs(end.y - boxes[k].y0) < 0.5f && end.x >= boxes[k].x0 - 8 &&
            end.x <= boxes[k].x1 + 8)
          key = k;
      ASSERT_GE(key, 0) << "an arc of query " << query << " ends on no chip";
      other_lines += scene.flow.line_of(key) != scene.flow.line_of(query);
      for (const Point& p : path_points(*path)) {
        for (int k = 0; k < tokens; ++k) {
          if (k == key || k == query) continue;
          const Rect& b = boxes[k];
          EXPECT_FALSE(p.x > b.x0 + 1 && p.x < b.x1 - 1 && p.y > b.y0 + 1 && p.y < b.y1 - 1)
              << "the arc " << query << " -> " << key << " crosses chip " << k << " at ("
              << p.x << ", " << p.y << ")";
        }
      }
    }
    EXPECT_EQ(arcs, query + 1) << "one arc per visible key";
    EXPECT_GT(other_lines, 10) << "most keys are on other lines";
  }
}

TEST(ArcsScene, KeysOutsideTheQuerysWindowAreHatched) {
  const AttentionTrace t = windowed_trace();
  const AttentionReader reader(t);
  ViewSpec spec;
  spec.head_mode = HeadMode::kSingleHead;
  spec.pinned_token = 5;
  const ChipLabels labels = measure_chip_labels(reader.tokens(), nullptr, 16.0f);
  ArcsSceneInput in;
  in.reader = &reader;
  in.spec = &spec;
  in.query = 5;
  in.labels = &labels;
  const auto chips_hatched = [&](const ArcsScene& scene) {
    int count = 0;
    const Rgba fill = with_alpha(theme_colors(spec.theme).window_masked, 0.6f);
    for (const Shape& shape : scene.figure.shapes)
      if (const auto* rect = std::get_if<RectShape>(&shape); rect && rect->fill == fill) ++count;
    return count;
  };
  EXPECT_EQ(chips_hatched(build_arcs_scene(in)), 3) << "query 5 sees keys 3-5 of 0-5";
  spec.arcs_layout = ArcsLayout::kTwoColumns;
  EXPECT_EQ(chips_hatched(build_arcs_scene(in)), 3) << "the key column";
  spec.layer = 1;
  EXPECT_EQ(chips_hatched(build_arcs_scene(in)), 0) << "a global layer";
  spec.layer = 0;
  in.query.reset();
  EXPECT_EQ(chips_hatched(build_arcs_scene(in)), 0) << "no query, no window";
}

TEST(GridScene, LocalRowsTheirWindowsAndALegend) {
  ViewSpec spec;
  GridSceneInput in;
  in.layers = 2;
  in.heads = 4;
  in.spec = &spec;
  in.tile_texels = 6;
  in.causal = true;
  in.kv_heads = 2;
  in.windows = {3, 0};
  const GridScene scene = build_grid_scene(in);
  EXPECT_EQ(scene.style.windows, (std::vector<int>{3, 0}));
  EXPECT_EQ(count_text(scene.figure, "L0 local"), 1u);
  EXPECT_EQ(count_text(scene.figure, "L1 global"), 1u);
  EXPECT_EQ(count_text(scene.figure, "kv 1"), 1u);
  EXPECT_EQ(count_text(scene.figure, "outside the window (the last 3 keys are seen)"), 1u);
  EXPECT_GT(scene.figure.height, scene.tiles.back().rect.y1 + 10.0f) << "room for the legend";
  in.windows = {3, 5};  // different windows: the legend does not name one
  EXPECT_EQ(count_text(build_grid_scene(in).figure, "keys are seen"), 0u);
  in.windows = {0, 0};
  const GridScene global = build_grid_scene(in);
  EXPECT_TRUE(global.style.windows.empty());
  EXPECT_EQ(count_text(global.figure, "outside the window"), 0u);
  EXPECT_EQ(count_text(global.figure, "global"), 0u) << "nothing to tell apart";
}

}  // namespace
}  // namespace attnviz

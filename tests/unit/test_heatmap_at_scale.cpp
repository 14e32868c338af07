// The heatmap of a long text (issue 13): the pooled overview equals a max (or mean) over the
// materialized map, the region a zoom refines to equals the map's cells, hover reads the exact
// weight, the plan follows the zoom, and the picture (screen scene and exported figure) says
// it is pooled. On a random GQA model with a sliding window at T = 4096 (weights on demand).
//
// Legend: T tokens, B cells per pooled block side, N = ceil(T / B).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <variant>

#include "core/export/figures.h"
#include "core/transformer_model.h"
#include "core/view/font.h"
#include "core/view/heatmap_values.h"
#include "core/view/map_scene.h"
#include "core/view/view_weights.h"
#include "core/view/weight_minimap.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

constexpr int kTokens = 4096;

std::shared_ptr<const AttentionTrace> long_trace() {
  static const std::shared_ptr<const AttentionTrace> trace = [] {
    LoadOptions load;
    load.require_tokenizer = false;
    const std::shared_ptr<Model> fixture = test::fixture_model("modern/mistral-tiny", load);
    EXPECT_TRUE(fixture);
    ModelConfig config = fixture->config();
    config.max_positions = std::max(config.max_positions, kTokens);
    auto model = TransformerModel::random(config, 7, ids_only_tokenizer(config.vocab_size, "t"));
    std::mt19937 random(11);
    std::vector<Token> tokens(kTokens);
    for (Token& token : tokens) token.id = static_cast<int32_t>(random() % config.vocab_size);
    RunOptions options;  // kAuto: a text this long keeps q, k and the lse, not the weights
    std::shared_ptr<const AttentionTrace> run = test::run_ok(*model, tokens, options);
    return run;
  }();
  return trace;
}

ViewSpec spec_for(HeadMode mode, int layer, int head, int heads) {
  ViewSpec spec;
  spec.kind = ViewKind::kHeatmap;
  spec.head_mode = mode;
  spec.layer = layer;
  spec.head = head;
  spec.enabled_heads.assign(heads, 1);
  if (heads > 2) spec.enabled_heads[1] = 0;  // a gap, so "enabled" matters
  return spec;
}

// The (N, N) max or mean of B x B blocks of a dense (T, T) map, cells past T left out.
std::vector<double> pool_naive(const std::vector<float>& map, int t, int block, bool max) {
  const int n = (t + block - 1) / block;
  std::vector<double> out(static_cast<size_t>(n) * n, 0.0);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      double value = 0.0;
      int cells = 0;
      for (int q = r * block; q < std::min(t, (r + 1) * block); ++q)
        for (int k = c * block; k < std::min(t, (c + 1) * block); ++k, ++cells) {
          const double w = map[static_cast<size_t>(q) * t + k];
          value = max ? std::max(value, w) : value + w;
        }
      out[static_cast<size_t>(r) * n + c] = max ? value : value / cells;
    }
  return out;
}

TEST(HeatmapAtScale, PooledOverviewIsAMaxOrMeanOfTheMaterializedMap) {
  const auto trace = long_trace();
  ASSERT_TRUE(trace);
  ASSERT_FALSE(trace->stores_weights());
  const AttentionReader reader(*trace);
  const int t = reader.tokens_count();
  ASSERT_EQ(overview_block(t), 4);
  const int last = reader.layers() - 1;
  for (const auto& [mode, layer, head] :
       std::vector<std::tuple<HeadMode, int, int>>{{HeadMode::kSingleHead, 0, 0},
                                                   {HeadMode::kSingleHead, last, reader.heads() - 1},
                                                   {HeadMode::kMeanOfHeads, last, 0},
                                                   {HeadMode::kMaxOfHeads, 0, 0},
                                                   {HeadMode::kMultiHead, last, 0}}) {
    const ViewSpec spec = spec_for(mode, layer, head, reader.heads());
    SCOPED_TRACE(view_source_label(spec, reader.heads()));
    std::vector<float> dense;  // (T, T): what the view showed before, materialized
    view_map(reader, spec, {}, dense);
    // The overview the heatmap starts from: max-pooled at screen resolution, its max exact.
    const HeatmapValues overview = heatmap_overview(reader, spec, {});
    EXPECT_TRUE(overview.pooled());
    EXPECT_EQ(overview.atlas.width, 1024);
    EXPECT_EQ(overview.max_value, map_max(dense));
    for (int block : {4, 3}) {
      for (Pooling pooling : {Pooling::kMax, Pooling::kMean}) {
        const bool max = pooling == Pooling::kMax;
        SCOPED_TRACE("block " + std::to_string(block) + (max ? " max" : " mean"));
        const HeatmapValues pooled = pooled_view_map(reader, spec, {}, block, pooling);
        const std::vector<double> want = pool_naive(dense, t, block, max);
        ASSERT_EQ(pooled.atlas.values.size(), want.size());
        ASSERT_EQ(pooled.atlas.block, block);
        double worst = 0.0;
        for (size_t i = 0; i < want.size(); ++i)
          worst = std::max(worst, std::abs(want[i] - pooled.atlas.values[i]));
        if (max) {
          EXPECT_EQ(worst, 0.0);  // max is exact: the same floats
        } else {
          EXPECT_LT(worst, 1e-6);
        }
      }
    }
  }
}

TEST(HeatmapAtScale, ZoomedRegionsAndHoverReadTheExactWeights) {
  const auto trace = long_trace();
  ASSERT_TRUE(trace);
  const AttentionReader reader(*trace);
  const int t = reader.tokens_count();
  for (HeadMode mode : {HeadMode::kSingleHead, HeadMode::kMeanOfHeads, HeadMode::kMaxOfHeads}) {
    const ViewSpec spec = spec_for(mode, 1, 2, reader.heads());
    SCOPED_TRACE(view_source_label(spec, reader.heads()));
    std::vector<float> dense;
    view_map(reader, spec, {}, dense);
    // Zoomed in on 600 x 600 pixels until a cell is a pixel: a region around the visible cells.
    const HeatmapTransform far =
        make_transform({0, 0}, {600, 600}, t, 1.0f, {0, 0});
    EXPECT_EQ(plan_heatmap(t, far).kind, HeatmapPlan::Kind::kOverview);
    const float zoom = 1.01f / fit_scale({600, 600}, t);
    const HeatmapTransform near = make_transform({0, 0}, {600, 600}, t, zoom, {3000, 3300});
    ASSERT_GE(near.scale, 1.0f);
    const HeatmapPlan plan = plan_heatmap(t, near);
    ASSERT_EQ(plan.kind, HeatmapPlan::Kind::kRegion);
    EXPECT_LE(plan.key0, 3000);
    EXPECT_LE(plan.query0, 3300);
    EXPECT_GE(plan.key0 + plan.keys, near.visible_max().x);
    EXPECT_GE(plan.query0 + plan.queries, near.visible_max().y);
    EXPECT_LE(plan.keys, 900);  // a margin, not the whole map
    // A small pan inside the region keeps it (no recompute).
    const HeatmapTransform panned = make_transform({0, 0}, {600, 600}, t, zoom, {3040, 3310});
    EXPECT_EQ(plan_heatmap(t, panned, &plan), plan);
    const HeatmapValues region = view_map_region(reader, spec, {}, plan, 0.5f);
    EXPECT_FALSE(region.pooled());
    EXPECT_EQ(region.atlas.origin_x, plan.key0);
    EXPECT_EQ(region.atlas.origin_y, plan.query0);
    EXPECT_EQ(region.max_value, 0.5f);
    for (int r = 0; r < plan.queries; ++r)
      for (int c = 0; c < plan.keys; ++c)
        ASSERT_EQ(region.atlas.values[static_cast<size_t>(r) * plan.keys + c],
                  dense[static_cast<size_t>(plan.query0 + r) * t + plan.key0 + c])
            << "query " << plan.query0 + r << " key " << plan.key0 + c;
    // Hover: the exact weight of any cell, masked ones 0, within 1e-6 of the materialized map
    // (the same bits in fact).
    std::mt19937 random(5);
    for (int i = 0; i < 2000; ++i) {
      const int q = static_cast<int>(random() % t), k = static_cast<int>(random() % t);
      const float got = view_weight(reader, spec, {}, q, k);
      EXPECT_NEAR(got, dense[static_cast<size_t>(q) * t + k], 1e-6) << q << " " << k;
      EXPECT_EQ(got, dense[static_cast<size_t>(q) * t + k]) << q << " " << k;
    }
    // The window the picture shows, in the region's texels.
    const MapWindow window = atlas_window(region, {3000, 3300, 3600, 3900});
    EXPECT_EQ(window.x0, 3000.0f - plan.key0);
    EXPECT_EQ(window.y1, 3900.0f - plan.query0);
  }
  // A region's texels know their cells: the causal mask of texel (x, y) is that of cell
  // (origin_x + x, origin_y + y).
  MapAtlas atlas;
  atlas.width = atlas.height = atlas.tile_texels = 4;
  atlas.origin_x = 100;
  atlas.origin_y = 98;
  MapStyle style;
  style.causal = true;
  EXPECT_EQ(texel_mask(atlas, style, 0, 0), MaskKind::kCausal);   // key 100 > query 98
  EXPECT_EQ(texel_mask(atlas, style, 0, 2), MaskKind::kNone);     // key 100, query 100
  EXPECT_EQ(texel_mask(atlas, style, 3, 3), MaskKind::kCausal);   // key 103 > query 101
}

bool has_text(const Figure& figure, const std::string& part) {
  for (const Shape& shape : figure.shapes)
    if (const auto* text = std::get_if<TextShape>(&shape))
      if (text->text.find(part) != std::string::npos) return true;
  return false;
}

const Font& font() {
  static const Font kFont = [] {
    Result<Font> loaded = Font::load_default();
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
    return loaded ? std::move(*loaded) : Font{};
  }();
  return kFont;
}

TEST(HeatmapAtScale, ThePictureSaysItIsPooledOnScreenAndInExports) {
  const auto trace = long_trace();
  ASSERT_TRUE(trace);
  const AttentionReader reader(*trace);
  const ViewSpec spec = spec_for(HeadMode::kSingleHead, 0, 0, reader.heads());
  HeatmapSceneInput input;
  input.reader = &reader;
  input.spec = &spec;
  input.font = &font();
  input.width = 700;
  input.height = 700;
  const HeatmapScene scene = build_heatmap_scene(input);
  EXPECT_EQ(scene.plan.kind, HeatmapPlan::Kind::kOverview);
  EXPECT_TRUE(has_text(scene.figure, "pooled (1024\u00D71024 blocks of 4 tokens, max)"));
  // The export of the same view says the same (the same scene).
  FigureSpec figure_spec;
  ViewSpec exported = spec;  // the exporter's default size: the overview's 1024 pixels
  Result<Figure> figure = build_figure(reader, exported, {}, figure_spec, font());
  ASSERT_TRUE(figure) << figure.error().message;
  EXPECT_TRUE(has_text(*figure, "pooled (1024\u00D71024 blocks of 4 tokens, max)"));
  // Zoomed in to a pixel per cell: exact values, said so.
  ViewSpec zoomed = spec;
  zoomed.picture_width = zoomed.picture_height = 700;
  zoomed.heatmap_zoom = 64.0f;
  zoomed.heatmap_pan_x = 2000;
  zoomed.heatmap_pan_y = 2100;
  Result<Figure> near = build_figure(reader, zoomed, {}, figure_spec, font());
  ASSERT_TRUE(near) << near.error().message;
  EXPECT_TRUE(has_text(*near, "exact values (zoomed in"));
  EXPECT_FALSE(has_text(*near, "pooled ("));
}

// The inspector's detail of one query: that row's scores, the same bits as the whole head's.
TEST(HeatmapAtScale, HeadDetailOfOneQueryHasThatRowOnly) {
  const auto trace = long_trace();
  ASSERT_TRUE(trace);
  const int t = trace->tokens_count();
  for (int q : {0, 1500, t - 1}) {
    const HeadDetail one = trace->head_detail(1, 3, q);
    EXPECT_EQ(one.scores.size(), static_cast<size_t>(t));
    EXPECT_TRUE(one.has_scores(q));
    EXPECT_FALSE(one.has_scores(q == 0 ? 1 : q - 1));
    // Recomputed weights from that row agree with the reader (the row's softmax).
    const float* scores = one.score_row(one.scores, q);
    const float lse = trace->row_lse(1, 3, q);
    for (int k : {0, q / 2, q}) {
      if (std::isfinite(scores[k])) {
        EXPECT_NEAR(std::exp(scores[k] - lse), trace->weight(1, 3, q, k), 1e-6);
      }
    }
  }
}

// The arcs' minimap of a late token at T = 4096: its bins add up the row (1 in all), its
// strongest keys are the row's heaviest, strongest first, and a click on a bin lands on the
// heaviest key of that bin.
TEST(ArcsAtScale, TheMinimapShowsWhereALateTokensWeightLies) {
  const auto trace = long_trace();
  ASSERT_TRUE(trace);
  const AttentionReader reader(*trace);
  const int t = reader.tokens_count();
  const ViewSpec spec = spec_for(HeadMode::kSingleHead, reader.layers() - 1, 1, reader.heads());
  const int query = t - 5;
  std::vector<float> row(t);
  query_weights(reader, spec, {}, query, spec.head, row);
  const WeightMinimap map = build_weight_minimap(row, 700, 8);
  ASSERT_EQ(map.bins.size(), 700u);
  double total = 0.0, bins = 0.0;
  for (float w : row) total += w;
  for (float b : map.bins) bins += b;
  EXPECT_NEAR(total, 1.0, 1e-4);
  EXPECT_NEAR(bins, total, 1e-4);
  for (int k = 0; k < t; ++k) {
    const int b = map.bin_of(k);
    ASSERT_GE(k, map.first_key(b)) << k;
    if (b + 1 < 700) {
      ASSERT_LT(k, map.first_key(b + 1)) << k;
    }
  }
  ASSERT_EQ(map.strongest.size(), 8u);
  std::vector<float> sorted = row;
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(map.strongest_weights[i], sorted[i]);
    EXPECT_EQ(row[map.strongest[i]], sorted[i]);
    EXPECT_LE(map.strongest[i], query);  // causal: nothing after the query
  }
  // A click on the strongest key's bin lands on it.
  const int best = map.strongest[0];
  const float fraction = (map.bin_of(best) + 0.5f) / 700.0f;
  EXPECT_EQ(minimap_key_at(map, row, fraction), best);
}

}  // namespace
}  // namespace attnviz

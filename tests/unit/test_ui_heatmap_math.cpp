// The heatmap views' arithmetic without GL: zoom/pan transforms, hit-testing, label thinning,
// colour-bar ticks, the aggregate maps the heatmap uploads (against naive loops), thumbnails,
// the inspector's score arithmetic and the cost panel's numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include <memory>

#include "core/view/map_geometry.h"
#include "core/view/text.h"
#include "core/view/view_weights.h"
#include "core/view_trace.h"
#include "ui/panel_cost.h"
#include "ui/panel_inspector.h"

namespace attnviz::ui {
namespace {

// A trace (L=2, H=3, T tokens) with random normalized rows and random Q/K/V (C=12, D=4).
AttentionTrace make_trace(bool causal = true, int tokens = 6) {
  std::vector<Token> list;
  for (int i = 0; i < tokens; ++i) list.push_back(Token{i % 3, letter_number('t', i % 3)});
  AttentionTrace trace(list, 2, 3, causal);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(0.01f, 1.0f);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h)
      for (int q = 0; q < tokens; ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0.0f;
        for (float& w : row) sum += (w = uniform(rng));
        for (float& w : row) w /= sum;
      }
  trace.set_qkv_shape(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int l = 0; l < 2; ++l)
    for (float& v : trace.mutable_qkv(l)) v = normal(rng);
  trace.set_score_scales({0.5f, 0.5f});
  return trace;
}

// "" when equal within tolerance, else the max difference and where, for failure messages.
std::string compare(const std::vector<float>& got, const std::vector<float>& want,
                    float tolerance) {
  if (got.size() != want.size())
    return "size " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  float worst = 0.0f;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > worst) {
      worst = std::abs(got[i] - want[i]);
      at = i;
    }
  }
  if (worst <= tolerance) return "";
  return "max difference " + std::to_string(worst) + " at index " + std::to_string(at) + " (got " +
         std::to_string(got[at]) + ", want " + std::to_string(want[at]) + ")";
}

TEST(HeatmapTransform, FitCentresTheMapOnTheLongAxis) {
  const HeatmapTransform t = make_transform({100, 50}, {400, 300}, 10, 1.0f, {5, 5});
  EXPECT_FLOAT_EQ(t.scale, 30.0f);
  EXPECT_NEAR(t.pan.x, -(400.0f / 30.0f - 10.0f) / 2.0f, 1e-5f);  // centred horizontally
  EXPECT_FLOAT_EQ(t.pan.y, 0.0f);
  const Point corner = t.screen_at({0, 0});
  EXPECT_NEAR(corner.x, 100.0f + 50.0f, 1e-3f);
  EXPECT_NEAR(corner.y, 50.0f, 1e-3f);
  const Point back = t.cell_at(t.screen_at({3.25f, 7.5f}));
  EXPECT_NEAR(back.x, 3.25f, 1e-5f);
  EXPECT_NEAR(back.y, 7.5f, 1e-5f);
}

TEST(HeatmapTransform, ZoomKeepsTheCellUnderTheCursor) {
  const HeatmapTransform before = make_transform({0, 0}, {500, 500}, 100, 1.0f, {0, 0});
  const Point cursor = {320.0f, 140.0f};
  const Point anchor = before.cell_at(cursor);
  const ZoomPan zoomed = zoom_around(before, 1.0f, cursor, 4.0f);
  EXPECT_FLOAT_EQ(zoomed.zoom, 4.0f);
  const HeatmapTransform after = make_transform({0, 0}, {500, 500}, 100, zoomed.zoom, zoomed.pan);
  const Point still = after.cell_at(cursor);
  EXPECT_NEAR(still.x, anchor.x, 1e-3f);
  EXPECT_NEAR(still.y, anchor.y, 1e-3f);
  // Zoom is clamped: never below fit, never above max_cell_pixels per cell (fit = 5 px).
  EXPECT_FLOAT_EQ(zoom_around(after, zoomed.zoom, cursor, 1e-3f).zoom, 1.0f);
  EXPECT_FLOAT_EQ(zoom_around(after, zoomed.zoom, cursor, 1e3f, 64.0f).zoom, 64.0f / 5.0f);
}

TEST(HeatmapTransform, PanStaysOnTheMap) {
  const HeatmapTransform t = make_transform({0, 0}, {300, 300}, 100, 5.0f, {10, 10});
  EXPECT_FLOAT_EQ(t.scale, 15.0f);
  const Point dragged = pan_by_drag(t, {30.0f, -45.0f});  // map follows the mouse
  EXPECT_NEAR(dragged.x, 8.0f, 1e-4f);
  EXPECT_NEAR(dragged.y, 13.0f, 1e-4f);
  const Point far = pan_by_drag(t, {1e6f, -1e6f});
  EXPECT_FLOAT_EQ(far.x, 0.0f);
  EXPECT_FLOAT_EQ(far.y, 100.0f - 300.0f / 15.0f);
}

TEST(HeatmapTransform, HitTestFindsCellsAndRejectsOutside) {
  const HeatmapTransform t = make_transform({10, 20}, {400, 200}, 4, 1.0f, {0, 0});
  // 200 px high -> 50 px cells; 400 wide -> centred, the map spans x = 110 .. 310.
  EXPECT_EQ(hit_test(t, {110.0f, 20.0f}), (Cell{0, 0}));
  EXPECT_EQ(hit_test(t, {309.9f, 219.9f}), (Cell{3, 3}));
  EXPECT_EQ(hit_test(t, {160.0f, 120.0f}), (Cell{2, 1}));
  EXPECT_FALSE(hit_test(t, {109.0f, 50.0f}));   // left of the centred map
  EXPECT_FALSE(hit_test(t, {311.0f, 50.0f}));   // right of it
  EXPECT_FALSE(hit_test(t, {200.0f, 221.0f}));  // below the rectangle
  EXPECT_FALSE(hit_test(t, {5.0f, 50.0f}));     // outside the rectangle
}

TEST(HeatmapLabels, StrideIsARoundNumberThatFits) {
  EXPECT_EQ(label_stride(20.0f, 15.0f), 1);
  EXPECT_EQ(label_stride(15.0f, 15.0f), 1);
  EXPECT_EQ(label_stride(10.0f, 15.0f), 2);
  EXPECT_EQ(label_stride(3.0f, 15.0f), 5);
  EXPECT_EQ(label_stride(1.0f, 15.0f), 20);
  EXPECT_EQ(label_stride(0.5f, 15.0f), 50);
  EXPECT_EQ(label_stride(0.04f, 15.0f), 500);
  for (float cell = 0.05f; cell < 40.0f; cell *= 1.3f)
    EXPECT_GE(label_stride(cell, 15.0f) * cell, 15.0f - 1e-3f) << "labels overlap at " << cell;
}

TEST(HeatmapLabels, TokenLabelsEscapeAndTruncateOnCodePoints) {
  EXPECT_EQ(token_label("\n", 10), "\\n");
  EXPECT_EQ(token_label(" cat", 10), " cat");
  EXPECT_EQ(token_label("h\xC3\xA9llo w\xC3\xB6rld", 4), "h\xC3\xA9ll..");
  EXPECT_EQ(token_label("\xE2\x82\xAC\xE2\x82\xAC", 1), "\xE2\x82\xAC..");
  EXPECT_EQ(token_label("abc", 3), "abc");
}

TEST(ColourBar, TicksAreRoundAndCoverTheRange) {
  const std::vector<float> unit = colour_bar_ticks(1.0f, 6);
  ASSERT_EQ(unit.size(), 6u);
  for (size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(unit[i], 0.2f * i, 1e-6f);
  const std::vector<float> small = colour_bar_ticks(0.37f, 5);
  ASSERT_EQ(small.size(), 4u);
  EXPECT_NEAR(small.back(), 0.3f, 1e-6f);
  EXPECT_EQ(colour_bar_ticks(0.0f, 5), std::vector<float>{0.0f});
  for (float top : {0.013f, 0.5f, 0.93f, 1.0f, 7.0f}) {
    const std::vector<float> ticks = colour_bar_ticks(top, 6);
    EXPECT_LE(ticks.size(), 6u) << top;
    EXPECT_GE(ticks.size(), 2u) << top;
    EXPECT_LE(ticks.back(), top * (1 + 1e-5f)) << top;
  }
}

TEST(AggregateMaps, MatchNaiveLoops) {
  const AttentionTrace trace = make_trace();
  const int t = trace.tokens_count();
  auto naive = [&](auto combine, std::vector<std::pair<int, int>> heads) {
    std::vector<float> out(t * t, 0.0f);
    for (auto [l, h] : heads)
      for (int q = 0; q < t; ++q)
        for (int k = 0; k < t; ++k)
          out[q * t + k] = combine(out[q * t + k], trace.weight(l, h, q, k));
    return out;
  };
  auto add = [](float a, float b) { return a + b; };
  auto max = [](float a, float b) { return std::max(a, b); };
  std::vector<float> map;
  // The map a heatmap shows for a mode, layer, head and enabled heads (whole-model modes read
  // the map the engine computes, core/view_trace.h whole_model_map).
  const auto shared = std::make_shared<const AttentionTrace>(trace);
  auto build_map = [&](HeadMode mode, int layer, int head, std::vector<char> heads,
                       std::vector<float>& out) {
    ViewSpec spec;
    spec.head_mode = mode;
    spec.layer = layer;
    spec.head = head;
    spec.enabled_heads = heads.empty() ? std::vector<char>(3, 1) : heads;
    const std::vector<float> whole =
        head_mode_info(mode).whole_model
            ? whole_model_map(shared, {}, head_mode_info(mode).aggregate)
            : std::vector<float>{};
    view_map(trace, spec, whole, out);
    return spec;
  };

  build_map(HeadMode::kSingleHead, 1, 2, {}, map);
  EXPECT_EQ(compare(map, naive(add, {{1, 2}}), 0.0f), "");

  const ViewSpec mean = build_map(HeadMode::kMeanOfHeads, 1, 0, {1, 0, 1}, map);
  std::vector<float> want = naive(add, {{1, 0}, {1, 2}});
  for (float& v : want) v /= 2.0f;
  EXPECT_EQ(compare(map, want, 1e-6f), "");
  EXPECT_EQ(view_source_label(mean, 3), "layer 1 \xC2\xB7 mean of heads 0, 2");

  build_map(HeadMode::kMaxOfHeads, 0, 0, {0, 1, 1}, map);
  EXPECT_EQ(compare(map, naive(max, {{0, 1}, {0, 2}}), 0.0f), "");

  build_map(HeadMode::kMeanAllLayers, 0, 0, {}, map);
  want = naive(add, {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}});
  for (float& v : want) v /= 6.0f;
  EXPECT_EQ(compare(map, want, 1e-6f), "");

  // Rollout: R = Â_1 · Â_0 with Â_l = rows-renormalized (mean over heads of A_l + I).
  std::vector<double> rollout(t * t, 0.0);
  for (int i = 0; i < t; ++i) rollout[i * t + i] = 1.0;
  for (int l = 0; l < 2; ++l) {
    std::vector<double> step(t * t), next(t * t, 0.0);
    for (int q = 0; q < t; ++q) {
      double sum = 0.0;
      for (int k = 0; k < t; ++k) {
        double v = (q == k) ? 1.0 : 0.0;
        for (int h = 0; h < 3; ++h) v += trace.weight(l, h, q, k) / 3.0;
        step[q * t + k] = v;
        sum += v;
      }
      for (int k = 0; k < t; ++k) step[q * t + k] /= sum;
    }
    for (int i = 0; i < t; ++i)
      for (int j = 0; j < t; ++j)
        for (int m = 0; m < t; ++m) next[i * t + j] += step[i * t + m] * rollout[m * t + j];
    rollout = next;
  }
  build_map(HeadMode::kRollout, 1, 0, {}, map);
  EXPECT_EQ(compare(map, std::vector<float>(rollout.begin(), rollout.end()), 1e-5f), "");

  // Causal maps are zero above the diagonal in every mode.
  for (HeadMode mode : {HeadMode::kSingleHead, HeadMode::kMeanOfHeads, HeadMode::kMaxOfHeads,
                        HeadMode::kMeanAllLayers, HeadMode::kRollout}) {
    build_map(mode, 0, 1, {}, map);
    for (int q = 0; q < t; ++q)
      for (int k = q + 1; k < t; ++k)
        EXPECT_EQ(map[q * t + k], 0.0f) << "mode " << static_cast<int>(mode);
  }
}

TEST(Thumbnails, MaxPoolBlocks) {
  EXPECT_EQ(thumbnail_layout(1024, 128).block, 8);
  EXPECT_EQ(thumbnail_layout(1024, 128).texels, 128);
  EXPECT_EQ(thumbnail_layout(100, 128).block, 1);
  EXPECT_EQ(thumbnail_layout(100, 128).texels, 100);
  EXPECT_EQ(thumbnail_layout(129, 128).block, 2);
  EXPECT_EQ(thumbnail_layout(129, 128).texels, 65);

  const AttentionTrace trace = make_trace(true, 7);
  const Thumbnail layout = thumbnail_layout(7, 3);  // block 3, 3 texels
  ASSERT_EQ(layout.block, 3);
  std::vector<float> out(9);
  downsample_max(trace, 1, 1, layout, 2.0f, out);
  std::vector<float> want(9, 0.0f);
  for (int q = 0; q < 7; ++q)
    for (int k = 0; k <= q; ++k) {
      float& texel = want[(q / 3) * 3 + k / 3];
      texel = std::max(texel, trace.weight(1, 1, q, k) / 2.0f);
    }
  EXPECT_EQ(compare(out, want, 0.0f), "");
}

TEST(SoftmaxEntropy, MaskedKeysGetZeroAndUniformHasLogN) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> scores = {1.0f, 1.0f, -inf, 1.0f};
  const std::vector<float> p = softmax(scores, 3.0f);
  EXPECT_FLOAT_EQ(p[2], 0.0f);
  EXPECT_NEAR(p[0], 1.0f / 3.0f, 1e-6f);
  EXPECT_NEAR(entropy(p), std::log(3.0f), 1e-6f);
  EXPECT_NEAR(entropy(std::vector<float>{1.0f, 0.0f}), 0.0f, 1e-7f);
}

TEST(Inspector, ScoreArithmeticMatchesTheHeadDetail) {
  const AttentionTrace trace = make_trace();
  const HeadDetail detail = trace.head_detail(1, 2);
  const int d = detail.head_dim;
  ASSERT_EQ(d, 4);
  const ScoreArithmetic math = score_arithmetic(trace, detail, 4, 2);
  float dot = 0.0f;
  for (int i = 0; i < d; ++i) dot += detail.queries[4 * d + i] * detail.keys[2 * d + i];
  EXPECT_NEAR(math.dot, dot, 1e-5f);
  EXPECT_NEAR(math.score, detail.scores[4 * 6 + 2], 1e-5f);
  EXPECT_FALSE(math.masked);
  EXPECT_FLOAT_EQ(math.weight, trace.weight(1, 2, 4, 2));
  EXPECT_NEAR(math.max_entropy, std::log(5.0f), 1e-6f);
  // The live note: entropy with q·k/√D against unscaled q·k, from the raw dot products.
  std::vector<float> dots(6, -std::numeric_limits<float>::infinity());
  for (int k = 0; k <= 4; ++k) {
    dots[k] = 0.0f;
    for (int i = 0; i < d; ++i) dots[k] += detail.queries[4 * d + i] * detail.keys[k * d + i];
  }
  EXPECT_NEAR(math.entropy_scaled, entropy(softmax(dots, 0.5f)), 1e-5f);
  EXPECT_NEAR(math.entropy_unscaled, entropy(softmax(dots, 1.0f)), 1e-5f);
  const ScoreArithmetic masked = score_arithmetic(trace, detail, 1, 3);
  EXPECT_TRUE(masked.masked);
  EXPECT_TRUE(std::isinf(masked.score) && masked.score < 0);
  EXPECT_EQ(masked.weight, 0.0f);
}

TEST(Cost, CountsScoresAndBytes) {
  const AttentionTrace trace = make_trace();  // L=2, H=3, T=6, C=12, D=4, causal
  const AttentionCost cost = attention_cost(trace);
  EXPECT_EQ(cost.scores_per_head, 36);
  EXPECT_EQ(cost.visible_per_head, 21);
  EXPECT_EQ(cost.scores_per_layer, 108);
  EXPECT_EQ(cost.scores_total, 216);
  EXPECT_EQ(cost.memory.scores_computed, 2 * 3 * 21);
  EXPECT_EQ(cost.memory.weight_bytes, 2 * 3 * 21 * 4);
  EXPECT_EQ(cost.memory.full_weight_bytes, cost.memory.weight_bytes);
  EXPECT_EQ(cost.memory.qkv_bytes, 2 * 6 * 36 * 4);  // (L, T, 3C), G = H
  EXPECT_EQ(cost.memory.held_bytes(),
            cost.memory.weight_bytes + cost.memory.lse_bytes + cost.memory.qkv_bytes);
  EXPECT_EQ(cost.score_flops, 2 * 4 * 21 * 3 * 2);
  EXPECT_EQ(format_count(1048576), "1,048,576");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
}

TEST(Colormap, LutIsTheSharedViridisTable) {
  // matplotlib's viridis: first entry (68, 1, 84), last (253, 231, 37).
  EXPECT_EQ(viridis(0.0f), (Rgba{68, 1, 84, 255}));
  EXPECT_EQ(viridis(1.0f), (Rgba{253, 231, 37, 255}));
  const std::array<uint8_t, 768>& lut = viridis_table_rgb8();  // what the GPU uploads
  for (int i = 0; i < 256; ++i) {
    // Entry i is what the exporters paint for the value i / 255.
    const Rgba rgb = viridis(static_cast<float>(i) / 255.0f);
    ASSERT_EQ(lut[i * 3 + 0], rgb.r) << "entry " << i;
    ASSERT_EQ(lut[i * 3 + 1], rgb.g) << "entry " << i;
    ASSERT_EQ(lut[i * 3 + 2], rgb.b) << "entry " << i;
  }
}

}  // namespace
}  // namespace attnviz::ui

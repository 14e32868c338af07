// Geometry of the arcs view and token chips, headless: flow layout with wrapping (1024 tokens,
// no overlap), hit-testing against a brute-force scan, arc curves, two columns, arc picking.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/view/arc_geometry.h"

namespace attnviz::ui {
namespace {

std::vector<float> random_widths(int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> width(12.0f, 90.0f);
  std::vector<float> widths(count);
  for (float& w : widths) w = width(rng);
  return widths;
}

TEST(FlowLayout, LongTextWrapsIntoLinesWithoutOverlap) {
  const std::vector<float> widths = random_widths(1024, 7);
  FlowParams params;
  params.line_width = 700.0f;
  params.chip_height = 22.0f;
  params.gap_x = 4.0f;
  params.line_gap = 30.0f;
  params.top_margin = 50.0f;
  const FlowLayout layout = layout_flow(widths, params);
  ASSERT_EQ(layout.boxes.size(), widths.size());
  EXPECT_GT(layout.lines(), 30) << "1024 tokens of ~50 px on 700 px lines must wrap";
  for (size_t i = 0; i < layout.boxes.size(); ++i) {
    const Rect& box = layout.boxes[i];
    EXPECT_NEAR(box.width(), widths[i], 1e-4f) << "token " << i;
    EXPECT_LE(box.x1, params.line_width + 1e-3f) << "token " << i << " sticks out of its line";
    EXPECT_GE(box.y0, params.top_margin);
    if (i > 0) {
      const Rect& previous = layout.boxes[i - 1];
      const bool same_line = previous.y0 == box.y0;
      if (same_line) {
        EXPECT_GE(box.x0, previous.x1 + params.gap_x - 1e-3f) << "tokens " << i - 1 << " and " << i;
      } else {
        EXPECT_FLOAT_EQ(box.x0, 0.0f) << "a new line starts at the left edge, token " << i;
        EXPECT_FLOAT_EQ(box.y0, previous.y0 + params.chip_height + params.line_gap);
      }
    }
  }
  // Reading order and no overlap anywhere (neighbours on the same line cover the rest).
  for (size_t i = 1; i < layout.boxes.size(); ++i)
    for (size_t j = i >= 40 ? i - 40 : 0; j < i; ++j)
      ASSERT_FALSE(layout.boxes[i].overlaps(layout.boxes[j])) << "tokens " << j << " and " << i << " overlap";
  EXPECT_FLOAT_EQ(layout.height, layout.boxes.back().y1);
  EXPECT_EQ(count_flow_lines(widths, params.line_width, params.gap_x), layout.lines());
  for (int line = 0; line < layout.lines(); ++line) {
    EXPECT_EQ(layout.line_of(layout.line_first[line]), line);
  }
}

TEST(FlowLayout, TokenWiderThanTheLineGetsALineAlone) {
  const std::vector<float> widths = {30, 500, 30};
  FlowParams params;
  params.line_width = 200;
  const FlowLayout layout = layout_flow(widths, params);
  ASSERT_EQ(layout.lines(), 3);
  EXPECT_EQ(layout.line_first, (std::vector<int>{0, 1, 2}));
}

TEST(FlowLayout, EmptyText) {
  const FlowLayout layout = layout_flow({}, FlowParams{});
  EXPECT_EQ(layout.lines(), 0);
  EXPECT_FALSE(hit_test(layout, {1, 1}));
  EXPECT_EQ(layout.tokens_in_band(0, 100), (std::pair<int, int>{0, 0}));
}

TEST(HitTest, AgreesWithABruteForceScanEverywhere) {
  const std::vector<float> widths = random_widths(300, 11);
  FlowParams params;
  params.line_width = 420;
  params.line_gap = 12;
  params.top_margin = 9;
  const FlowLayout layout = layout_flow(widths, params);
  int hits = 0;
  for (float y = -5; y < layout.height + 5; y += 1.7f) {
    for (float x = -5; x < params.line_width + 5; x += 2.3f) {
      std::optional<int> expected;
      for (size_t i = 0; i < layout.boxes.size(); ++i)
        if (layout.boxes[i].contains({x, y})) expected = static_cast<int>(i);
      const auto got = hit_test(layout, {x, y});
      ASSERT_EQ(got, expected) << "at (" << x << ", " << y << ")";
      hits += got.has_value();
    }
  }
  EXPECT_GT(hits, 1000);
}

TEST(HitTest, SubWordTokensAreSeparateTargets) {
  // " erod" + "ing" are two chips side by side: a click on each finds its own token.
  const std::vector<float> widths = {40, 30, 25};
  FlowParams params;
  params.gap_x = 2;
  const FlowLayout layout = layout_flow(widths, params);
  EXPECT_EQ(hit_test(layout, {41.0f, 5.0f}), std::nullopt) << "the gap belongs to no token";
  EXPECT_EQ(hit_test(layout, {43.0f, 5.0f}), 1);
  EXPECT_EQ(hit_test(layout, {75.0f, 5.0f}), 2);
}

TEST(FlowLayout, BandListsExactlyTheTokensOfVisibleLines) {
  const std::vector<float> widths = random_widths(500, 3);
  FlowParams params;
  params.line_width = 300;
  const FlowLayout layout = layout_flow(widths, params);
  const float y0 = 200, y1 = 400;
  auto [first, last] = layout.tokens_in_band(y0, y1);
  for (int i = 0; i < static_cast<int>(layout.boxes.size()); ++i) {
    const Rect& box = layout.boxes[i];
    const bool visible = box.y1 > y0 && box.y0 < y1;
    if (visible) {
      EXPECT_TRUE(i >= first && i < last) << "visible token " << i << " not in the band";
    }
  }
  EXPECT_LT(last - first, 200) << "the band must not list the whole text";
}

TEST(Arcs, FlowArcRisesAboveBothChipsAndEndsOnTheirTops) {
  const Rect query{300, 100, 340, 120}, key{20, 100, 60, 120};
  const Bezier curve = flow_arc(query, key, 80);
  EXPECT_FLOAT_EQ(curve.p0.x, query.center_x());
  EXPECT_FLOAT_EQ(curve.p0.y, query.y0);
  EXPECT_FLOAT_EQ(curve.p1.x, key.center_x());
  EXPECT_FLOAT_EQ(curve.p1.y, key.y0);
  float highest = 1e9f;
  for (int i = 0; i <= 50; ++i) highest = std::min(highest, bezier_point(curve, i / 50.0f).y);
  EXPECT_LT(highest, query.y0 - 10) << "the arc must rise above the chips";
  EXPECT_GE(highest, query.y0 - 80) << "the arc must stay under its maximum height";
  // A nearer key gives a lower arc, so nested arcs do not cross at their tops.
  const Bezier near = flow_arc(query, Rect{250, 100, 290, 120}, 80);
  EXPECT_GT(near.c0.y, curve.c0.y);
}

TEST(Arcs, ArcToAnotherLineEndsOnTheKeyFromAbove) {
  const Rect query{300, 200, 340, 220}, key{20, 100, 60, 120};
  const Bezier curve = flow_arc(query, key, 60);
  EXPECT_FLOAT_EQ(curve.p1.x, key.center_x());
  EXPECT_FLOAT_EQ(curve.p1.y, key.y0);
  EXPECT_LT(curve.c1.y, key.y0) << "lands on the key from above";
  EXPECT_LT(curve.c0.y, query.y0) << "leaves the query upwards";
  // Just before landing, the curve is above the key's top edge (it does not cross the chip).
  EXPECT_LT(bezier_point(curve, 0.95f).y, key.y0);
}

TEST(Arcs, SelfAttentionIsASmallLoop) {
  const Rect chip{100, 50, 140, 70};
  const Bezier loop = flow_arc(chip, chip, 60);
  EXPECT_LT(loop.p0.x, loop.p1.x);
  EXPECT_LT(loop.c0.y, chip.y0);
}

TEST(Arcs, DistanceToCurve) {
  const Bezier line{{0, 0}, {10, 0}, {20, 0}, {30, 0}};
  EXPECT_NEAR(distance_to_bezier(line, {15, 4}), 4.0f, 0.05f);
  EXPECT_NEAR(distance_to_bezier(line, {40, 0}), 10.0f, 1e-4f);
}

TEST(Columns, RowsAlignAndHitTestFindsTheColumn) {
  ColumnsParams params;
  params.left_x = 10;
  params.column_width = 100;
  params.gap = 200;
  params.row_height = 20;
  const ColumnsLayout layout = layout_columns(1024, params);
  ASSERT_EQ(layout.queries.size(), 1024u);
  EXPECT_FLOAT_EQ(layout.height, 1024 * 20.0f);
  EXPECT_EQ(hit_test_columns(layout, {50, 45}), (std::pair<int, int>{0, 2}));
  EXPECT_EQ(hit_test_columns(layout, {350, 45}), (std::pair<int, int>{1, 2}));
  EXPECT_EQ(hit_test_columns(layout, {200, 45}), std::nullopt) << "between the columns";
  EXPECT_EQ(hit_test_columns(layout, {50, 1024 * 20.0f + 1}), std::nullopt);
  const Bezier curve = column_arc(layout.queries[5], layout.keys[0]);
  EXPECT_FLOAT_EQ(curve.p0.x, 110);
  EXPECT_FLOAT_EQ(curve.p1.x, 310);
}

TEST(PickArcs, ThresholdThenTopKStrongestFirst) {
  const std::vector<float> row = {0.05f, 0.4f, 0.0f, 0.2f, 0.2f, 0.15f};
  auto picks = pick_arcs(row, 0.1f, 3);
  ASSERT_EQ(picks.size(), 3u);
  EXPECT_EQ(picks[0].key, 1);
  EXPECT_EQ(picks[1].key, 3) << "ties keep the lower key first";
  EXPECT_EQ(picks[2].key, 4);
  EXPECT_FLOAT_EQ(picks[0].weight, 0.4f);
  EXPECT_EQ(pick_arcs(row, 0.1f, 0).size(), 4u) << "top_k 0 means no limit";
  EXPECT_TRUE(pick_arcs(row, 0.5f, 10).empty());
  EXPECT_EQ(pick_arcs(row, 0.0f, 100).size(), 5u) << "exact zeros (masked) are never arcs";
}

TEST(PickArcs, LongRowKeepsOnlyTopK) {
  std::vector<float> row(1024);
  for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<float>(i) / 1024.0f / 512.0f;
  auto picks = pick_arcs(row, 0.0f, 48);
  ASSERT_EQ(picks.size(), 48u);
  EXPECT_EQ(picks.front().key, 1023);
  EXPECT_EQ(picks.back().key, 1023 - 47);
}

TEST(ArcStyle, StrongerIsThickerAndMoreOpaque) {
  EXPECT_LT(arc_thickness(0.01f, 1), arc_thickness(0.5f, 1));
  EXPECT_LT(arc_alpha(0.01f), arc_alpha(0.9f));
  EXPECT_FLOAT_EQ(arc_thickness(0.5f, 2), 2 * arc_thickness(0.5f, 1));
  EXPECT_LE(arc_alpha(5.0f), 1.0f);
}

TEST(ChipLabel, ShowsWhitespaceAndDropsTheWordSpace) {
  auto label = [](std::string text) { return chip_label(Token{0, std::move(text), 0, 0, false}); };
  EXPECT_EQ(label(" bank"), "bank");
  EXPECT_EQ(label("\n"), "\xE2\x8F\x8E");
  EXPECT_EQ(label("\t"), "\xE2\x86\x92");
  EXPECT_EQ(label(" "), "\xE2\x90\xA3");
  EXPECT_EQ(label(""), "\xE2\x88\x85");
  EXPECT_EQ(label("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(chip_label(Token{0, "abcdefghij", 0, 0, false}, 4), "abcd\xE2\x80\xA6");
  // Multi-byte characters are never cut in half.
  EXPECT_EQ(chip_label(Token{0, "\xD0\xB4\xD0\xB0\xD0\xBD", 0, 0, false}, 2), "\xD0\xB4\xD0\xB0\xE2\x80\xA6");
}

}  // namespace
}  // namespace attnviz::ui

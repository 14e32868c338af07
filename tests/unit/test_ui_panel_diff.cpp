// The diff panel's logic without a window: the map the view asks of each side (clamped to a
// second model), and the colour images of the maps. The second run itself is the engine's
// (test_engine.cpp).
//
// Legend: L layers, H heads, T tokens. Maps are dense (T, T), rows = queries.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/analysis/aggregate.h"
#include "core/analysis/diff.h"
#include "core/view/view_weights.h"
#include "ui/panel_diff.h"

namespace attnviz::ui {
namespace {

std::array<int, 3> pixel(const std::vector<uint8_t>& rgba, int size, int x, int y) {
  const size_t at = (static_cast<size_t>(y) * size + x) * 4;
  return {rgba[at], rgba[at + 1], rgba[at + 2]};
}

TEST(DiffImages, DivergingIsWhiteAtZeroRedAboveBlueBelow) {
  // (2, 2) map: 0, +1, -1, +0.5 with the scale ending at 1.
  const std::vector<float> map = {0.0f, 1.0f, -1.0f, 0.5f};
  const int size = 8;  // 4 pixels per cell
  const auto rgba = diverging_image(map, 2, size, 1.0f);
  ASSERT_EQ(rgba.size(), 8u * 8u * 4u);
  const auto zero = pixel(rgba, size, 1, 1), plus = pixel(rgba, size, 6, 1);
  const auto minus = pixel(rgba, size, 1, 6), half = pixel(rgba, size, 6, 6);
  EXPECT_GT(zero[0], 240);
  EXPECT_GT(zero[2], 240);
  EXPECT_GT(plus[0], 150);
  EXPECT_LT(plus[2], 60);  // red
  EXPECT_LT(minus[0], 60);
  EXPECT_GT(minus[2], 150);     // blue
  EXPECT_GT(half[0], plus[0]);  // paler red, between white and red
  EXPECT_GT(half[2], plus[2]);
  // Every pixel of a cell has the cell's colour (blocks, no blending across cells).
  EXPECT_EQ(pixel(rgba, size, 4, 0), pixel(rgba, size, 7, 3));
}

TEST(DiffImages, SequentialScalesByTheMaximumAndSamplesLargeMaps) {
  const std::vector<float> map = {0.0f, 0.25f, 0.25f, 0.0f};
  const auto scaled = sequential_image(map, 2, 2, 0.25f);
  const Rgba top = viridis(1.0f);  // the registry's weight map, as every heatmap
  EXPECT_EQ(pixel(scaled, 2, 1, 0)[0], top.r);
  EXPECT_EQ(pixel(scaled, 2, 1, 0)[1], top.g);
  // A (4, 4) map in 2x2 pixels takes every other cell.
  std::vector<float> big(16, 0.0f);
  big[2 * 4 + 2] = 1.0f;  // query 2, key 2 -> pixel (1, 1)
  const auto sampled = sequential_image(big, 4, 2, 1.0f);
  EXPECT_EQ(pixel(sampled, 2, 1, 1)[1], top.g);
  EXPECT_NE(pixel(sampled, 2, 0, 0), pixel(sampled, 2, 1, 1));
}

TEST(DiffChoice, FollowsTheViewAndClampsToTheSecondModel) {
  ViewSpec view;
  view.layer = 1;
  view.head = 3;
  view.head_mode = HeadMode::kSingleHead;
  view.enabled_heads = {1, 0, 1, 0};
  auto choice_for = [&view](int layers, int heads, std::string* note = nullptr) {
    return choice_within(aggregate_choice(view, 2, 4), 4, layers, heads, note);
  };
  AggregateChoice choice = choice_for(2, 4);
  EXPECT_EQ(choice.mode, AggregateMode::kHead);
  EXPECT_EQ(choice.layer, 1);
  EXPECT_EQ(choice.head, 3);
  view.head_mode = HeadMode::kMaxOfHeads;
  choice = choice_for(2, 4);
  EXPECT_EQ(choice.mode, AggregateMode::kLayerMax);
  EXPECT_EQ(choice.heads, (std::vector<int>{0, 2}));
  view.head_mode = HeadMode::kRollout;
  EXPECT_EQ(choice_for(2, 4).mode, AggregateMode::kRollout);

  view.head_mode = HeadMode::kSingleHead;  // a second model of 1 layer x 2 heads
  std::string note;
  choice = choice_for(1, 2, &note);
  EXPECT_EQ(choice.layer, 0);
  EXPECT_EQ(choice.head, 1);
  EXPECT_NE(note.find("1 layers x 2 heads"), std::string::npos) << note;
  view.head_mode = HeadMode::kMeanOfHeads;  // a second model with more heads: the new ones count
  EXPECT_EQ(choice_for(2, 6).heads, (std::vector<int>{0, 2, 4, 5}));
}

}  // namespace
}  // namespace attnviz::ui

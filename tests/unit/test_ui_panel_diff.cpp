// The diff panel's logic without a window: the map the view shows for a trace, the colour
// images of the maps, and the background runner against a direct run of the fixture model.
//
// Legend: L layers, H heads, T tokens. Maps are dense (T, T), rows = queries.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/analysis/aggregate.h"
#include "ui/palette.h"
#include "ui/panel_diff.h"

namespace attnviz::ui {
namespace {

const std::filesystem::path kGpt2 =
    std::filesystem::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny" / "model";

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
  const Rgba top = weight_color(1.0f);
  EXPECT_EQ(pixel(scaled, 2, 1, 0)[0], static_cast<int>(std::lround(255 * top.r)));
  EXPECT_EQ(pixel(scaled, 2, 1, 0)[1], static_cast<int>(std::lround(255 * top.g)));
  // A (4, 4) map in 2x2 pixels takes every other cell.
  std::vector<float> big(16, 0.0f);
  big[2 * 4 + 2] = 1.0f;  // query 2, key 2 -> pixel (1, 1)
  const auto sampled = sequential_image(big, 4, 2, 1.0f);
  EXPECT_EQ(pixel(sampled, 2, 1, 1)[1], static_cast<int>(std::lround(255 * top.g)));
  EXPECT_NE(pixel(sampled, 2, 0, 0), pixel(sampled, 2, 1, 1));
}

TEST(DiffChoice, FollowsTheViewAndClampsToTheSecondModel) {
  AttentionTrace trace(std::vector<Token>(3), 2, 4, true);
  ViewState view;
  view.layer = 1;
  view.head = 3;
  view.enabled_heads = {1, 0, 1, 0};
  AggregateChoice choice = choice_for_view(view, trace);
  EXPECT_EQ(choice.mode, AggregateMode::kHead);
  EXPECT_EQ(choice.layer, 1);
  EXPECT_EQ(choice.head, 3);
  view.head_mode = HeadMode::kMaxOfHeads;
  choice = choice_for_view(view, trace);
  EXPECT_EQ(choice.mode, AggregateMode::kLayerMax);
  EXPECT_EQ(choice.heads, (std::vector<int>{0, 2}));
  view.head_mode = HeadMode::kRollout;
  EXPECT_EQ(choice_for_view(view, trace).mode, AggregateMode::kRollout);

  AttentionTrace smaller(std::vector<Token>(3), 1, 2, true);  // 1 layer x 2 heads
  view.head_mode = HeadMode::kSingleHead;
  std::string note;
  choice = choice_for_view(view, smaller, &note);
  EXPECT_EQ(choice.layer, 0);
  EXPECT_EQ(choice.head, 1);
  EXPECT_NE(note.find("1 layers x 2 heads"), std::string::npos) << note;
}

// The runner's trace equals a direct run of the same model on the same text, and a newer
// request replaces an older one.
TEST(DiffRunner, RunsOnItsThreadLikeADirectRun) {
  auto model = Model::load(kGpt2);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const std::string text = "The bank by the river was eroding.";
  auto tokens = (*model)->tokenizer().encode(text);
  ASSERT_TRUE(tokens.ok());
  RunOptions options;
  options.keep_qkv = false;
  auto direct = (*model)->run(*tokens, options);
  ASSERT_TRUE(direct.ok());

  DiffRunner runner({});
  runner.request(kGpt2, "an older request that the next one replaces");
  const uint64_t id = runner.request(kGpt2, text);
  std::optional<DiffRunner::Result> result;
  for (int i = 0; i < 600 && !result; ++i) {  // up to a minute on a loaded machine
    result = runner.take();
    if (!result) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(result.has_value()) << "no result from the runner";
  EXPECT_EQ(result->id, id);
  ASSERT_TRUE(result->trace) << result->error;
  const AttentionTrace& got = *result->trace;
  ASSERT_EQ(got.tokens_count(), (*direct)->tokens_count());
  const std::vector<float> a = got.dense(), b = (*direct)->dense();
  float worst = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  EXPECT_LE(worst, 1e-6f) << "max difference " << worst;
}

TEST(DiffRunner, ReportsABadFolder) {
  DiffRunner runner({});
  runner.request("/nonexistent/model/folder", "text");
  std::optional<DiffRunner::Result> result;
  for (int i = 0; i < 600 && !result; ++i) {
    result = runner.take();
    if (!result) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->trace);
  EXPECT_NE(result->error.find("/nonexistent/model/folder"), std::string::npos) << result->error;
}

}  // namespace
}  // namespace attnviz::ui

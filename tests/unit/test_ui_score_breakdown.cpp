// The inspector's score breakdown on every modern fixture: the score of each (query, key) pair
// recomputed from the rotated q and k (soft-capped where Gemma 2 caps), the position
// difference RoPE rotated by, the kv head a query head shares, and the window mask. Softmax of a
// row of breakdown scores must give the trace's stored weights within 1e-5.
//
// Legend: L layers, H query heads, G kv heads, T tokens.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>

#include "core/transformer_model.h"
#include "model_test_support.h"
#include "ui/panel_inspector.h"

namespace attnviz {
namespace {

class ScoreBreakdown : public ::testing::TestWithParam<std::string> {};

TEST_P(ScoreBreakdown, SoftmaxOfBreakdownScoresIsTheStoredRow) {
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model("modern/" + GetParam(), load);
  ASSERT_TRUE(model);
  const SafetensorsFile reference = test::open_reference("modern/" + GetParam());
  // The longest reference text, so windowed layers have keys outside the window.
  std::vector<Token> tokens;
  for (int i = 0; i < test::reference_texts(reference); ++i) {
    std::vector<Token> text = test::reference_tokens(reference, i);
    if (text.size() > tokens.size()) tokens = std::move(text);
  }
  auto trace = test::run_ok(*model, tokens, RunOptions{});
  ASSERT_TRUE(trace);
  const int t = trace->tokens_count();
  double worst = 0.0;
  int pairs = 0, windowed = 0, capped = 0, rotated = 0;
  for (int l = 0; l < trace->layers(); ++l) {
    for (int h : {0, trace->heads() - 1}) {
      const HeadDetail detail = trace->head_detail(l, h);
      for (int q = 0; q < t; ++q) {
        std::vector<ui::ScoreArithmetic> row;
        float top = -std::numeric_limits<float>::infinity();
        for (int k = 0; k < t; ++k) {
          row.push_back(ui::score_arithmetic(*trace, detail, q, k));
          const ui::ScoreArithmetic& math = row.back();
          EXPECT_EQ(math.position_difference, q - k);
          EXPECT_EQ(math.kv_head, trace->kv_head_of(h));
          EXPECT_LE(math.group_first, h);
          EXPECT_LT(h, math.group_first + math.group_size);
          EXPECT_EQ(math.group_size, trace->heads() / trace->kv_heads());
          EXPECT_EQ(math.masked, !trace->rule(l).visible(q, k));
          if (math.outside_window) {
            ++windowed;
            EXPECT_GT(math.window, 0);
            EXPECT_EQ(trace->weight(l, h, q, k), 0.0f);
          }
          if (math.masked) continue;
          if (math.softcap > 0.0f) {
            ++capped;
            const float rule_after = trace->rule(l).after_cap;
            EXPECT_NEAR(math.score,
                        math.softcap * std::tanh(math.score_before_cap / math.softcap) * rule_after,
                        1e-4f);
            EXPECT_NEAR(math.score_before_cap, math.dot * math.score_scale, 1e-4f);
          } else {
            EXPECT_NEAR(math.score, math.dot * math.score_scale, 1e-4f);
          }
          if (math.rotary_dims > 0) {
            ++rotated;
            EXPECT_GT(math.q_norm_before, 0.0f);
            EXPECT_GT(math.k_norm_before, 0.0f);
          }
          top = std::max(top, math.score);
        }
        double sum = 0.0;
        for (const auto& math : row)
          if (!math.masked) sum += std::exp(static_cast<double>(math.score - top));
        for (int k = 0; k < t; ++k) {
          const double p =
              row[k].masked ? 0.0 : std::exp(static_cast<double>(row[k].score - top)) / sum;
          worst = std::max(worst, std::abs(p - static_cast<double>(trace->weight(l, h, q, k))));
          EXPECT_FLOAT_EQ(row[k].weight, trace->weight(l, h, q, k));
          ++pairs;
        }
      }
    }
  }
  EXPECT_LT(worst, 1e-5) << "softmax(breakdown scores) vs stored weights";
  EXPECT_GT(pairs, 0);
  EXPECT_GT(rotated, 0) << "every modern fixture uses RoPE";
  std::cout << GetParam() << ": " << pairs << " pairs, worst " << worst << ", " << windowed
            << " outside the window, " << capped << " soft-capped\n";
  if (GetParam() == "gemma2-tiny") {
    EXPECT_GT(capped, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ScoreBreakdown,
                         ::testing::Values("llama3-tiny", "mistral-tiny", "qwen2-tiny",
                                           "qwen3-tiny", "gemma2-tiny", "gemma3-tiny", "phi3-tiny",
                                           "gpt-neox-tiny"),
                         test::DashesToUnderscores());

}  // namespace
}  // namespace attnviz

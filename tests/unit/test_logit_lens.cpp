// The logit lens (issue 14) against tests/data/logit_lens.json, written by the independent
// PyTorch computation tests/reference/logit_lens_reference.py --write, on gpt2-tiny, llama3-tiny
// (grouped-query attention, bf16), gemma2-tiny ((1 + w) norm, soft-capped logits) and
// gpt-neox-tiny (untied head): every row and position's top tokens and the probability of the
// token that follows. Its last row is the model's own predictions; models without an LM head,
// runs without their residual stream and bad windows are refused; the pin's window.
//
// Legend: L layers, T tokens.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/analysis/logit_lens.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::tokens_of;

const nlohmann::json& expected() {
  static const nlohmann::json json = test::read_fixture_json("logit_lens.json");
  return json;
}

std::shared_ptr<const AttentionTrace> run_keeping_stream(Model& model,
                                                         const std::vector<Token>& tokens) {
  RunOptions options;
  options.keep_hidden_states = true;
  return test::run_ok(model, tokens, options);
}

class LogitLensReference : public ::testing::TestWithParam<std::string> {};

TEST_P(LogitLensReference, EveryCellMatchesTheTorchReference) {
  const nlohmann::json& want = expected().at(GetParam());
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model(GetParam(), load);
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(want.at("input_ids"));
  auto trace = run_keeping_stream(*model, tokens);
  ASSERT_TRUE(trace);
  const int t = trace->tokens_count(), k = want.at("top_k").get<int>();
  auto lens = logit_lens(*model, *trace, 0, t - 1, k);
  ASSERT_TRUE(lens.ok()) << lens.error().message;
  ASSERT_EQ(lens->rows, model->config().layers + 1);
  ASSERT_EQ(lens->rows, static_cast<int>(want.at("rows").size()));

  double worst = 0.0;
  int cells = 0, near_ties = 0;
  for (int row = 0; row < lens->rows; ++row) {
    for (int q = 0; q < t; ++q) {
      const nlohmann::json& ref = want.at("rows")[row][q];
      const LensCell& cell = lens->at(row, q);
      ASSERT_EQ(static_cast<int>(cell.top.size()), k);
      for (int r = 0; r < k; ++r) {
        const double p = ref.at("top")[r][1].get<double>();
        worst = std::max(worst, std::abs(cell.top[r].probability - p));
        if (cell.top[r].id == ref.at("top")[r][0].get<int>()) continue;
        // Two tokens within float32 rounding of each other may swap ranks; nothing else may.
        const double above = r > 0 ? ref.at("top")[r - 1][1].get<double>() : 2.0;
        const double below = r + 1 < k ? ref.at("top")[r + 1][1].get<double>() : -1.0;
        EXPECT_TRUE(std::abs(above - p) < 1e-5 || std::abs(below - p) < 1e-5)
            << GetParam() << " row " << row << " position " << q << " rank " << r << ": id "
            << cell.top[r].id << ", the reference's " << ref.at("top")[r][0];
        ++near_ties;
      }
      if (ref.at("next").is_null()) {
        EXPECT_TRUE(std::isnan(cell.next)) << "position " << q << " has no next token";
      } else {
        worst = std::max(worst, std::abs(cell.next - ref.at("next").get<double>()));
      }
      ++cells;
    }
  }
  EXPECT_LE(worst, 1e-5) << GetParam();
  std::printf("%s: %d cells, probabilities within %.2e of the reference, %d near-tie swaps\n",
              GetParam().c_str(), cells, worst, near_ties);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LogitLensReference,
                         ::testing::Values("gpt2-tiny", "modern/llama3-tiny", "modern/gemma2-tiny",
                                           "modern/gpt-neox-tiny"),
                         [](const auto& info) {
                           std::string name = info.param.substr(info.param.rfind('/') + 1);
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(LogitLens, TheLastRowIsTheModelsOwnPrediction) {
  const std::shared_ptr<Model> model = test::fixture_model("gpt2-tiny");
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(expected().at("gpt2-tiny").at("input_ids"));
  auto trace = run_keeping_stream(*model, tokens);
  ASSERT_TRUE(trace);
  const int t = trace->tokens_count();
  // A window inside the text reads the same cells as the whole text does.
  auto whole = logit_lens(*model, *trace, 0, t - 1, 5);
  auto window = logit_lens(*model, *trace, 2, 5, 5);
  ASSERT_TRUE(whole.ok() && window.ok());
  for (int q = 0; q <= t - 1; ++q) {
    const LensCell& cell = whole->at(whole->rows - 1, q);
    ASSERT_GE(trace->predictions[q].size(), 5u);
    for (int r = 0; r < 5; ++r) {
      EXPECT_EQ(cell.top[r].id, trace->predictions[q][r].id) << "position " << q;
      EXPECT_NEAR(cell.top[r].probability, trace->predictions[q][r].probability, 1e-6);
      EXPECT_EQ(cell.top[r].text, trace->predictions[q][r].text);
    }
  }
  for (int row = 0; row < window->rows; ++row)
    for (int q = 2; q <= 5; ++q) {
      EXPECT_EQ(window->at(row, q).top[0].id, whole->at(row, q).top[0].id);
      EXPECT_FLOAT_EQ(window->at(row, q).next, whole->at(row, q).next);
    }
}

TEST(LogitLens, RefusesWhatItCannotRead) {
  const std::shared_ptr<Model> gpt2 = test::fixture_model("gpt2-tiny");
  ASSERT_TRUE(gpt2);
  const std::vector<Token> tokens = tokens_of(expected().at("gpt2-tiny").at("input_ids"));
  auto kept = run_keeping_stream(*gpt2, tokens);
  ASSERT_TRUE(kept);
  const int t = kept->tokens_count();
  EXPECT_NE(logit_lens(*gpt2, *kept, 0, t, 5).error().message.find("outside the text"),
            std::string::npos);
  EXPECT_FALSE(logit_lens(*gpt2, *kept, 3, 2, 5).ok());
  EXPECT_FALSE(logit_lens(*gpt2, *kept, -1, 2, 5).ok());
  EXPECT_NE(logit_lens(*gpt2, *kept, 0, 2, 0).error().message.find("top tokens"),
            std::string::npos);
  EXPECT_FALSE(logit_lens(*gpt2, *kept, 0, 2, kLensMaxTopK + 1).ok());

  auto plain = test::run_ok(*gpt2, tokens, RunOptions{});
  ASSERT_TRUE(plain);
  EXPECT_NE(logit_lens(*gpt2, *plain, 0, 2, 5).error().message.find("residual stream"),
            std::string::npos);

  const std::shared_ptr<Model> bert = test::fixture_model("bert-tiny");
  ASSERT_TRUE(bert);
  auto encoded = run_keeping_stream(*bert, tokens_of(nlohmann::json::parse("[101, 2023, 102]")));
  ASSERT_TRUE(encoded);
  auto refused = logit_lens(*bert, *encoded, 0, 2, 5);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("no LM head"), std::string::npos)
      << refused.error().message;
}

TEST(LogitLens, TheWindowHoldsThePinAndStaysInTheText) {
  EXPECT_EQ(lens_window(100, 50, 9), std::make_pair(46, 54));
  EXPECT_EQ(lens_window(100, 0, 9), std::make_pair(0, 8));
  EXPECT_EQ(lens_window(100, 99, 9), std::make_pair(91, 99));
  EXPECT_EQ(lens_window(5, 3, 9), std::make_pair(0, 4));
  EXPECT_EQ(lens_window(100, 500, 8), std::make_pair(92, 99));
  EXPECT_EQ(lens_window(0, 0, 9), std::make_pair(0, -1));
  for (int position = 0; position < 30; ++position) {
    const auto [first, last] = lens_window(30, position, 7);
    EXPECT_TRUE(first <= position && position <= last && last - first + 1 == 7) << position;
  }
  ModelConfig config;
  config.layers = 12;
  config.width = 768;
  EXPECT_EQ(hidden_states_bytes(config, 1024), size_t{13} * 1024 * 768 * 4);
  EXPECT_LE(hidden_states_bytes(config, 1024), kLensHiddenBudget);
}

}  // namespace
}  // namespace attnviz

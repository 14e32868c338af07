// Properties every run must have, and the what-if options: rows are distributions, masks are
// exact zeros, scaling/temperature/causal overrides do what they say, errors are reported,
// the progress callback can cancel.
//
// Legend: L layers, H heads, T tokens, D head width.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

class RunProperties : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gpt2_ = test::fixture_model("gpt2-tiny");
    bert_ = test::fixture_model("bert-tiny");
  }
  static void TearDownTestSuite() {
    gpt2_.reset();
    bert_.reset();
  }
  static std::vector<std::vector<Token>> texts(const std::string& name) {
    const SafetensorsFile reference = test::open_reference(name);
    std::vector<std::vector<Token>> all;
    for (int i = 0; i < test::reference_texts(reference); ++i)
      all.push_back(test::reference_tokens(reference, i));
    return all;
  }
  static std::shared_ptr<Model> gpt2_, bert_;
};
std::shared_ptr<Model> RunProperties::gpt2_, RunProperties::bert_;

// Mean over every (layer, head, query) row of −Σ p·ln p.
double mean_entropy(const AttentionTrace& trace) {
  double total = 0;
  int rows = 0;
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      for (int q = 0; q < trace.tokens_count(); ++q, ++rows)
        for (float p : trace.row(l, h, q))
          if (p > 0) total -= p * std::log(static_cast<double>(p));
  return total / rows;
}

Worst row_sum_error(const AttentionTrace& trace) {
  Worst worst;
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      for (int q = 0; q < trace.tokens_count(); ++q) {
        double sum = 0;
        for (float p : trace.row(l, h, q)) sum += p;
        worst.update(std::abs(sum - 1.0), test::attention_place(l, h, q, -1));
      }
  return worst;
}

TEST_F(RunProperties, RowsSumToOneAndCausalUpperTriangleIsZero) {
  for (auto* model : {gpt2_.get(), bert_.get()}) {
    ASSERT_TRUE(model);
    for (const auto& tokens : texts(model == gpt2_.get() ? "gpt2-tiny" : "bert-tiny")) {
      auto trace = test::run_ok(*model, tokens, {});
      ASSERT_TRUE(trace);
      const Worst sums = row_sum_error(*trace);
      EXPECT_LT(sums.value, 1e-5) << "row sum off by " << sums.value << " at " << sums.where;
      EXPECT_EQ(trace->causal(), model == gpt2_.get());
      EXPECT_GT(trace->timings.forward_ms, 0.0);
      EXPECT_FALSE(trace->model_name.empty());
      if (!trace->causal()) continue;
      for (int l = 0; l < trace->layers(); ++l)
        for (int h = 0; h < trace->heads(); ++h)
          for (int q = 0; q < trace->tokens_count(); ++q)
            for (int k = q + 1; k < trace->tokens_count(); ++k)
              ASSERT_EQ(trace->weight(l, h, q, k), 0.0f) << test::attention_place(l, h, q, k);
    }
  }
}

// reference.json records HF's mean attention entropy per text: the same number from our rows.
TEST_F(RunProperties, MeanEntropyMatchesReferenceJson) {
  std::ifstream in(test::fixture("gpt2-tiny") / "reference.json");
  const nlohmann::json reference = nlohmann::json::parse(in);
  const auto all = texts("gpt2-tiny");
  for (size_t i = 0; i < all.size(); ++i) {
    auto trace = test::run_ok(*gpt2_, all[i], {});
    ASSERT_TRUE(trace);
    const double want = reference["texts"][i]["mean_attention_entropy"].get<double>();
    EXPECT_NEAR(mean_entropy(*trace), want, 1e-5) << "text " << i;
  }
}

TEST_F(RunProperties, TurningScalingOffLowersMeanEntropyOnEveryText) {
  RunOptions unscaled;
  unscaled.scale_by_sqrt_dk = false;
  for (auto* model : {gpt2_.get(), bert_.get()}) {
    const auto all = texts(model == gpt2_.get() ? "gpt2-tiny" : "bert-tiny");
    for (size_t i = 0; i < all.size(); ++i) {
      auto scaled_trace = test::run_ok(*model, all[i], {});
      auto unscaled_trace = test::run_ok(*model, all[i], unscaled);
      ASSERT_TRUE(scaled_trace && unscaled_trace);
      const double scaled = mean_entropy(*scaled_trace), plain = mean_entropy(*unscaled_trace);
      EXPECT_LT(plain, scaled) << model->config().name << " text " << i;
      const double d = model->config().head_dim();
      EXPECT_FLOAT_EQ(scaled_trace->score_scale(0), static_cast<float>(1.0 / std::sqrt(d)));
      EXPECT_FLOAT_EQ(unscaled_trace->score_scale(0), 1.0f);
    }
  }
}

TEST_F(RunProperties, TinyTemperatureGivesOneHotRows) {
  RunOptions cold;
  cold.temperature = 1e-3f;
  for (auto* model : {gpt2_.get(), bert_.get()}) {
    for (const auto& tokens : texts(model == gpt2_.get() ? "gpt2-tiny" : "bert-tiny")) {
      auto trace = test::run_ok(*model, tokens, cold);
      ASSERT_TRUE(trace);
      const float want_scale =
          static_cast<float>(1.0 / std::sqrt(model->config().head_dim()) / 1e-3);
      EXPECT_NEAR(trace->score_scale(1), want_scale, want_scale * 1e-5);
      // A row is one-hot unless its two best keys score within ln(99) of each other after
      // the 1000x sharpening (keys of near-identical states in layer 1 do tie that closely).
      Worst smallest_max;  // tracks 1 − max over rows with a clear winner
      int rows = 0, clear_rows = 0;
      for (int l = 0; l < trace->layers(); ++l)
        for (int h = 0; h < trace->heads(); ++h) {
          const HeadDetail detail = trace->head_detail(l, h);
          const int t = trace->tokens_count();
          for (int q = 0; q < t; ++q, ++rows) {
            std::vector<float> scores(detail.scores.begin() + q * t,
                                      detail.scores.begin() + q * t + trace->row_length(q));
            std::sort(scores.rbegin(), scores.rend());
            if (scores.size() > 1 && scores[0] - scores[1] < std::log(99.0) + 0.1) continue;
            ++clear_rows;
            auto row = trace->row(l, h, q);
            smallest_max.update(1.0 - *std::max_element(row.begin(), row.end()),
                                test::attention_place(l, h, q, -1));
          }
        }
      EXPECT_LE(smallest_max.value, 0.01)
          << "row max only " << 1.0 - smallest_max.value << " at " << smallest_max.where;
      EXPECT_GE(clear_rows, rows * 9 / 10)
          << "too many near ties: " << clear_rows << " of " << rows;
    }
  }
}

TEST_F(RunProperties, CausalMaskOverride) {
  const auto gpt2_texts = texts("gpt2-tiny");
  RunOptions open;
  open.causal_mask = false;
  auto trace = test::run_ok(*gpt2_, gpt2_texts[1], open);
  ASSERT_TRUE(trace);
  EXPECT_FALSE(trace->causal());
  EXPECT_GT(trace->weight(0, 0, 0, trace->tokens_count() - 1), 0.0f);
  EXPECT_LT(row_sum_error(*trace).value, 1e-5);
  // The unmasked run really differs from the model's own.
  auto own = test::run_ok(*gpt2_, gpt2_texts[1], {});
  EXPECT_GT(test::attention_difference(*trace, *own).value, 1e-3);

  RunOptions masked;
  masked.causal_mask = true;
  auto bert_trace = test::run_ok(*bert_, texts("bert-tiny")[0], masked);
  ASSERT_TRUE(bert_trace);
  EXPECT_TRUE(bert_trace->causal());
  EXPECT_EQ(bert_trace->weight(1, 2, 0, 1), 0.0f);
  EXPECT_LT(row_sum_error(*bert_trace).value, 1e-5);
}

TEST_F(RunProperties, HeadDetailScoresReproduceTheRows) {
  auto trace = test::run_ok(*gpt2_, texts("gpt2-tiny")[3], {});
  ASSERT_TRUE(trace && trace->has_qkv());
  Worst worst;
  const int t = trace->tokens_count();
  for (int l = 0; l < trace->layers(); ++l)
    for (int h = 0; h < trace->heads(); ++h) {
      const HeadDetail detail = trace->head_detail(l, h);
      for (int q = 0; q < t; ++q) {
        const int visible = q + 1;
        double max = -INFINITY, sum = 0;
        for (int k = 0; k < visible; ++k) max = std::max<double>(max, detail.scores[q * t + k]);
        for (int k = 0; k < visible; ++k) sum += std::exp(detail.scores[q * t + k] - max);
        for (int k = 0; k < visible; ++k)
          worst.update(
              std::abs(std::exp(detail.scores[q * t + k] - max) / sum - trace->weight(l, h, q, k)),
              test::attention_place(l, h, q, k));
      }
    }
  EXPECT_LT(worst.value, 1e-5) << "softmax(head_detail scores) vs rows: " << worst.value << " at "
                               << worst.where;
}

TEST_F(RunProperties, OptionalOutputsFollowTheOptions) {
  const auto tokens = texts("gpt2-tiny")[0];
  RunOptions lean;
  lean.keep_qkv = false;
  lean.top_predictions = 0;
  auto trace = test::run_ok(*gpt2_, tokens, lean);
  auto full = test::run_ok(*gpt2_, tokens, {});
  ASSERT_TRUE(trace && full);
  EXPECT_FALSE(trace->has_qkv());
  EXPECT_TRUE(trace->predictions.empty());
  EXPECT_TRUE(trace->hidden_states.empty());
  EXPECT_EQ(test::attention_difference(*trace, *full).value, 0.0);
  ASSERT_EQ(full->predictions.size(), tokens.size());
  EXPECT_EQ(full->predictions[0].size(), 10u);
}

TEST_F(RunProperties, BadRequestsAreErrors) {
  const ModelConfig& config = gpt2_->config();
  auto error_of = [&](const std::vector<Token>& tokens, const RunOptions& options) {
    auto result = gpt2_->run(tokens, options);
    return result.ok() ? std::string("(no error)") : result.error().message;
  };
  EXPECT_NE(error_of({}, {}).find("no tokens"), std::string::npos);
  std::vector<Token> too_long(config.max_positions + 1);
  EXPECT_NE(error_of(too_long, {}).find(std::to_string(config.max_positions)), std::string::npos);
  EXPECT_TRUE(gpt2_->run(std::vector<Token>(config.max_positions), {}).ok());
  std::vector<Token> bad_id(3);
  bad_id[1].id = config.vocab_size;
  EXPECT_NE(error_of(bad_id, {}).find("vocabulary"), std::string::npos);
  bad_id[1].id = -1;
  EXPECT_NE(error_of(bad_id, {}).find("vocabulary"), std::string::npos);
  for (float temperature : {0.0f, -1.0f, NAN, INFINITY}) {
    RunOptions options;
    options.temperature = temperature;
    EXPECT_NE(error_of(std::vector<Token>(3), options).find("temperature"), std::string::npos)
        << temperature;
  }
}

TEST_F(RunProperties, ProgressIsReportedPerLayerAndCanCancel) {
  const auto tokens = texts("gpt2-tiny")[0];
  std::vector<float> seen;
  auto trace = gpt2_->run(tokens, {}, nullptr, [&](float f) {
    seen.push_back(f);
    return true;
  });
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(seen.size(), static_cast<size_t>(gpt2_->config().layers));
  EXPECT_FLOAT_EQ(seen.back(), 1.0f);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  int calls = 0;
  auto cancelled = bert_->run(texts("bert-tiny")[0], {}, nullptr, [&](float) {
    ++calls;
    return false;
  });
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().message, "cancelled");
  EXPECT_EQ(calls, 1);
  // The model still runs normally afterwards.
  EXPECT_TRUE(bert_->run(texts("bert-tiny")[0], {}).ok());
}

}  // namespace
}  // namespace attnviz

namespace attnviz {
namespace {

TEST(BuiltinModel, FolderFollowsTheEnvironmentThenFallsBack) {
  const char* saved = std::getenv("ATTNVIZ_MODEL_DIR");
  const std::string saved_value = saved ? saved : "";
  setenv("ATTNVIZ_MODEL_DIR", "/somewhere/else", 1);
  EXPECT_EQ(builtin_model_folder(), std::filesystem::path("/somewhere/else"));
  unsetenv("ATTNVIZ_MODEL_DIR");
  // The test executable has no assets beside it: the source tree's copy is found.
  const std::filesystem::path folder = builtin_model_folder();
  EXPECT_TRUE(std::filesystem::exists(folder / "config.json")) << folder;
  if (saved) setenv("ATTNVIZ_MODEL_DIR", saved_value.c_str(), 1);

  // It loads, and text goes through the real tokenizer into a trace.
  auto model = Model::load(folder);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto tokens = (*model)->tokenizer().encode("The quick brown fox jumps over the lazy dog.");
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  auto trace = (*model)->run(*tokens, {});
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ((*trace)->tokens(), *tokens);
  EXPECT_EQ((*trace)->predictions.size(), tokens->size());
}

}  // namespace
}  // namespace attnviz

// Value-weighted attention (issue 14 step 1): the forward pass's ‖v_j W_O^h‖ and the value-weighted
// weights α_ij·‖v_j W_O^h‖ / Σ_k α_ik·‖v_k W_O^h‖ against tests/data/value_weighted.json, written
// by the independent numpy computation tests/reference/value_weighted_reference.py --write, on
// gpt2-tiny, bert-tiny and llama3-tiny (grouped-query attention); the norms survive a reused
// prefix; the view spec's weights switch round-trips through JSON.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/view/attention_reader.h"
#include "core/view/view_spec.h"
#include "core/view_trace.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::tokens_of;

const nlohmann::json& expected() {
  static const nlohmann::json json = test::read_fixture_json("value_weighted.json");
  return json;
}

class ValueWeighted : public ::testing::TestWithParam<std::string> {};

TEST_P(ValueWeighted, NormsAndWeightsMatchTheNumpyReference) {
  const nlohmann::json& want = expected().at(GetParam());
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model(GetParam(), load);
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(want.at("input_ids"));
  RunOptions options;
  options.keep_qkv = false;  // as `attnviz export` runs: the norms come from the scratch values
  auto trace = test::run_ok(*model, tokens, options);
  ASSERT_TRUE(trace);
  ASSERT_TRUE(trace->has_value_norms());
  const int layers = trace->layers(), heads = trace->heads(), t = trace->tokens_count();

  DerivedTrace view = derive_trace(trace, TraceViewOptions{.value_weighted = true});
  ASSERT_TRUE(view.derived) << view.description;
  EXPECT_NE(view.description.find("value-weighted"), std::string::npos) << view.description;
  const AttentionReader reader(*view.trace);
  test::Worst norms, weights;
  std::vector<float> row(t);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q) {
        const double norm = want["value_norms"][l][h][q].get<double>();
        norms.update(std::abs(trace->value_norm(l, h, q) - norm) / std::max(1.0, norm),
                     "L" + std::to_string(l) + " H" + std::to_string(h) + " key " +
                         std::to_string(q));
        reader.row(l, h, q, row);
        for (int k = 0; k < t; ++k)
          weights.update(std::abs(row[k] - want["value_weighted"][l][h][q][k].get<double>()),
                         "L" + std::to_string(l) + " H" + std::to_string(h) + " q" +
                             std::to_string(q) + " k" + std::to_string(k));
      }
  EXPECT_LE(norms.value, 1e-5) << "relative, at " << norms.where;
  EXPECT_LE(weights.value, 1e-5) << "at " << weights.where;
  std::printf("%s: value norms within %.2e (relative), value-weighted weights within %.2e\n",
              GetParam().c_str(), norms.value, weights.value);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ValueWeighted,
                         ::testing::Values("gpt2-tiny", "bert-tiny", "modern/llama3-tiny"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(ValueWeighted, NormsOfAReusedPrefixAreKept) {
  const nlohmann::json& want = expected().at("gpt2-tiny");
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model("gpt2-tiny", load);
  ASSERT_TRUE(model);
  const std::vector<Token> all = tokens_of(want.at("input_ids"));
  const std::vector<Token> prefix(all.begin(), all.end() - 3);
  auto first = test::run_ok(*model, prefix, RunOptions{});
  auto full = test::run_ok(*model, all, RunOptions{}, first.get());
  auto fresh = test::run_ok(*model, all, RunOptions{});
  ASSERT_TRUE(first && full && fresh);
  ASSERT_GT(full->timings.reused_positions, 0);
  ASSERT_EQ(full->value_norms.size(), fresh->value_norms.size());
  // The same up to the float rounding of a product over 3 rows instead of 9.
  for (size_t i = 0; i < full->value_norms.size(); ++i)
    EXPECT_NEAR(full->value_norms[i], fresh->value_norms[i], 1e-5f * fresh->value_norms[i]) << i;
}

TEST(ValueWeighted, ImportedAttentionSaysWhyThereAreNoValueWeights) {
  auto imported = std::make_shared<AttentionTrace>(std::vector<Token>(3), 1, 1, true);
  std::string why;
  EXPECT_EQ(value_weighted_trace(*imported, &why), nullptr);
  EXPECT_NE(why.find("imported"), std::string::npos) << why;
  const DerivedTrace view = derive_trace(imported, TraceViewOptions{.value_weighted = true});
  EXPECT_EQ(view.trace, imported);  // raw weights shown, and the description says so
  EXPECT_NE(view.description.find("no value weights"), std::string::npos) << view.description;
}

TEST(ValueWeighted, TheWeightsSwitchRoundTripsAndRolloutIsTheHeadMode) {
  ViewSpec spec;
  EXPECT_EQ(spec.weights(), Weights::kRaw);
  spec.set_weights(Weights::kValue);
  EXPECT_TRUE(spec.token_view().value_weighted);
  EXPECT_EQ(weights_legend(spec), kValueWeightedLegend);
  auto back = view_spec_from_json(view_spec_json(spec), "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->weights(), Weights::kValue);
  spec.set_weights(Weights::kRollout);
  EXPECT_EQ(spec.head_mode, HeadMode::kRollout);
  EXPECT_FALSE(spec.value_weighted);
  back = view_spec_from_json(view_spec_json(spec), "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->weights(), Weights::kRollout);
  spec.set_weights(Weights::kRaw);
  EXPECT_EQ(spec.head_mode, HeadMode::kMultiHead);
  auto bad = view_spec_from_json(nlohmann::json{{"weights", "values"}}, "v.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("v.json"), std::string::npos);
}

}  // namespace
}  // namespace attnviz

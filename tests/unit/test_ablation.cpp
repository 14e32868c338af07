// Head ablation (issue 14): the ablated forward pass (every layer's attention, the hidden states,
// the next-token probabilities) against tests/data/ablation.json, written by the independent
// PyTorch computation tests/reference/what_if_reference.py --write, on gpt2-tiny, bert-tiny and
// llama3-tiny (grouped-query attention), with stored weights and with weights on demand; a
// zero-ablated run reuses a prefix and a mean-ablated one never does; bad ablations are refused.
//
// Legend: L layers, H heads, T tokens, C width.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/analysis/ablation.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::tokens_of;

const nlohmann::json& expected() {
  static const nlohmann::json json = test::read_fixture_json("ablation.json");
  return json;
}

std::vector<HeadAblation> ablations_of(const nlohmann::json& list) {
  std::vector<HeadAblation> ablations;
  for (const auto& entry : list)
    ablations.push_back({entry[0].get<int>(), entry[1].get<int>(),
                         entry[2].get<std::string>() == "zero" ? HeadAblation::Kind::kZero
                                                               : HeadAblation::Kind::kMean});
  return ablations;
}

std::vector<float> floats_of(const nlohmann::json& nested) {
  std::vector<float> out;
  auto flatten = [&out](const nlohmann::json& value, auto& self) -> void {
    if (value.is_array()) {
      for (const auto& item : value) self(item, self);
    } else {
      out.push_back(value.get<float>());
    }
  };
  flatten(nested, flatten);
  return out;
}

struct Case {
  std::string fixture, name;
  RunOptions::Weights weights;
};

class Ablation : public ::testing::TestWithParam<Case> {};

TEST_P(Ablation, MatchesTheTorchReference) {
  const Case& param = GetParam();
  const nlohmann::json& fixture = expected().at(param.fixture);
  const nlohmann::json& want = fixture.at("cases").at(param.name);
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model(param.fixture, load);
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(fixture.at("input_ids"));
  RunOptions options;
  options.keep_hidden_states = true;
  options.weights = param.weights;
  options.ablations = ablations_of(want.at("ablations"));
  ASSERT_FALSE(options.ablations.empty());
  auto trace = test::run_ok(*model, tokens, options);
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->stores_weights(), param.weights == RunOptions::Weights::kStored);
  const int t = trace->tokens_count(), c = model->config().width;

  const std::vector<float> attentions = floats_of(want.at("attentions"));
  const test::Worst attention = test::attention_difference(*trace, attentions);
  EXPECT_LE(attention.value, 1e-5) << "attention at " << attention.where;
  const test::Worst hidden =
      test::hidden_difference(trace->hidden_states, floats_of(want.at("hidden_states")), t, c);
  EXPECT_LE(hidden.value, 1e-4) << "hidden state at " << hidden.where;

  // The test can fail: the model's own run is far from the ablated reference.
  RunOptions plain = options;
  plain.ablations.clear();
  auto unablated = test::run_ok(*model, tokens, plain);
  ASSERT_TRUE(unablated);
  const test::Worst moved = test::hidden_difference(
      unablated->hidden_states, floats_of(want.at("hidden_states")), t, c);
  EXPECT_GT(moved.value, 0.1) << "the ablation changed nothing";

  test::Worst probability;
  int compared = 0;
  if (!want.at("top_predictions").is_null()) {
    ASSERT_EQ(trace->predictions.size(), static_cast<size_t>(t));
    for (int q = 0; q < t; ++q) {
      std::map<int, double> reference;
      for (const auto& pair : want["top_predictions"][q])
        reference[pair[0].get<int>()] = pair[1].get<double>();
      for (const Prediction& p : trace->predictions[q]) {
        auto found = reference.find(p.id);
        if (found == reference.end()) continue;  // below the reference's top 10
        probability.update(std::abs(p.probability - found->second),
                           "position " + std::to_string(q) + ", token " + std::to_string(p.id));
        ++compared;
      }
      // The most likely token is the reference's (ties aside).
      const double best = want["top_predictions"][q][0][1].get<double>();
      const double second = want["top_predictions"][q][1][1].get<double>();
      if (best - second > 1e-4) {
        EXPECT_EQ(trace->predictions[q][0].id, want["top_predictions"][q][0][0].get<int>()) << q;
      }
    }
    EXPECT_GE(compared, 5 * t);
    EXPECT_LE(probability.value, 1e-5) << "next-token probability at " << probability.where;
  } else {
    EXPECT_TRUE(trace->predictions.empty());
  }
  std::printf("%s, %s ablation (%s): attention within %.2e, hidden states %.2e, %d probabilities "
              "within %.2e; the unablated run is %.3f away\n",
              param.fixture.c_str(), param.name.c_str(),
              param.weights == RunOptions::Weights::kStored ? "stored" : "on demand",
              attention.value, hidden.value, compared, probability.value, moved.value);
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* fixture : {"gpt2-tiny", "bert-tiny", "modern/llama3-tiny"})
    for (const char* name : {"zero", "mean"})
      for (auto weights : {RunOptions::Weights::kStored, RunOptions::Weights::kOnDemand})
        out.push_back({fixture, name, weights});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Ablation, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string name = info.param.fixture + "_" + info.param.name +
                     (info.param.weights == RunOptions::Weights::kStored ? "_stored" : "_on_demand");
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

std::shared_ptr<Model> gpt2() {
  LoadOptions load;
  load.require_tokenizer = false;
  return test::fixture_model("gpt2-tiny", load);
}

TEST(AblationRuns, ZeroAblationReusesAPrefixAndMeanAblationNever) {
  const std::shared_ptr<Model> model = gpt2();
  ASSERT_TRUE(model);
  const std::vector<Token> all = tokens_of(expected().at("gpt2-tiny").at("input_ids"));
  const std::vector<Token> prefix(all.begin(), all.end() - 3);
  for (auto kind : {HeadAblation::Kind::kZero, HeadAblation::Kind::kMean}) {
    RunOptions options;
    options.ablations = {{0, 1, kind}};
    auto first = test::run_ok(*model, prefix, options);
    auto full = test::run_ok(*model, all, options, first.get());
    auto fresh = test::run_ok(*model, all, options);
    ASSERT_TRUE(first && full && fresh);
    if (kind == HeadAblation::Kind::kZero)
      EXPECT_GT(full->timings.reused_positions, 0);
    else
      EXPECT_EQ(full->timings.reused_positions, 0);  // the mean covers the whole text
    const test::Worst worst = test::attention_difference(*full, *fresh);
    EXPECT_LE(worst.value, 1e-6) << worst.where;
    // Nor is a run of other ablations (or none) a prefix for it.
    RunOptions other;
    auto plain = test::run_ok(*model, prefix, other);
    auto after_plain = test::run_ok(*model, all, options, plain.get());
    ASSERT_TRUE(plain && after_plain);
    EXPECT_EQ(after_plain->timings.reused_positions, 0);
  }
}

TEST(AblationRuns, BadAblationsAreRefusedWithTheValidRange) {
  const std::shared_ptr<Model> model = gpt2();
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(expected().at("gpt2-tiny").at("input_ids"));
  RunOptions options;
  options.ablations = {{2, 0, HeadAblation::Kind::kZero}};
  auto outside = model->run(tokens, options);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message.find("2.0 is outside"), std::string::npos)
      << outside.error().message;
  EXPECT_NE(outside.error().message.find("layers 0-1, heads 0-3"), std::string::npos)
      << outside.error().message;
  options.ablations = {{1, 2, HeadAblation::Kind::kZero}, {1, 2, HeadAblation::Kind::kMean}};
  auto twice = model->run(tokens, options);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("1.2 is ablated twice"), std::string::npos)
      << twice.error().message;
}

TEST(AblationRuns, TheWhatIfNamesTheHeads) {
  RunOptions options;
  EXPECT_TRUE(options.reproduces_model());
  options.ablations = {{1, 0, HeadAblation::Kind::kZero}, {1, 3, HeadAblation::Kind::kZero}};
  EXPECT_FALSE(options.reproduces_model());
  EXPECT_EQ(what_if_description(options), "what-if: heads 1.0, 1.3 ablated (zero)");
  options.ablations.push_back({0, 2, HeadAblation::Kind::kMean});
  options.temperature = 2.0f;
  EXPECT_EQ(what_if_description(options),
            "what-if: temperature 2.00, heads 1.0, 1.3 ablated (zero), head 0.2 ablated (mean)");
  RunOptions same = options;
  EXPECT_TRUE(options.same_math(same));
  same.ablations.back().kind = HeadAblation::Kind::kZero;
  EXPECT_FALSE(options.same_math(same));
}

// The head-importance table: each head ablated alone gives the probability a full run of the
// whole text with that ablation gives (the prefix shortcut of causal zero ablation changes
// nothing), for zero and mean ablation; cancelling stops it; bad inputs are named.
TEST(HeadImportance, EachHeadAloneMatchesAFullAblatedRun) {
  const std::shared_ptr<Model> model = gpt2();
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = tokens_of(expected().at("gpt2-tiny").at("input_ids"));
  const int position = 4;
  const int32_t target = tokens[position + 1].id;
  RunOptions options;
  options.keep_hidden_states = true;
  auto plain = test::run_ok(*model, tokens, options);
  ASSERT_TRUE(plain);
  const float own = next_token_probabilities(*model, *plain, position, position)->front();
  for (const HeadAblation::Kind kind : {HeadAblation::Kind::kZero, HeadAblation::Kind::kMean}) {
    std::vector<std::pair<int, int>> calls;
    auto table = head_importance(*model, tokens, position, target, kind, [&](int done, int total) {
      calls.push_back({done, total});
      return true;
    });
    ASSERT_TRUE(table.ok()) << table.error().message;
    const int layers = model->config().layers, heads = model->config().heads;
    ASSERT_EQ(static_cast<int>(table->size()), layers * heads);
    EXPECT_EQ(calls.back(), std::make_pair(layers * heads, layers * heads));
    double strongest = 0.0;
    for (const HeadImportance& h : *table) {
      EXPECT_NEAR(h.before, own, 1e-5);
      RunOptions ablated = options;
      ablated.ablations = {{h.layer, h.head, kind}};
      auto trace = test::run_ok(*model, tokens, ablated);
      ASSERT_TRUE(trace);
      const float want = next_token_probabilities(*model, *trace, position, position)->front();
      EXPECT_NEAR(h.after, want, 1e-5) << h.layer << "." << h.head;
      EXPECT_NEAR(h.delta_log_p(), std::log(static_cast<double>(h.after) / h.before), 1e-9);
      strongest = std::max(strongest, std::abs(h.delta_log_p()));
    }
    EXPECT_GT(strongest, 1e-4) << "no head changes the prediction: the table would be blank";
  }

  int runs = 0;
  auto cancelled = head_importance(*model, tokens, position, target, HeadAblation::Kind::kZero,
                                   [&](int, int) { return ++runs <= 3; });
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().message, "cancelled");
  EXPECT_EQ(runs, 4);

  EXPECT_FALSE(head_importance(*model, tokens, static_cast<int>(tokens.size()), target,
                               HeadAblation::Kind::kZero).ok());
  EXPECT_FALSE(head_importance(*model, tokens, position, model->config().vocab_size,
                               HeadAblation::Kind::kZero).ok());
  const std::shared_ptr<Model> bert = test::fixture_model("bert-tiny");
  ASSERT_TRUE(bert);
  auto encoder = head_importance(*bert, tokens_of(nlohmann::json::parse("[101, 2023, 102]")), 1,
                                 2023, HeadAblation::Kind::kZero);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.error().message.find("no LM head"), std::string::npos);
}

}  // namespace
}  // namespace attnviz

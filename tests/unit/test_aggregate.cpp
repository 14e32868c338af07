// Aggregations and attention rollout against naive loops and a worked 2-layer example.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/analysis/aggregate.h"

namespace attnviz {
namespace {

// Legend: L layers, H heads, T tokens. Maps are dense (T, T), rows = queries.

// A trace with random row-stochastic heads (causal rows see keys 0..q).
AttentionTrace random_trace(int layers, int heads, int tokens, bool causal, unsigned seed) {
  std::vector<Token> list;
  for (int i = 0; i < tokens; ++i) list.push_back({i, std::to_string(i), 0, 0, false});
  AttentionTrace trace(list, layers, heads, causal);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.01f, 1.0f);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < tokens; ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0.0f;
        for (float& value : row) sum += (value = dist(rng));
        for (float& value : row) value /= sum;
      }
  return trace;
}

// Sets head (l, h) of a non-causal trace from a dense map.
void set_head(AttentionTrace& trace, int l, int h, const std::vector<float>& map) {
  const int t = trace.tokens_count();
  for (int q = 0; q < t; ++q) {
    auto row = trace.mutable_row(l, h, q);
    for (int k = 0; k < t; ++k) row[k] = map[q * t + k];
  }
}

void expect_maps_near(const std::vector<float>& got, const std::vector<float>& want, int t,
                      double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  double worst = 0.0;
  size_t where = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double difference = std::abs(static_cast<double>(got[i]) - want[i]);
    if (difference > worst) worst = difference, where = i;
  }
  EXPECT_LE(worst, tolerance) << "max difference " << worst << " at query " << where / t << ", key "
                              << where % t;
}

class AggregateTest : public ::testing::TestWithParam<bool> {};

TEST_P(AggregateTest, MatchesNaiveLoops) {
  const bool causal = GetParam();
  const int layers = 3, heads = 4, t = 7;
  AttentionTrace trace = random_trace(layers, heads, t, causal, 11);
  const std::vector<int> enabled = {0, 2, 3};
  const int layer = 1;
  std::vector<float> mean(t * t, 0.0f), maximum(t * t, 0.0f), all(t * t, 0.0f);
  for (int q = 0; q < t; ++q) {
    for (int k = 0; k < t; ++k) {
      double sum = 0.0, best = 0.0, total = 0.0;
      for (int h : enabled) {
        sum += trace.weight(layer, h, q, k);
        best = std::max<double>(best, trace.weight(layer, h, q, k));
      }
      for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) total += trace.weight(l, h, q, k);
      mean[q * t + k] = static_cast<float>(sum / enabled.size());
      maximum[q * t + k] = static_cast<float>(best);
      all[q * t + k] = static_cast<float>(total / (layers * heads));
    }
  }
  expect_maps_near(layer_mean(trace, layer, enabled), mean, t, 1e-6);
  expect_maps_near(layer_max(trace, layer, enabled), maximum, t, 0.0);
  expect_maps_near(mean_all_heads(trace), all, t, 1e-6);
  std::vector<float> one(t * t);
  for (int q = 0; q < t; ++q)
    for (int k = 0; k < t; ++k) one[q * t + k] = trace.weight(2, 3, q, k);
  expect_maps_near(head_map(trace, 2, 3), one, t, 0.0);
  expect_maps_near(aggregate(trace, {AggregateMode::kLayerMean, layer, 0, enabled}), mean, t, 1e-6);
  expect_maps_near(aggregate(trace, {AggregateMode::kHead, 2, 3, {}}), one, t, 0.0);

  // Rollout against a naive triple loop.
  std::vector<double> rollout(t * t, 0.0);
  for (int i = 0; i < t; ++i) rollout[i * t + i] = 1.0;
  for (int l = 0; l < layers; ++l) {
    std::vector<double> augmented(t * t);
    for (int q = 0; q < t; ++q) {
      double row_sum = 0.0;
      for (int k = 0; k < t; ++k) {
        double value = q == k ? 1.0 : 0.0;
        for (int h = 0; h < heads; ++h) value += trace.weight(l, h, q, k) / heads;
        augmented[q * t + k] = value;
        row_sum += value;
      }
      for (int k = 0; k < t; ++k) augmented[q * t + k] /= row_sum;
    }
    std::vector<double> next(t * t, 0.0);
    for (int i = 0; i < t; ++i)
      for (int m = 0; m < t; ++m)
        for (int j = 0; j < t; ++j) next[i * t + j] += augmented[i * t + m] * rollout[m * t + j];
    rollout = next;
  }
  std::vector<float> want(rollout.begin(), rollout.end());
  std::vector<float> got = attention_rollout(trace);
  expect_maps_near(got, want, t, 1e-6);
  for (int q = 0; q < t; ++q) {
    double sum = 0.0;
    for (int k = 0; k < t; ++k) sum += got[q * t + k];
    EXPECT_NEAR(sum, 1.0, 1e-5) << "rollout row " << q;
  }
}

INSTANTIATE_TEST_SUITE_P(CausalAndNot, AggregateTest, ::testing::Values(true, false));

TEST(Aggregate, NoEnabledHeadsGivesZeros) {
  AttentionTrace trace = random_trace(1, 2, 3, true, 5);
  for (float value : layer_mean(trace, 0, {})) EXPECT_EQ(value, 0.0f);
  for (float value : layer_max(trace, 0, {})) EXPECT_EQ(value, 0.0f);
}

TEST(Rollout, TwoLayerExampleByHand) {
  std::vector<Token> tokens = {{1, "a", 0, 1, false}, {2, "b", 1, 2, false}};
  AttentionTrace trace(tokens, 2, 2, /*causal=*/false);
  // Layer 0: mean of the heads is all 0.5; + I and renormalized: [[.75, .25], [.25, .75]].
  set_head(trace, 0, 0, {1, 0, 0, 1});
  set_head(trace, 0, 1, {0, 1, 1, 0});
  // Layer 1: both heads look at token 1: [[0, 1], [0, 1]]; + I renormalized: [[.5, .5], [0, 1]].
  set_head(trace, 1, 0, {0, 1, 0, 1});
  set_head(trace, 1, 1, {0, 1, 0, 1});
  // R = Â_2 · Â_1 = [[.5, .5], [.25, .75]] (the other order would give [[.375, .625], ...]).
  expect_maps_near(attention_rollout(trace), {0.5f, 0.5f, 0.25f, 0.75f}, 2, 1e-7);
  expect_maps_near(aggregate(trace, {AggregateMode::kRollout, 0, 0, {}}),
                   {0.5f, 0.5f, 0.25f, 0.75f}, 2, 1e-7);
}

}  // namespace
}  // namespace attnviz

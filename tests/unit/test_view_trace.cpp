// Derived traces (words, hidden tokens, pseudo-heads) against maps computed by hand.
//
// Legend: L layers, H heads, T raw tokens, T' derived tokens. Maps are dense, rows = queries.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "core/view_trace.h"

namespace attnviz {
namespace {

// Tokens with contiguous byte spans over the concatenated texts (as GPT-2 produces).
std::vector<Token> contiguous_tokens(const std::vector<std::string>& texts) {
  std::vector<Token> tokens;
  size_t offset = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    tokens.push_back(
        {static_cast<int32_t>(100 + i), texts[i], offset, offset + texts[i].size(), false});
    offset += texts[i].size();
  }
  return tokens;
}

// A trace whose (layer, head) map is maps[layer * H + head], each dense (T, T).
std::shared_ptr<AttentionTrace> make_trace(std::vector<Token> tokens, int layers, int heads,
                                           bool causal,
                                           const std::vector<std::vector<float>>& maps) {
  auto trace = std::make_shared<AttentionTrace>(std::move(tokens), layers, heads, causal);
  const int t = trace->tokens_count();
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q) {
        auto row = trace->mutable_row(l, h, q);
        for (size_t k = 0; k < row.size(); ++k) row[k] = maps[l * heads + h][q * t + k];
      }
  trace->model_name = "hand";
  return trace;
}

std::vector<float> random_map(int t, bool causal, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.01f, 1.0f);
  std::vector<float> map(t * t, 0.0f);
  for (int i = 0; i < t; ++i) {
    const int n = causal ? i + 1 : t;
    float sum = 0.0f;
    for (int j = 0; j < n; ++j) sum += (map[i * t + j] = dist(rng));
    for (int j = 0; j < n; ++j) map[i * t + j] /= sum;
  }
  return map;
}

// Fails with the largest difference and where it is.
void expect_head_near(const AttentionTrace& trace, int layer, int head,
                      const std::vector<float>& expected, float tolerance = 1e-6f) {
  const int t = trace.tokens_count();
  ASSERT_EQ(expected.size(), static_cast<size_t>(t) * t);
  float worst = 0.0f;
  int worst_q = 0, worst_k = 0;
  for (int q = 0; q < t; ++q)
    for (int k = 0; k < t; ++k) {
      const float d = std::fabs(trace.weight(layer, head, q, k) - expected[q * t + k]);
      if (d > worst) worst = d, worst_q = q, worst_k = k;
    }
  EXPECT_LE(worst, tolerance) << "layer " << layer << " head " << head << ": max difference "
                              << worst << " at query " << worst_q << " key " << worst_k;
}

void expect_rows_sum_to_one(const AttentionTrace& trace) {
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      for (int q = 0; q < trace.tokens_count(); ++q) {
        double sum = 0.0;
        for (float w : trace.row(l, h, q)) sum += w;
        EXPECT_NEAR(sum, 1.0, 1e-5) << "layer " << l << " head " << h << " query " << q;
      }
}

// " Hello", " wor", "ld", "!" -> words " Hello" | " world" | "!".
const std::vector<std::string> kPieces = {"Hi", " wor", "ld", "!"};

TEST(DeriveTrace, NoOptionIsTheSourceItself) {
  auto trace = make_trace(contiguous_tokens(kPieces), 1, 1, true, {random_map(4, true, 1)});
  DerivedTrace view = derive_trace(trace, {});
  EXPECT_FALSE(view.derived);
  EXPECT_EQ(view.trace.get(), trace.get());
  EXPECT_TRUE(view.absorbed.empty());
  EXPECT_EQ(view.derived_index(2), 2);
}

TEST(DeriveTrace, MergedWordsAverageQueriesAndSumKeys) {
  // Bidirectional 4x4 map with easy numbers; rows sum to 1.
  const std::vector<float> a = {0.1f,  0.2f,  0.3f,  0.4f,   //
                                0.4f,  0.3f,  0.2f,  0.1f,   //
                                0.25f, 0.25f, 0.25f, 0.25f,  //
                                0.7f,  0.1f,  0.1f,  0.1f};
  auto trace = make_trace(contiguous_tokens(kPieces), 1, 1, false, {a});
  TraceViewOptions options;
  options.merge_words = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_TRUE(view.derived);
  ASSERT_EQ(view.trace->tokens_count(), 3);
  EXPECT_FALSE(view.trace->has_qkv());
  EXPECT_EQ(view.trace->tokens()[1].text, " world");
  EXPECT_EQ(view.trace->tokens()[1].start, 2u);
  EXPECT_EQ(view.trace->tokens()[1].end, 8u);
  EXPECT_EQ(view.source_first, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(view.source_end, (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(view.derived_index(2), 1);
  EXPECT_EQ(view.description, "words");
  // Word " world" asks the mean of rows 1 and 2; every word receives the sum of its columns.
  const std::vector<float> expected = {0.1f,
                                       0.5f,
                                       0.4f,  //
                                       (0.4f + 0.25f) / 2,
                                       (0.3f + 0.2f + 0.25f + 0.25f) / 2,
                                       (0.1f + 0.25f) / 2,  //
                                       0.7f,
                                       0.2f,
                                       0.1f};
  expect_head_near(*view.trace, 0, 0, expected);
  expect_rows_sum_to_one(*view.trace);
}

TEST(DeriveTrace, MergedCausalTraceStaysCausal) {
  const int t = 7;
  auto tokens = contiguous_tokens({"The", " ban", "ks", " of", " the", " riv", "er"});
  std::vector<std::vector<float>> maps;
  for (int i = 0; i < 2 * 3; ++i) maps.push_back(random_map(t, true, 10 + i));
  auto trace = make_trace(tokens, 2, 3, true, maps);
  TraceViewOptions options;
  options.merge_words = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->tokens_count(), 5);
  EXPECT_TRUE(view.trace->causal());
  expect_rows_sum_to_one(*view.trace);
  // Hand merge of layer 1 head 2: words [0], [1,2], [3], [4], [5,6].
  const std::vector<std::pair<int, int>> words = {{0, 1}, {1, 3}, {3, 4}, {4, 5}, {5, 7}};
  const auto& a = maps[1 * 3 + 2];
  std::vector<float> expected(25, 0.0f);
  for (int x = 0; x < 5; ++x)
    for (int y = 0; y < 5; ++y) {
      double sum = 0.0;
      for (int i = words[x].first; i < words[x].second; ++i)
        for (int j = words[y].first; j < words[y].second; ++j) sum += a[i * t + j];
      expected[x * 5 + y] = static_cast<float>(sum / (words[x].second - words[x].first));
    }
  for (int x = 0; x < 5; ++x)
    for (int y = x + 1; y < 5; ++y) EXPECT_EQ(expected[x * 5 + y], 0.0f);
  expect_head_near(*view.trace, 1, 2, expected);
}

TEST(DeriveTrace, HideFirstRenormalizesAndKeepsAbsorbedShare) {
  const int t = 4;
  auto map0 = random_map(t, true, 3), map1 = random_map(t, true, 4);
  auto trace = make_trace(contiguous_tokens(kPieces), 1, 2, true, {map0, map1});
  TraceViewOptions options;
  options.hide_first = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->tokens_count(), 3);
  EXPECT_EQ(view.hidden_count, 1);
  EXPECT_EQ(view.source_first, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(view.derived_index(0), -1);
  EXPECT_EQ(view.derived_index(3), 2);
  EXPECT_EQ(view.description, "token 0 hidden");
  ASSERT_EQ(view.absorbed.size(), 2u * 3u);
  double mean_head1 = 0.0;
  for (int h = 0; h < 2; ++h) {
    const auto& a = h == 0 ? map0 : map1;
    std::vector<float> expected(9, 0.0f);
    for (int q = 1; q < t; ++q) {
      const float kept = 1.0f - a[q * t + 0];
      for (int k = 1; k <= q; ++k) expected[(q - 1) * 3 + (k - 1)] = a[q * t + k] / kept;
      EXPECT_NEAR(view.absorbed_share(0, h, q - 1), a[q * t + 0], 1e-6) << "head " << h;
      if (h == 1) mean_head1 += a[q * t + 0] / 3.0;
    }
    expect_head_near(*view.trace, 0, h, expected);
  }
  EXPECT_NEAR(view.mean_absorbed(0, 1), mean_head1, 1e-6);
  expect_rows_sum_to_one(*view.trace);
}

TEST(DeriveTrace, HideFirstThenMergeAveragesTheAbsorbedShareOverAWord) {
  const int t = 4;
  const auto a = random_map(t, true, 5);
  auto trace = make_trace(contiguous_tokens(kPieces), 1, 1, true, {a});
  TraceViewOptions options;
  options.hide_first = true;
  options.merge_words = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->tokens_count(), 2);  // " world", "!"
  EXPECT_EQ(view.trace->tokens()[0].text, " world");
  EXPECT_EQ(view.description, "token 0 hidden, words");
  EXPECT_NEAR(view.absorbed_share(0, 0, 0), (a[1 * t] + a[2 * t]) / 2, 1e-6);
  EXPECT_NEAR(view.absorbed_share(0, 0, 1), a[3 * t], 1e-6);
  // Word " world" over kept tokens 1, 2: mean of their renormalized rows, keys summed.
  const float r1 = 1.0f - a[1 * t], r2 = 1.0f - a[2 * t], r3 = 1.0f - a[3 * t];
  const std::vector<float> expected = {(a[1 * t + 1] / r1 + (a[2 * t + 1] + a[2 * t + 2]) / r2) / 2,
                                       0.0f, (a[3 * t + 1] + a[3 * t + 2]) / r3, a[3 * t + 3] / r3};
  expect_head_near(*view.trace, 0, 0, expected);
  expect_rows_sum_to_one(*view.trace);
}

TEST(DeriveTrace, HideSpecialTokensOfBertAndMergeWordPieces) {
  // "[CLS] the bank ##s [SEP]" over "the banks".
  std::vector<Token> tokens = {{101, "[CLS]", 0, 0, true},
                               {1996, "the", 0, 3, false},
                               {2924, "bank", 4, 8, false},
                               {2015, "##s", 8, 9, false},
                               {102, "[SEP]", 9, 9, true}};
  const int t = 5;
  const auto a = random_map(t, false, 6);
  auto trace = make_trace(tokens, 1, 1, false, {a});
  TraceViewOptions options;
  options.hide_special = true;
  options.merge_words = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->tokens_count(), 2);
  EXPECT_EQ(view.trace->tokens()[1].text, "banks");
  EXPECT_EQ(view.trace->tokens()[1].start, 4u);
  EXPECT_EQ(view.trace->tokens()[1].end, 9u);
  EXPECT_EQ(view.hidden_count, 2);
  EXPECT_EQ(view.description, "2 tokens hidden, words");
  auto share = [&](int q) { return a[q * t + 0] + a[q * t + 4]; };
  EXPECT_NEAR(view.absorbed_share(0, 0, 0), share(1), 1e-6);
  EXPECT_NEAR(view.absorbed_share(0, 0, 1), (share(2) + share(3)) / 2, 1e-6);
  auto kept_row = [&](int q, int k) { return a[q * t + k] / (1.0f - share(q)); };
  const std::vector<float> expected = {
      kept_row(1, 1), kept_row(1, 2) + kept_row(1, 3), (kept_row(2, 1) + kept_row(3, 1)) / 2,
      (kept_row(2, 2) + kept_row(2, 3) + kept_row(3, 2) + kept_row(3, 3)) / 2};
  expect_head_near(*view.trace, 0, 0, expected, 2e-6f);
  expect_rows_sum_to_one(*view.trace);
}

TEST(DeriveTrace, HidingEveryTokenHidesNothing) {
  std::vector<Token> tokens = {{50256, "<|endoftext|>", 0, 13, true}};
  auto trace = make_trace(tokens, 1, 1, true, {{1.0f}});
  TraceViewOptions options;
  options.hide_first = true;
  DerivedTrace view = derive_trace(trace, options);
  EXPECT_EQ(view.trace->tokens_count(), 1);
  EXPECT_EQ(view.hidden_count, 0);
  EXPECT_TRUE(view.absorbed.empty());
}

TEST(DeriveTrace, AggregatePseudoHeadIsTheLayerMean) {
  const int t = 4;
  std::vector<std::vector<float>> maps;
  for (int i = 0; i < 2 * 3; ++i) maps.push_back(random_map(t, true, 20 + i));
  auto trace = make_trace(contiguous_tokens(kPieces), 2, 3, true, maps);
  TraceViewOptions options;
  options.aggregate = AggregateChoice{AggregateMode::kLayerMean, 1, 0, {0, 2}};
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->layers(), 1);
  ASSERT_EQ(view.trace->heads(), 1);
  EXPECT_TRUE(view.trace->causal());
  EXPECT_EQ(view.description, "mean of layer 1 heads 0,2");
  std::vector<float> expected(t * t);
  for (int i = 0; i < t * t; ++i) expected[i] = (maps[3][i] + maps[5][i]) / 2;
  expect_head_near(*view.trace, 0, 0, expected);
}

TEST(DeriveTrace, RolloutIsTakenOnRawTokensThenHidden) {
  const int t = 4;
  std::vector<std::vector<float>> maps;
  for (int i = 0; i < 2 * 2; ++i) maps.push_back(random_map(t, true, 30 + i));
  auto trace = make_trace(contiguous_tokens(kPieces), 2, 2, true, maps);
  // Hand rollout: A_l mean of heads, Â = (A + I) rows renormalized (each row sums to 2), R = Â2·Â1.
  auto hat = [&](int l) {
    std::vector<double> m(t * t);
    for (int i = 0; i < t * t; ++i) m[i] = (maps[l * 2][i] + maps[l * 2 + 1][i]) / 2;
    for (int i = 0; i < t; ++i) m[i * t + i] += 1.0;
    for (double& x : m) x /= 2.0;
    return m;
  };
  const auto h1 = hat(0), h2 = hat(1);
  std::vector<double> rollout(t * t, 0.0);
  for (int i = 0; i < t; ++i)
    for (int j = 0; j < t; ++j)
      for (int k = 0; k < t; ++k) rollout[i * t + j] += h2[i * t + k] * h1[k * t + j];
  TraceViewOptions options;
  options.aggregate = AggregateChoice{AggregateMode::kRollout, 0, 0, {}};
  options.hide_first = true;
  DerivedTrace view = derive_trace(trace, options);
  ASSERT_EQ(view.trace->tokens_count(), 3);
  std::vector<float> expected(9, 0.0f);
  for (int q = 1; q < t; ++q) {
    const double kept = 1.0 - rollout[q * t];
    EXPECT_NEAR(view.absorbed_share(0, 0, q - 1), rollout[q * t], 1e-5);
    for (int k = 1; k < t; ++k)
      expected[(q - 1) * 3 + (k - 1)] = static_cast<float>(rollout[q * t + k] / kept);
  }
  expect_head_near(*view.trace, 0, 0, expected, 1e-5f);
  EXPECT_EQ(view.description, "token 0 hidden, attention rollout");
}

TEST(DeriveTrace, OptionsCompareByValue) {
  TraceViewOptions a, b;
  EXPECT_TRUE(a == b);
  a.aggregate = AggregateChoice{AggregateMode::kLayerMax, 0, 0, {1}};
  EXPECT_FALSE(a == b);
  b.aggregate = AggregateChoice{AggregateMode::kLayerMax, 0, 0, {1}};
  EXPECT_TRUE(a == b);
  b.aggregate->heads = {2};
  EXPECT_FALSE(a == b);
}

// Whole-model maps (mean of all layers, rollout) are dense (T, T) and rollout costs L·T³: above
// kWholeModelMaxTokens the one rule refuses them with their size and cost, for the engine, the
// panels and the exporters alike.
TEST(WholeModelMap, RefusedAboveTheLimitWithItsSizeAndCost) {
  EXPECT_EQ(whole_model_refusal(AggregateMode::kRollout, kWholeModelMaxTokens, 30), "");
  EXPECT_EQ(whole_model_refusal(AggregateMode::kAllMean, 12, 2), "");
  const std::string rollout = whole_model_refusal(AggregateMode::kRollout, 8192, 30);
  for (const char* phrase : {"Attention rollout over 8192 tokens", "8192 \u00D7 8192 map (268 MB)",
                             "per layer", "1.6e+13 multiply-adds", "up to 4096 tokens",
                             "Pick a one-layer mode"})
    EXPECT_NE(rollout.find(phrase), std::string::npos) << phrase << " not in: " << rollout;
  const std::string mean = whole_model_refusal(AggregateMode::kAllMean, 4097, 30);
  EXPECT_NE(mean.find("The mean of all layers over 4097 tokens"), std::string::npos) << mean;
  EXPECT_EQ(mean.find("multiply-adds"), std::string::npos) << mean;
}

}  // namespace
}  // namespace attnviz

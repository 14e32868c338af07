// Weights on demand: a trace that keeps q, k and each row's log-sum-exp instead of the
// (L, H, T, T) weights gives, through AttentionReader, the weights a stored trace holds (the
// same bits) on every fixture, and a full materialized softmax within 1e-6 on random models up
// to T = 4096 (sliding windows, GQA, soft-capping).
//
// Legend: L layers, H heads, T tokens, D head width.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/transformer_model.h"
#include "core/view/attention_reader.h"
#include "core/view/map_geometry.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

RunOptions with_weights(RunOptions::Weights weights) {
  RunOptions options;
  options.weights = weights;
  options.keep_hidden_states = true;
  return options;
}

// Every weight of every head read through the reader's doors (row, visit_row, weight,
// head_map, dense) of `on_demand` against the stored rows of `stored`.
void expect_same_weights(const AttentionTrace& stored, const AttentionTrace& on_demand) {
  ASSERT_TRUE(stored.stores_weights());
  ASSERT_FALSE(on_demand.stores_weights());
  EXPECT_EQ(on_demand.weight_bytes(), 0u);
  EXPECT_EQ(on_demand.full_weight_bytes(), stored.weight_bytes());
  const AttentionReader a(stored), b(on_demand);
  const int t = stored.tokens_count();
  test::Worst worst;
  std::vector<float> row_a(t), row_b(t);
  for (int l = 0; l < stored.layers(); ++l) {
    for (int h = 0; h < stored.heads(); ++h) {
      const std::vector<float> map_b = b.head_map(l, h);
      for (int q = 0; q < t; ++q) {
        EXPECT_EQ(stored.row_lse(l, h, q), on_demand.row_lse(l, h, q));
        a.row(l, h, q, row_a);
        b.row(l, h, q, row_b);
        b.visit_row(l, h, q, [&](std::span<const float> visible) {
          ASSERT_EQ(static_cast<int>(visible.size()), b.visible_keys(q));
          for (size_t k = 0; k < visible.size(); ++k) EXPECT_EQ(visible[k], row_b[k]);
        });
        for (int k = 0; k < t; ++k) {
          const float want = row_a[k];
          const bool same = want == row_b[k] && want == map_b[static_cast<size_t>(q) * t + k] &&
                            want == b.weight(l, h, q, k);
          if (same) continue;
          const std::string at = "l" + std::to_string(l) + " h" + std::to_string(h) + " q" +
                                 std::to_string(q) + " k" + std::to_string(k);
          worst.update(std::abs(want - row_b[k]), at + " row");
          worst.update(std::abs(want - map_b[static_cast<size_t>(q) * t + k]), at + " map");
          worst.update(std::abs(want - b.weight(l, h, q, k)), at + " weight");
        }
      }
    }
  }
  EXPECT_EQ(worst.value, 0.0) << "largest difference " << worst.value << " at " << worst.where;
  EXPECT_EQ(a.dense(), b.dense());
  // The pooled overview (rows of a head recomputed from keys prepared once, in parallel) and
  // the head's largest weight, at pooling blocks of 1 and 3 cells.
  for (int max_texels : {t, std::max(1, t / 3)}) {
    const Thumbnail layout = thumbnail_layout(t, max_texels);
    std::vector<float> pooled_a(static_cast<size_t>(layout.texels) * layout.texels),
        pooled_b(pooled_a.size());
    for (int l = 0; l < stored.layers(); ++l)
      for (int h = 0; h < stored.heads(); ++h) {
        downsample_max(a, l, h, layout, 1.0f, pooled_a);
        downsample_max(b, l, h, layout, 1.0f, pooled_b);
        EXPECT_EQ(pooled_a, pooled_b) << "pooled l" << l << " h" << h << " block " << layout.block;
        EXPECT_EQ(a.head_max(l, h), b.head_max(l, h)) << "l" << l << " h" << h;
      }
  }
}

void expect_stored_equals_on_demand(Model& model, const std::vector<Token>& tokens) {
  auto stored = test::run_ok(model, tokens, with_weights(RunOptions::Weights::kStored));
  auto on_demand = test::run_ok(model, tokens, with_weights(RunOptions::Weights::kOnDemand));
  ASSERT_TRUE(stored && on_demand);
  // The forward pass itself computes the same numbers either way.
  EXPECT_EQ(stored->hidden_states, on_demand->hidden_states);
  expect_same_weights(*stored, *on_demand);
}

TEST(AttentionOnDemand, FixturesGiveTheStoredWeightsBitForBit) {
  std::vector<std::string> names = {"gpt2-tiny", "bert-tiny"};
  for (const char* modern : {"gemma2-tiny", "gemma3-tiny", "gpt-neox-tiny", "llama-linear-tiny",
                             "llama3-tiny", "mistral-tiny", "phi3-tiny", "qwen2-tiny",
                             "qwen3-tiny"})
    names.push_back(std::string("modern/") + modern);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    LoadOptions load;
    load.require_tokenizer = false;
    const std::shared_ptr<Model> model = test::fixture_model(name, load);
    ASSERT_TRUE(model);
    const SafetensorsFile reference = test::open_reference(name);
    const int texts = test::reference_texts(reference);
    ASSERT_GE(texts, 1);
    for (int i = 0; i < texts; ++i) {
      SCOPED_TRACE("text " + std::to_string(i));
      expect_stored_equals_on_demand(*model, test::reference_tokens(reference, i));
    }
  }
}

// A fixture's architecture with random weights, room for `positions` tokens.
std::unique_ptr<TransformerModel> random_like(const std::string& fixture, int positions) {
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> model = test::fixture_model("modern/" + fixture, load);
  EXPECT_TRUE(model);
  if (!model) return nullptr;
  ModelConfig config = model->config();
  config.max_positions = std::max(config.max_positions, positions);
  return TransformerModel::random(config, 5, ids_only_tokenizer(config.vocab_size, "test"));
}

std::vector<Token> random_tokens(int t, int vocab, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Token> tokens(t);
  for (Token& token : tokens) token.id = static_cast<int32_t>(random() % vocab);
  return tokens;
}

TEST(AttentionOnDemand, RandomModelsGiveTheStoredWeightsBitForBit) {
  // Soft-capping and sliding windows (Gemma 2), GQA with a window (Mistral).
  for (const char* name : {"gemma2-tiny", "mistral-tiny"}) {
    SCOPED_TRACE(name);
    auto model = random_like(name, 600);
    ASSERT_TRUE(model);
    expect_stored_equals_on_demand(*model, random_tokens(600, model->config().vocab_size, 3));
  }
}

// Weights of one head materialized from scratch: the (T, T) scores the softmax saw, then a
// softmax per row in double precision.
std::vector<double> materialized_head(const AttentionTrace& trace, int layer, int head) {
  const HeadDetail detail = trace.head_detail(layer, head);
  const int t = detail.tokens;
  std::vector<double> weights(static_cast<size_t>(t) * t, 0.0);
  for (int q = 0; q < t; ++q) {
    const float* scores = detail.scores.data() + static_cast<size_t>(q) * t;
    double max = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (int k = 0; k < t; ++k) max = std::max(max, static_cast<double>(scores[k]));
    for (int k = 0; k < t; ++k) sum += std::exp(static_cast<double>(scores[k]) - max);
    for (int k = 0; k < t; ++k)
      weights[static_cast<size_t>(q) * t + k] = std::exp(scores[k] - max) / sum;
  }
  return weights;
}

TEST(AttentionOnDemand, LongRandomRunsMatchAFullMaterializedSoftmax) {
  constexpr int kTokens = 4096;
  for (const char* name : {"gemma2-tiny", "qwen3-tiny"}) {
    SCOPED_TRACE(name);
    auto model = random_like(name, kTokens);
    ASSERT_TRUE(model);
    RunOptions options;  // kAuto: a text this long is not stored
    auto trace = test::run_ok(*model, random_tokens(kTokens, model->config().vocab_size, 9),
                              options);
    ASSERT_TRUE(trace);
    EXPECT_FALSE(trace->stores_weights());
    EXPECT_EQ(trace->weight_bytes(), 0u);
    const AttentionReader reader(*trace);
    const int last_layer = trace->layers() - 1, last_head = trace->heads() - 1;
    // A local (windowed) layer, a global one, the first and the last head of a GQA group.
    for (const auto& [layer, head] :
         std::vector<std::pair<int, int>>{{0, 0}, {0, last_head}, {last_layer, 1}}) {
      SCOPED_TRACE("layer " + std::to_string(layer) + " head " + std::to_string(head));
      const std::vector<double> want = materialized_head(*trace, layer, head);
      const std::vector<float> got = reader.head_map(layer, head);
      double worst = 0.0;
      size_t worst_at = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        const double diff = std::abs(want[i] - got[i]);
        if (!(diff <= worst)) worst = std::isnan(diff) ? INFINITY : diff, worst_at = i;
      }
      EXPECT_LT(worst, 1e-6) << "largest difference " << worst << " at query "
                             << worst_at / kTokens << " key " << worst_at % kTokens;
      for (int q : {0, 1, 2047, kTokens - 1})
        for (int k : {0, q / 2, q})
          EXPECT_NEAR(reader.weight(layer, head, q, k), want[static_cast<size_t>(q) * kTokens + k],
                      1e-6);
    }
  }
}

// Typing on a long text: the next run reuses the prefix's q/k/v and lse, whatever the run
// before stored, and reads the same as a run that stores its weights.
TEST(AttentionOnDemand, ReusedPrefixesReadLikeAFreshRun) {
  auto model = random_like("mistral-tiny", 300);
  ASSERT_TRUE(model);
  const std::vector<Token> tokens = random_tokens(300, model->config().vocab_size, 4);
  const std::vector<Token> prefix(tokens.begin(), tokens.begin() + 280);
  for (auto first : {RunOptions::Weights::kStored, RunOptions::Weights::kOnDemand}) {
    auto before = test::run_ok(*model, prefix, with_weights(first));
    ASSERT_TRUE(before);
    auto typed = test::run_ok(*model, tokens, with_weights(RunOptions::Weights::kOnDemand),
                              before.get());
    ASSERT_TRUE(typed);
    EXPECT_EQ(typed->timings.reused_positions, 280);
    // The same typing with stored weights (a fresh run differs in the last bits: its
    // projections run on other blocks of rows).
    auto typed_stored =
        test::run_ok(*model, tokens, with_weights(RunOptions::Weights::kStored), before.get());
    ASSERT_TRUE(typed_stored);
    EXPECT_EQ(typed_stored->timings.reused_positions, 280);
    expect_same_weights(*typed_stored, *typed);
  }
}

}  // namespace
}  // namespace attnviz

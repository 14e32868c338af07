// The cache: a causal run given the previous trace reuses the shared token prefix and must
// equal a full run (attention, Q/K/V, hidden states, predictions); anything that changes the
// math, or a trace from elsewhere, reuses nothing.
//
// Legend: L layers, T tokens, C width.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>

#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

class Incremental : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gpt2_ = test::fixture_model("gpt2-tiny");
    bert_ = test::fixture_model("bert-tiny");
  }
  static void TearDownTestSuite() {
    gpt2_.reset();
    bert_.reset();
  }
  // The reference texts joined, twice: a text longer than one query block to cut from.
  static std::vector<Token> long_text(const std::string& name) {
    const SafetensorsFile reference = test::open_reference(name);
    std::vector<Token> all;
    for (int round = 0; round < 2; ++round)
      for (int i = 0; i < test::reference_texts(reference); ++i) {
        auto tokens = test::reference_tokens(reference, i);
        all.insert(all.end(), tokens.begin(), tokens.end());
      }
    return all;
  }
  static std::shared_ptr<Model> gpt2_, bert_;
};
std::shared_ptr<Model> Incremental::gpt2_, Incremental::bert_;

std::vector<Token> first(const std::vector<Token>& tokens, size_t n) {
  return {tokens.begin(), tokens.begin() + n};
}

// Incremental vs full differences. Attention weights (in [0, 1]) are compared absolutely;
// Q/K/V, hidden states and probabilities relative to max(1, |value|). The new rows go through
// other products than in a full run (fewer than 16 rows take ops.cpp's streaming kernels; a
// query block of another size takes other GEMM kernels), which sum in another order: results
// agree to a few float ulps, amplified by the fixture's deliberately large weights, not bit for
// bit. Measured on the fixture: attention <= 2.5e-6, values <= 5.5e-6 relative.
constexpr double kAttentionTolerance = 5e-6;
constexpr double kValueTolerance = 1e-5;

struct TraceDiff {
  Worst attention;
  Worst values;
};

double relative(float a, float b) {
  return std::abs(a - b) / std::max(1.0, static_cast<double>(std::abs(b)));
}

TraceDiff trace_difference(const AttentionTrace& a, const AttentionTrace& b) {
  TraceDiff diff;
  diff.attention = test::attention_difference(a, b);
  Worst& worst = diff.values;
  for (int l = 0; l < a.layers(); ++l) {
    auto qa = a.qkv(l), qb = b.qkv(l);
    for (size_t i = 0; i < qa.size(); ++i)
      worst.update(relative(qa[i], qb[i]),
                   "qkv layer " + std::to_string(l) + " element " + std::to_string(i));
  }
  if (a.hidden_states.size() != b.hidden_states.size()) worst.update(INFINITY, "hidden size");
  for (size_t i = 0; i < a.hidden_states.size() && i < b.hidden_states.size(); ++i)
    worst.update(relative(a.hidden_states[i], b.hidden_states[i]),
                 "hidden states element " + std::to_string(i));
  if (a.predictions.size() != b.predictions.size()) worst.update(INFINITY, "prediction count");
  for (size_t q = 0; q < a.predictions.size() && q < b.predictions.size(); ++q) {
    if (a.predictions[q].size() != b.predictions[q].size())
      worst.update(INFINITY, "prediction " + std::to_string(q) + " count");
    for (size_t r = 0; r < a.predictions[q].size() && r < b.predictions[q].size(); ++r) {
      worst.update(relative(a.predictions[q][r].probability, b.predictions[q][r].probability),
                   "prediction " + std::to_string(q) + " rank " + std::to_string(r));
      if (a.predictions[q][r].id != b.predictions[q][r].id)
        worst.update(INFINITY, "prediction id " + std::to_string(q) + " rank " + std::to_string(r));
    }
  }
  return diff;
}

void expect_equal_traces(const AttentionTrace& incremental, const AttentionTrace& full,
                         const std::string& what) {
  const TraceDiff diff = trace_difference(incremental, full);
  EXPECT_LE(diff.attention.value, kAttentionTolerance)
      << what << ": attention max difference " << diff.attention.value << " at "
      << diff.attention.where;
  EXPECT_LE(diff.values.value, kValueTolerance)
      << what << ": max relative difference " << diff.values.value << " at " << diff.values.where;
  std::cout << what << ": reused " << incremental.timings.reused_positions
            << ", attention max diff " << diff.attention.value << ", Q/K/V/hidden/probability max "
            << "relative diff " << diff.values.value << "\n";
}

struct Step {
  const char* what;
  size_t previous_tokens;  // run first on this many tokens of the text...
  size_t tokens;           // ...then on this many, with the previous trace,
  size_t change_from;      // with ids from here on changed (kNoChange: none)
  int expected_reuse;
};
constexpr size_t kNoChange = SIZE_MAX;

TEST_F(Incremental, ReusedPrefixEqualsFullRun) {
  const std::vector<Token> text = long_text("gpt2-tiny");
  ASSERT_GE(text.size(), 70u);
  RunOptions options;
  options.keep_hidden_states = true;
  const Step steps[] = {
      {"append 1 token", 20, 21, kNoChange, 20},
      {"append 5 tokens", 30, 35, kNoChange, 30},
      {"diverge mid-text", 40, 44, 17, 17},
      {"diverge inside the second query block", 66, 69, 60, 60},
      {"same tokens", 25, 25, kNoChange, 24},
      {"shorter: a prefix of the previous", 40, 12, kNoChange, 11},
      {"first token differs", 20, 22, 0, 0},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.what);
    const std::vector<Token> before = first(text, step.previous_tokens);
    std::vector<Token> after = first(text, step.tokens);
    for (size_t i = step.change_from; i < after.size(); ++i)
      after[i].id = (after[i].id + 7) % 50000;
    auto previous = test::run_ok(*gpt2_, before, options);
    auto incremental = test::run_ok(*gpt2_, after, options, previous.get());
    auto full = test::run_ok(*gpt2_, after, options);
    ASSERT_TRUE(previous && incremental && full);
    EXPECT_EQ(incremental->timings.reused_positions, step.expected_reuse);
    EXPECT_EQ(full->timings.reused_positions, 0);
    expect_equal_traces(*incremental, *full, step.what);
  }
}

TEST_F(Incremental, BertWithCausalMaskReusesToo) {
  const std::vector<Token> text = long_text("bert-tiny");
  RunOptions causal;
  causal.causal_mask = true;
  causal.keep_hidden_states = true;
  auto previous = test::run_ok(*bert_, first(text, 30), causal);
  auto incremental = test::run_ok(*bert_, first(text, 33), causal, previous.get());
  auto full = test::run_ok(*bert_, first(text, 33), causal);
  ASSERT_TRUE(previous && incremental && full);
  EXPECT_EQ(incremental->timings.reused_positions, 30);
  expect_equal_traces(*incremental, *full, "BERT causal, append 3");
}

TEST_F(Incremental, NothingIsReusedWhenTheMathOrTheSourceDiffers) {
  const std::vector<Token> text = long_text("gpt2-tiny");
  auto before = first(text, 20), after = first(text, 24);
  auto previous = test::run_ok(*gpt2_, before, {});
  ASSERT_TRUE(previous);

  RunOptions warmer;
  warmer.temperature = 2.0f;
  RunOptions unscaled;
  unscaled.scale_by_sqrt_dk = false;
  RunOptions open;
  open.causal_mask = false;
  RunOptions no_qkv;
  no_qkv.keep_qkv = false;
  RunOptions hidden;
  hidden.keep_hidden_states = true;  // the previous run did not keep them
  RunOptions fewer;
  fewer.top_predictions = 3;
  for (const RunOptions& options : {warmer, unscaled, open, no_qkv, hidden, fewer}) {
    auto trace = test::run_ok(*gpt2_, after, options, previous.get());
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->timings.reused_positions, 0);
  }
  // The same math spelled explicitly (causal_mask = true on GPT-2) is a different request.
  RunOptions explicit_causal;
  explicit_causal.causal_mask = true;
  auto other_math = test::run_ok(*gpt2_, after, explicit_causal, previous.get());
  EXPECT_EQ(other_math->timings.reused_positions, 0);

  // A trace this model did not produce: another instance of the same checkpoint.
  std::shared_ptr<Model> twin = test::fixture_model("gpt2-tiny");
  ASSERT_TRUE(twin);
  auto from_twin = test::run_ok(*twin, after, {}, previous.get());
  EXPECT_EQ(from_twin->timings.reused_positions, 0);
  // And BERT's own bidirectional runs never reuse.
  auto bert_previous = test::run_ok(*bert_, first(long_text("bert-tiny"), 20), {});
  auto bert_next = test::run_ok(*bert_, first(long_text("bert-tiny"), 22), {}, bert_previous.get());
  EXPECT_EQ(bert_next->timings.reused_positions, 0);
}

// The app's way: attention first, predictions filled in after. The completed trace equals a
// full run, shares the attention storage of the pending one, and serves as the next prefix;
// a pending trace only lends the rows whose predictions it has.
TEST_F(Incremental, DeferredPredictionsCompleteToAFullRun) {
  const std::vector<Token> text = long_text("gpt2-tiny");
  RunOptions deferred;
  deferred.defer_predictions = true;
  auto previous = gpt2_->complete_predictions(test::run_ok(*gpt2_, first(text, 30), deferred));
  ASSERT_TRUE(previous && !previous->predictions_pending());

  auto pending = test::run_ok(*gpt2_, first(text, 33), deferred, previous.get());
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->timings.reused_positions, 30);
  ASSERT_TRUE(pending->predictions_pending());
  EXPECT_EQ(pending->pending_from, 30);
  EXPECT_FALSE(pending->predictions[29].empty());  // the reused prefix keeps its predictions
  EXPECT_TRUE(pending->predictions[30].empty());

  // Reusing the pending trace itself stops where its predictions stop.
  auto from_pending = test::run_ok(*gpt2_, first(text, 36), deferred, pending.get());
  EXPECT_EQ(from_pending->timings.reused_positions, 30);

  auto completed = gpt2_->complete_predictions(pending);
  ASSERT_TRUE(completed && !completed->predictions_pending());
  // The pending hidden states live beside the model: a trace it did not make is not completed.
  auto other = Model::load(test::fixture("gpt2-tiny") / "model");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->complete_predictions(pending), pending);
  EXPECT_EQ(completed->row(0, 0, 32).data(), pending->row(0, 0, 32).data()) << "storage is shared";
  EXPECT_EQ(completed->qkv(1).data(), pending->qkv(1).data());
  auto full = test::run_ok(*gpt2_, first(text, 33), {});
  expect_equal_traces(*completed, *full, "deferred, then completed");

  auto next = test::run_ok(*gpt2_, first(text, 35), {}, completed.get());
  EXPECT_EQ(next->timings.reused_positions, 33);
  expect_equal_traces(*next, *test::run_ok(*gpt2_, first(text, 35), {}), "after a completed trace");
  // Nothing pending: the same trace comes back.
  EXPECT_EQ(gpt2_->complete_predictions(full), full);
}

TEST_F(Incremental, AChainOfAppendsStaysExact) {
  const std::vector<Token> text = long_text("gpt2-tiny");
  auto full = test::run_ok(*gpt2_, text, {});
  std::shared_ptr<const AttentionTrace> trace = test::run_ok(*gpt2_, first(text, 1), {});
  // As in the app, the previous trace lives on while the next one runs; the one before is gone,
  // so the next trace takes over its storage and copies only the one row between them.
  int copied = 0, reused = 0;
  for (size_t n = 2; n <= text.size(); ++n) {
    trace = test::run_ok(*gpt2_, first(text, n), {}, trace.get());
    ASSERT_TRUE(trace);
    ASSERT_EQ(trace->timings.reused_positions, static_cast<int>(n - 1));
    copied += trace->timings.copied_positions;
    reused += trace->timings.reused_positions;
  }
  expect_equal_traces(*trace, *full, std::to_string(text.size()) + " single-token appends");
  // Full copies happen only when the text outgrows its layout (every 32 tokens).
  std::cout << "copied " << copied << " of " << reused << " reused rows\n";
  EXPECT_LT(copied, reused / 8);
}

// The cache on the modern families: grouped-query keys, sliding windows (the window moves with
// the appended rows), soft-caps, q/k norms, per-head fused q/k/v; and Phi-3's longrope, whose
// tables change for every position once the text passes original_max_position_embeddings, so a
// text that crosses it reuses nothing.
TEST_F(Incremental, ModernFamiliesAppendAsAFullRun) {
  LoadOptions no_tokenizer;
  no_tokenizer.require_tokenizer = false;
  RunOptions options;
  options.keep_hidden_states = true;
  for (const char* name : {"llama3-tiny", "mistral-tiny", "gemma2-tiny", "gemma3-tiny",
                           "qwen3-tiny", "gpt-neox-tiny"}) {
    SCOPED_TRACE(name);
    auto model = test::fixture_model(std::string("modern/") + name, no_tokenizer);
    ASSERT_TRUE(model);
    const std::vector<Token> text = long_text(std::string("modern/") + name);
    auto previous = test::run_ok(*model, first(text, 70), options);
    auto incremental = test::run_ok(*model, first(text, 75), options, previous.get());
    auto full = test::run_ok(*model, first(text, 75), options);
    ASSERT_TRUE(previous && incremental && full);
    EXPECT_EQ(incremental->timings.reused_positions, 70);
    expect_equal_traces(*incremental, *full, std::string(name) + ", append 5");
  }
  auto phi3 = test::fixture_model("modern/phi3-tiny", no_tokenizer);
  ASSERT_TRUE(phi3);
  const std::vector<Token> text = long_text("modern/phi3-tiny");
  auto short_run = test::run_ok(*phi3, first(text, 30), options);
  auto still_short = test::run_ok(*phi3, first(text, 32), options, short_run.get());
  EXPECT_EQ(still_short->timings.reused_positions, 30) << "short factors up to 32 tokens";
  expect_equal_traces(*still_short, *test::run_ok(*phi3, first(text, 32), options),
                      "phi3 within the short factors");
  auto crossed = test::run_ok(*phi3, first(text, 34), options, still_short.get());
  EXPECT_EQ(crossed->timings.reused_positions, 0) << "33 tokens and more: long factors everywhere";
  expect_equal_traces(*crossed, *test::run_ok(*phi3, first(text, 34), options),
                      "phi3 across the longrope switch");
  auto long_run = test::run_ok(*phi3, first(text, 40), options, crossed.get());
  EXPECT_EQ(long_run->timings.reused_positions, 34);
}

}  // namespace
}  // namespace attnviz

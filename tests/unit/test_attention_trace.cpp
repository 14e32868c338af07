// Tests of AttentionTrace: the packed causal layout against a dense naive store, dense copies,
// and head_detail's recomputed scores against naive loops over the stored Q and K.
// Legend: L layers, H heads, T tokens, C width, D = C / H head width.
#include <gtest/gtest.h>

#include "model_test_support.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "core/attention_trace.h"
#include "core/trace_storage.h"

namespace attnviz {
namespace {

std::vector<Token> make_tokens(int count) {
  std::vector<Token> tokens(count);
  for (int i = 0; i < count; ++i) {
    tokens[i].id = 100 + i;
    tokens[i].text = std::to_string(i);
    tokens[i].start = static_cast<size_t>(i) * 2;
    tokens[i].end = tokens[i].start + 2;
  }
  return tokens;
}

// A value unique to (layer, head, query, key), never 0.
float tag(int layer, int head, int query, int key) {
  return 1.0f + layer * 1000.0f + head * 100.0f + query * 10.0f + key * 0.5f;
}

// Fills every stored weight with its tag and returns the dense (L, H, T, T) expectation,
// 0 where the mask hides the key.
std::vector<float> fill_with_tags(AttentionTrace& trace) {
  const int t = trace.tokens_count();
  std::vector<float> expected(static_cast<size_t>(trace.layers()) * trace.heads() * t * t, 0.0f);
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      for (int q = 0; q < t; ++q) {
        auto row = trace.mutable_row(l, h, q);
        EXPECT_EQ(row.size(), static_cast<size_t>(trace.row_length(q)));
        for (size_t k = 0; k < row.size(); ++k) {
          row[k] = tag(l, h, q, static_cast<int>(k));
          expected[((static_cast<size_t>(l) * trace.heads() + h) * t + q) * t + k] = row[k];
        }
      }
  return expected;
}

TEST(AttentionTrace, CausalRowsArePackedAndDisjoint) {
  const int layers = 2, heads = 3, t = 6;
  AttentionTrace trace(make_tokens(t), layers, heads, /*causal=*/true);
  EXPECT_TRUE(trace.causal());
  EXPECT_EQ(trace.tokens_count(), t);
  for (int q = 0; q < t; ++q) EXPECT_EQ(trace.row_length(q), q + 1);
  // T(T+1)/2 floats per head: half the dense size (plus the diagonal).
  EXPECT_EQ(trace.weight_bytes(), sizeof(float) * layers * heads * t * (t + 1) / 2);

  // Rows are disjoint and cover the buffer exactly once.
  std::set<const float*> seen;
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q)
        for (const float& weight : trace.row(l, h, q)) EXPECT_TRUE(seen.insert(&weight).second);
  EXPECT_EQ(seen.size() * sizeof(float), trace.weight_bytes());

  const std::vector<float> expected = fill_with_tags(trace);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q)
        for (int k = 0; k < t; ++k) {
          const float want = k <= q ? tag(l, h, q, k) : 0.0f;
          ASSERT_EQ(trace.weight(l, h, q, k), want)
              << "l" << l << " h" << h << " q" << q << " k" << k;
        }
}

TEST(AttentionTrace, BidirectionalRowsAreFull) {
  const int layers = 2, heads = 2, t = 5;
  AttentionTrace trace(make_tokens(t), layers, heads, /*causal=*/false);
  for (int q = 0; q < t; ++q) EXPECT_EQ(trace.row_length(q), t);
  EXPECT_EQ(trace.weight_bytes(), sizeof(float) * layers * heads * t * t);
  fill_with_tags(trace);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q)
        for (int k = 0; k < t; ++k) ASSERT_EQ(trace.weight(l, h, q, k), tag(l, h, q, k));
}

TEST(AttentionTrace, DenseCopiesMatchNaiveLayout) {
  for (bool causal : {true, false}) {
    SCOPED_TRACE(causal ? "causal" : "bidirectional");
    const int layers = 3, heads = 2, t = 7;
    AttentionTrace trace(make_tokens(t), layers, heads, causal);
    const std::vector<float> expected = fill_with_tags(trace);

    const std::vector<float> dense = trace.dense();  // (L, H, T, T)
    ASSERT_EQ(dense.size(), expected.size());
    for (size_t i = 0; i < dense.size(); ++i) ASSERT_EQ(dense[i], expected[i]) << "at " << i;

    // copy_head overwrites every entry, including the masked ones.
    std::vector<float> head(t * t, std::numeric_limits<float>::quiet_NaN());
    trace.copy_head(2, 1, head);
    const size_t offset = (2 * heads + 1) * static_cast<size_t>(t) * t;
    for (int i = 0; i < t * t; ++i) ASSERT_EQ(head[i], expected[offset + i]) << "at " << i;
  }
}

TEST(AttentionTrace, EmptyTrace) {
  AttentionTrace trace({}, 2, 4, true);
  EXPECT_EQ(trace.tokens_count(), 0);
  EXPECT_EQ(trace.weight_bytes(), 0u);
  EXPECT_TRUE(trace.dense().empty());
  EXPECT_FALSE(trace.has_qkv());
  EXPECT_EQ(trace.score_scale(1), 1.0f);  // no scales set: plain q·k
}

// Q, K, V filled with random values; checks the per-head slices and recomputed scores.
void check_head_detail(bool causal) {
  const int layers = 2, heads = 3, t = 6, width = 12, d = width / heads;
  AttentionTrace trace(make_tokens(t), layers, heads, causal);
  EXPECT_FALSE(trace.has_qkv());
  trace.set_qkv_shape(width);
  ASSERT_TRUE(trace.has_qkv());
  EXPECT_EQ(trace.width(), width);
  EXPECT_EQ(trace.head_dim(), d);
  std::mt19937 random(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int l = 0; l < layers; ++l) {
    auto qkv = trace.mutable_qkv(l);  // (T, 3C)
    ASSERT_EQ(qkv.size(), static_cast<size_t>(t) * 3 * width);
    for (float& value : qkv) value = normal(random);
  }
  EXPECT_NE(trace.qkv(0).data(), trace.qkv(1).data());
  const std::vector<float> scales = {0.5f, 0.125f};
  trace.set_score_scales(scales);

  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      SCOPED_TRACE(testing::Message() << "layer " << l << " head " << h);
      const HeadDetail detail = trace.head_detail(l, h);
      EXPECT_EQ(detail.layer, l);
      EXPECT_EQ(detail.head, h);
      EXPECT_EQ(detail.tokens, t);
      EXPECT_EQ(detail.head_dim, d);
      EXPECT_EQ(detail.score_scale, scales[l]);
      ASSERT_EQ(detail.queries.size(), static_cast<size_t>(t) * d);
      ASSERT_EQ(detail.scores.size(), static_cast<size_t>(t) * t);
      auto qkv = trace.qkv(l);
      // Naive: head h's query of token i is qkv[i, h*D + e], key at C + h*D + e, value at 2C + ...
      auto q_at = [&](int i, int e) { return qkv[static_cast<size_t>(i) * 3 * width + h * d + e]; };
      auto k_at = [&](int i, int e) {
        return qkv[static_cast<size_t>(i) * 3 * width + width + h * d + e];
      };
      auto v_at = [&](int i, int e) {
        return qkv[static_cast<size_t>(i) * 3 * width + 2 * width + h * d + e];
      };
      for (int i = 0; i < t; ++i)
        for (int e = 0; e < d; ++e) {
          ASSERT_EQ(detail.queries[i * d + e], q_at(i, e));
          ASSERT_EQ(detail.keys[i * d + e], k_at(i, e));
          ASSERT_EQ(detail.values[i * d + e], v_at(i, e));
        }
      double max_difference = 0.0;
      int worst_i = -1, worst_j = -1;
      for (int i = 0; i < t; ++i)
        for (int j = 0; j < t; ++j) {
          const float score = detail.scores[i * t + j];
          if (causal && j > i) {
            ASSERT_TRUE(std::isinf(score) && score < 0) << "masked score at " << i << "," << j;
            continue;
          }
          double dot = 0.0;
          for (int e = 0; e < d; ++e) dot += static_cast<double>(q_at(i, e)) * k_at(j, e);
          const double difference = std::abs(dot * scales[l] - score);
          if (difference > max_difference) max_difference = difference, worst_i = i, worst_j = j;
        }
      EXPECT_LT(max_difference, 1e-5)
          << "max difference at query " << worst_i << ", key " << worst_j;
    }
}

TEST(AttentionTrace, HeadDetailMatchesNaiveCausal) {
  check_head_detail(true);
}
TEST(AttentionTrace, HeadDetailMatchesNaiveBidirectional) {
  check_head_detail(false);
}

// The pool hands a buffer to a new trace only once no trace uses it, prefers the smallest that
// fits, leaves room for a growing text, and lets idle buffers beyond its budget go.
TEST(TraceStoragePool, RecyclesOnlyBuffersNoTraceUses) {
  TraceStoragePool pool;
  auto first = pool.take(1000);
  ASSERT_EQ(first->floats.size(), 1000u);
  EXPECT_GE(first->floats.capacity(), 1250u) << "a quarter more room for the next, longer text";
  const float* first_data = first->floats.data();
  auto second = pool.take(1000);
  EXPECT_NE(second->floats.data(), first_data) << "a buffer in use is never handed out twice";
  first.reset();  // its trace is gone
  auto third = pool.take(1200);
  EXPECT_EQ(third->floats.data(), first_data) << "the idle buffer is reused, grown within its room";
  EXPECT_EQ(third->floats.size(), 1200u);
  auto big = pool.take(1300);  // 1300 > 1250: no idle buffer fits
  EXPECT_NE(big->floats.data(), first_data);

  // Idle buffers beyond kMaxIdle bytes are released. Five idle buffers of 0.3125 budgets each
  // (a quarter of it, plus room): one is taken again, and of the four left idle (1.25 budgets)
  // exactly one must go.
  TraceStoragePool budget;
  const size_t quarter = TraceStoragePool::kMaxIdle / sizeof(float) / 4;
  std::vector<std::weak_ptr<TraceBuffer>> watched;
  {
    std::vector<std::shared_ptr<TraceBuffer>> held;
    for (int i = 0; i < 5; ++i) held.push_back(budget.take(quarter));
    for (const auto& buffer : held) watched.push_back(buffer);
  }
  auto small = budget.take(16);
  EXPECT_EQ(small->floats.size(), 16u);
  int released = 0;
  for (const auto& buffer : watched) released += buffer.expired();
  EXPECT_EQ(released, 1);

  // A buffer over kMaxBuffer (a long text) is not kept, and every idle one is let go first.
  small.reset();
  auto huge = budget.take(TraceStoragePool::kMaxBuffer / sizeof(float) + 1);
  released = 0;
  for (const auto& buffer : watched) released += buffer.expired();
  EXPECT_EQ(released, 5);
  std::weak_ptr<TraceBuffer> huge_watched = huge;
  huge.reset();
  EXPECT_TRUE(huge_watched.expired()) << "the pool keeps no buffer over kMaxBuffer";
}

std::vector<Token> tokens_with_ids(std::vector<int32_t> ids) {
  std::vector<Token> tokens(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) tokens[i].id = ids[i];
  return tokens;
}

// take_rows hands out the idle buffer whose rows are final for the longest prefix of the new
// ids, only under the same tag (part, layout, math, RoPE variant), never one in use, and never
// more rows than the limit.
TEST(TraceStoragePool, TakeRowsKeepsTheLongestMatchingPrefix) {
  TraceStoragePool pool;
  const RowsTag tag{RowsTag::Part::kAttention, 32, RunOptions{}, 0};
  int kept = -1;
  auto a = pool.take_rows(100, tag, tokens_with_ids({1, 2, 3}), 3, &kept);
  EXPECT_EQ(kept, 0) << "a fresh buffer holds nothing";
  pool.mark_final(a.get(), tokens_with_ids({1, 2, 3, 4, 5}));
  auto b = pool.take_rows(100, tag, tokens_with_ids({1, 2, 3}), 3, &kept);
  EXPECT_EQ(kept, 0) << "a buffer in use is never handed out";
  EXPECT_NE(a.get(), b.get());
  pool.mark_final(b.get(), tokens_with_ids({1, 2, 9}));
  const TraceBuffer* a_raw = a.get();
  a.reset();
  b.reset();

  auto best = pool.take_rows(100, tag, tokens_with_ids({1, 2, 3, 4, 7, 8}), 6, &kept);
  EXPECT_EQ(best.get(), a_raw) << "4 rows match in a, 2 in b";
  EXPECT_EQ(kept, 4);
  EXPECT_EQ(*pool.final_ids(best.get()), (std::vector<int32_t>{1, 2, 3, 4}))
      << "only the kept rows stay final";
  best.reset();
  auto limited = pool.take_rows(100, tag, tokens_with_ids({1, 2, 3, 4, 7, 8}), 2, &kept);
  EXPECT_EQ(kept, 2) << "never more than the limit";
  limited.reset();

  RowsTag other_math = tag;
  other_math.math.temperature = 2.0f;
  RowsTag other_layout = tag;
  other_layout.positions = 64;
  RowsTag other_part = tag;
  other_part.part = RowsTag::Part::kQkv;
  RowsTag other_rope = tag;  // longrope's long factors: every row rotates differently
  other_rope.rope_variant = 1;
  for (const RowsTag& other : {other_math, other_layout, other_part, other_rope}) {
    auto taken = pool.take_rows(100, other, tokens_with_ids({1, 2, 3}), 3, &kept);
    EXPECT_EQ(kept, 0);
    EXPECT_TRUE(pool.final_ids(taken.get())->empty());
  }
}

// Typing: trace 3 is laid out in trace 1's buffers once trace 1 is gone, keeps the rows trace 1
// had for the same ids, and copies only the rows between them and the reused prefix from
// trace 2. Shapes with grouped-query heads and q/k before RoPE.
TEST(TraceStorage, RunStorageKeepsTheRowsOfTheTraceBeforeTheLast) {
  TraceStoragePool pool;
  const TraceShape shape{2, 4, 2, 3, true};
  const int qkv_width = shape.qkv_floats(), pre_width = shape.pre_rope_floats();
  RunOptions options;
  // Writes every row of queries from..T-1: attention tag() plus the query's id, lse, Q/K/V and
  // pre-RoPE q/k likewise.
  auto fill = [&](AttentionTrace& trace, int from) {
    for (int l = 0; l < shape.layers; ++l) {
      for (int h = 0; h < shape.heads; ++h)
        for (int q = from; q < trace.tokens_count(); ++q) {
          auto row = trace.mutable_row(l, h, q);
          for (size_t k = 0; k < row.size(); ++k)
            row[k] = tag(l, h, q, static_cast<int>(k)) + trace.tokens()[q].id;
          trace.mutable_lse(l, h)[q] = tag(l, h, q, 99);
        }
      auto qkv = trace.mutable_qkv(l);
      auto pre = trace.mutable_pre_rope(l);
      for (int q = from; q < trace.tokens_count(); ++q) {
        for (int k = 0; k < qkv_width; ++k) qkv[q * qkv_width + k] = tag(l, 0, q, k);
        for (int k = 0; k < pre_width; ++k) pre[q * pre_width + k] = tag(l, 1, q, k);
      }
    }
  };
  auto make = [&](const std::vector<int32_t>& ids, int reuse, RunStorage& run) {
    run = take_run_storage(pool, tokens_with_ids(ids), shape, options, true, true, 0, reuse);
    return std::make_shared<AttentionTrace>(tokens_with_ids(ids), shape, run.storage);
  };
  std::vector<int32_t> ids = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  RunStorage first_run, second_run, third_run;
  auto first = make(ids, 0, first_run);
  EXPECT_EQ(first_run.kept_rows, 0);
  fill(*first, 0);
  mark_rows_final(pool, *first, first_run.storage);
  first_run = {};
  const float* first_rows = first->row(1, 1, 0).data();

  ids.push_back(15);  // one more token: 10 rows reused from the first trace, all copied
  auto second = make(ids, 10, second_run);
  EXPECT_EQ(second_run.kept_rows, 0) << "the first trace still uses its buffers";
  copy_prefix(*second, *first, second_run.kept_rows, 10);
  fill(*second, 10);
  mark_rows_final(pool, *second, second_run.storage);
  second_run = {};
  first.reset();

  ids.back() = 16;  // the last token changed and one was added: 10 rows reused from the second
  ids.push_back(17);
  auto third = make(ids, 10, third_run);
  EXPECT_EQ(third->row(1, 1, 0).data(), first_rows) << "the first trace's buffer, taken over";
  EXPECT_EQ(third_run.kept_rows, 10) << "the first trace's 10 rows are final for the same ids";
  copy_prefix(*third, *second, third_run.kept_rows, 10);
  fill(*third, 10);

  RunStorage fresh_run;
  TraceStoragePool other_pool;
  fresh_run = take_run_storage(other_pool, tokens_with_ids(ids), shape, options, true, true, 0, 0);
  AttentionTrace expected(tokens_with_ids(ids), shape, fresh_run.storage);
  fill(expected, 0);
  EXPECT_EQ(third->dense(), expected.dense());
  for (int l = 0; l < shape.layers; ++l) {
    auto got = third->qkv(l), want = expected.qkv(l);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end())) << "layer " << l;
    auto got_pre = third->pre_rope(l), want_pre = expected.pre_rope(l);
    EXPECT_TRUE(std::equal(got_pre.begin(), got_pre.end(), want_pre.begin(), want_pre.end()));
    for (int h = 0; h < shape.heads; ++h)
      for (int q = 0; q < third->tokens_count(); ++q)
        ASSERT_EQ(third->row_lse(l, h, q), expected.row_lse(l, h, q)) << l << " " << h << " " << q;
  }
  EXPECT_EQ(third->weight_bytes(), expected.weight_bytes()) << "the text's rows, not the room";

  // A bidirectional run keeps nothing: its rows depend on every token.
  TraceShape bidirectional = shape;
  bidirectional.causal = false;
  RunStorage open_run =
      take_run_storage(pool, tokens_with_ids(ids), bidirectional, options, true, true, 0, 10);
  EXPECT_EQ(open_run.kept_rows, 0);
}

// A trace copy shares the storage: completing predictions must not copy the attention.
TEST(AttentionTrace, CopiesShareTheirStorage) {
  AttentionTrace trace(std::vector<Token>(4), 1, 2, true);
  trace.mutable_row(0, 1, 3)[2] = 0.5f;
  const AttentionTrace copy = trace;
  EXPECT_EQ(copy.row(0, 1, 3).data(), trace.row(0, 1, 3).data());
  EXPECT_EQ(copy.weight(0, 1, 3, 2), 0.5f);
}

}  // namespace

// Issue 11: a decoder with its mask turned off was labelled "bidirectional (encoder)", and the
// what-if was named only in the Inspector and Predictions.
TEST(WhatIfWords, NameTheWhatIfsAndTheMask) {
  RunOptions options;
  EXPECT_EQ(what_if_description(options), "");
  options.causal_mask = false;
  EXPECT_EQ(what_if_description(options), "what-if: causal mask off");
  options.scale_by_sqrt_dk = false;
  options.temperature = 2.0f;
  EXPECT_EQ(what_if_description(options),
            "what-if: causal mask off, scores not divided by sqrt(d_k), temperature 2.00");

  auto model = test::fixture_model("gpt2-tiny");
  ASSERT_TRUE(model);
  RunOptions mask_off;
  mask_off.causal_mask = false;
  auto tokens = model->tokenizer().encode("The cat sat");
  ASSERT_TRUE(tokens.ok());
  auto own = test::run_ok(*model, *tokens, {});
  auto off = test::run_ok(*model, *tokens, mask_off);
  EXPECT_EQ(mask_description(*own), "causal (decoder)");
  EXPECT_FALSE(off->causal());
  EXPECT_EQ(mask_description(*off), "causal mask off (what-if)");
}

}  // namespace attnviz

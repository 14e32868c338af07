// The arithmetic from q and k to attention weights, in one place, so that the forward pass and
// every later recomputation (the inspector's scores, a row recomputed from the trace) produce
// the same bits:
//   score  = rule(q · k)      q · k as a sequential fused multiply-add over d = 0..D−1,
//                             then × scale, then the optional soft-cap
//   lse    = max + log(Σ exp(score − max))   over the keys the row sees
//   weight = exp(score − lse)
// Each step works lane by lane on SIMD packets (a value never depends on its neighbours or its
// position in the row), so computing one key or a whole row gives the same result.
//
// Legend: T tokens, D head width, K keys of a row, S ≥ K + packet width a transposed key
// buffer's row stride.
#pragma once

#include <algorithm>
#include <cstddef>

namespace attnviz {

// How one layer turns q·k into a score and which keys a query sees.
struct ScoreRule {
  float scale = 1.0f;  // q·k × scale (1/√D, Gemma's query_pre_attn_scalar^−½, ÷ temperature
                       // unless capped)
  float softcap = 0.0f;    // > 0: score ← softcap · tanh(score / softcap) · after_cap (Gemma 2)
  float after_cap = 1.0f;  // 1 / temperature on soft-capped layers
  int window = 0;          // > 0: a sliding window of W keys
  bool causal = true;      // key j > query i hidden

  // Visible keys of query i are [first_key(i), last_key(i, T)]: causal with window W:
  // i − W < j ≤ i (transformers' masking_utils sliding_window_overlay); bidirectional with a
  // window: |i − j| < W.
  int first_key(int query) const { return window > 0 ? std::max(0, query - window + 1) : 0; }
  int last_key(int query, int tokens) const {
    if (causal) return query;
    return window > 0 ? std::min(tokens - 1, query + window - 1) : tokens - 1;
  }
  bool visible(int query, int key) const {
    if (key < first_key(query)) return false;
    if (causal) return key <= query;
    return window == 0 || key <= query + window - 1;
  }
  bool operator==(const ScoreRule&) const = default;
};

// SIMD width of the packets these functions use (16 with AVX-512, 8 with AVX, 4 with SSE).
int score_lanes();

// Keys (count rows of head_dim floats, `row_stride` apart) transposed into keys_t (D, S):
// key j of the input at column j. Columns count..S−1 are zeroed up to the next packet.
void transpose_keys(float* keys_t, size_t keys_t_stride, const float* keys, size_t row_stride,
                    int count, int head_dim);

// scores (count) of one query against keys [first, first + count) of keys_t (D, S), through
// `rule`. keys_t must be readable up to first + count rounded up to score_lanes().
void score_keys(float* scores, const float* query, const float* keys_t, size_t keys_t_stride,
                int first, int count, int head_dim, const ScoreRule& rule);

// score_keys for `rows` queries at once (query r at queries + r · query_stride) against keys
// [first, first + count), row r into scores + r · score_stride: the same bits as score_keys per
// row, with keys_t read once per tile of rows. Each row is written up to count rounded up to
// score_lanes() (score_stride must be at least that; keys_t readable that far).
void score_block(float* scores, size_t score_stride, const float* queries, size_t query_stride,
                 int rows, const float* keys_t, size_t keys_t_stride, int first, int count,
                 int head_dim, const ScoreRule& rule);

// max + log(Σ exp(score − max)) over count scores.
float log_sum_exp(const float* scores, int count);

// weights (count) = exp(score − lse); weights may alias scores.
void weights_from_lse(float* weights, const float* scores, int count, float lse);

}  // namespace attnviz

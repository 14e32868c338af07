#include "core/attention_math.h"

#include <Eigen/Core>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace attnviz {
namespace {

namespace ei = Eigen::internal;
using Packet = ei::packet_traits<float>::type;
constexpr int kLanes = ei::packet_traits<float>::size;
// Packets of keys scored together: independent FMA chains hide the FMA latency.
constexpr int kChains = 8;

// The rule applied to a packet of raw dot products.
inline Packet apply_rule(Packet dot, const ScoreRule& rule) {
  Packet s = ei::pmul(dot, ei::pset1<Packet>(rule.scale));
  if (rule.softcap > 0.0f) {
    const Packet cap = ei::pset1<Packet>(rule.softcap);
    s = ei::pmul(ei::pmul(ei::ptanh(ei::pdiv(s, cap)), cap), ei::pset1<Packet>(rule.after_cap));
  }
  return s;
}

// `chains` packets of keys starting at column `column`: acc = fma(q[d], k_t[d], acc), d in order.
template <int Chains>
inline void dot_chains(Packet* acc, const float* query, const float* keys_t, size_t stride,
                       int column, int head_dim) {
  for (int c = 0; c < Chains; ++c) acc[c] = ei::pzero(acc[c]);
  for (int d = 0; d < head_dim; ++d) {
    const Packet q = ei::pset1<Packet>(query[d]);
    const float* row = keys_t + d * stride + column;
    for (int c = 0; c < Chains; ++c)
      acc[c] = ei::pmadd(q, ei::ploadu<Packet>(row + c * kLanes), acc[c]);
  }
}

// A tile of Rows queries against Chains packets of keys from column `column`: the same
// sequential FMA chain over d per (query, key) as dot_chains, each key packet loaded once for
// all Rows queries.
template <int Rows, int Chains>
inline void dot_tile(Packet (&acc)[Rows][Chains], const float* const (&queries)[Rows],
                     const float* keys_t, size_t stride, int column, int head_dim) {
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chains; ++c) acc[r][c] = ei::pset1<Packet>(0.0f);
  for (int d = 0; d < head_dim; ++d) {
    const float* row = keys_t + d * stride + column;
    Packet keys[Chains];
    for (int c = 0; c < Chains; ++c) keys[c] = ei::ploadu<Packet>(row + c * kLanes);
    for (int r = 0; r < Rows; ++r) {
      const Packet q = ei::pset1<Packet>(queries[r][d]);
      for (int c = 0; c < Chains; ++c) acc[r][c] = ei::pmadd(q, keys[c], acc[r][c]);
    }
  }
}

template <int Rows, int Chains>
inline void score_tile(float* scores, size_t score_stride, const float* const (&queries)[Rows],
                       const float* keys_t, size_t keys_t_stride, int first, int column,
                       int head_dim, const ScoreRule& rule) {
  Packet acc[Rows][Chains];
  dot_tile<Rows, Chains>(acc, queries, keys_t, keys_t_stride, first + column, head_dim);
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chains; ++c)
      ei::pstoreu(scores + r * score_stride + column + c * kLanes, apply_rule(acc[r][c], rule));
}

// Query rows and key packets a score_block tile holds in registers (4 x 4 packets with the 32
// AVX-512 registers, 4 x 2 with 16).
constexpr int kTileRows = 4;
constexpr int kTileChains = kLanes >= 16 ? 4 : 2;

template <int Rows>
void score_rows(float* scores, size_t score_stride, const float* query, size_t query_stride,
                const float* keys_t, size_t keys_t_stride, int first, int count, int head_dim,
                const ScoreRule& rule) {
  const float* queries[Rows];
  for (int r = 0; r < Rows; ++r) queries[r] = query + r * query_stride;
  int j = 0;
  for (; j + kTileChains * kLanes <= count; j += kTileChains * kLanes)
    score_tile<Rows, kTileChains>(scores, score_stride, queries, keys_t, keys_t_stride, first, j,
                                  head_dim, rule);
  for (; j < count; j += kLanes)
    score_tile<Rows, 1>(scores, score_stride, queries, keys_t, keys_t_stride, first, j, head_dim,
                        rule);
}

}  // namespace

int score_lanes() {
  return kLanes;
}

void transpose_keys(float* keys_t, size_t keys_t_stride, const float* keys, size_t row_stride,
                    int count, int head_dim) {
  const int padded = (count + kLanes - 1) / kLanes * kLanes + kLanes;
  assert(static_cast<size_t>(padded) <= keys_t_stride && "transpose_keys: stride too small");
  // Blocks of keys: each key row is read once, contiguously (a long text's keys are T rows
  // `row_stride` apart; reading column by column touched every row's cache line D times).
  constexpr int kBlock = 16;
  int j = 0;
  for (; j + kBlock <= count; j += kBlock)
    for (int d = 0; d < head_dim; ++d) {
      float* out = keys_t + d * keys_t_stride + j;
      for (int b = 0; b < kBlock; ++b) out[b] = keys[(j + b) * row_stride + d];
    }
  for (int d = 0; d < head_dim; ++d) {
    float* out = keys_t + d * keys_t_stride;
    for (int k = j; k < count; ++k) out[k] = keys[k * row_stride + d];
    std::fill(out + count, out + padded, 0.0f);
  }
}

void score_keys(float* scores, const float* query, const float* keys_t, size_t keys_t_stride,
                int first, int count, int head_dim, const ScoreRule& rule) {
  Packet acc[kChains];
  int j = 0;
  for (; j + kChains * kLanes <= count; j += kChains * kLanes) {
    dot_chains<kChains>(acc, query, keys_t, keys_t_stride, first + j, head_dim);
    for (int c = 0; c < kChains; ++c)
      ei::pstoreu(scores + j + c * kLanes, apply_rule(acc[c], rule));
  }
  for (; j < count; j += kLanes) {
    dot_chains<1>(acc, query, keys_t, keys_t_stride, first + j, head_dim);
    const Packet s = apply_rule(acc[0], rule);
    if (j + kLanes <= count) {
      ei::pstoreu(scores + j, s);
    } else {
      alignas(64) float lanes[kLanes];
      ei::pstoreu(lanes, s);
      std::memcpy(scores + j, lanes, sizeof(float) * (count - j));
    }
  }
}

void score_block(float* scores, size_t score_stride, const float* queries, size_t query_stride,
                 int rows, const float* keys_t, size_t keys_t_stride, int first, int count,
                 int head_dim, const ScoreRule& rule) {
  assert(score_stride >= static_cast<size_t>((count + kLanes - 1) / kLanes * kLanes) &&
         "score_block: rows overlap");
  // Key tiles of kKeyTile columns: a tile of keys_t (D x kKeyTile floats) stays in L1 while every
  // query of the block scores against it, instead of each query streaming all of keys_t.
  constexpr int kKeyTile = 256;
  for (int tile = 0; tile < count; tile += kKeyTile) {
    const int width = std::min(kKeyTile, count - tile);
    float* out = scores + tile;
    int r = 0;
    for (; r + kTileRows <= rows; r += kTileRows)
      score_rows<kTileRows>(out + r * score_stride, score_stride, queries + r * query_stride,
                            query_stride, keys_t, keys_t_stride, first + tile, width, head_dim,
                            rule);
    for (; r < rows; ++r)
      score_rows<1>(out + r * score_stride, score_stride, queries + r * query_stride, query_stride,
                    keys_t, keys_t_stride, first + tile, width, head_dim, rule);
  }
}

float log_sum_exp(const float* scores, int count) {
  assert(count > 0 && "log_sum_exp: no keys");
  float max = -std::numeric_limits<float>::infinity();
  for (int j = 0; j < count; ++j) max = std::max(max, scores[j]);
  const Packet shift = ei::pset1<Packet>(max);
  Packet sums = ei::pzero(shift);
  int j = 0;
  for (; j + kLanes <= count; j += kLanes)
    sums = ei::padd(sums, ei::pexp(ei::psub(ei::ploadu<Packet>(scores + j), shift)));
  float sum = ei::predux(sums);
  if (j < count) {
    alignas(64) float lanes[kLanes] = {};
    std::memcpy(lanes, scores + j, sizeof(float) * (count - j));
    ei::pstoreu(lanes, ei::pexp(ei::psub(ei::ploadu<Packet>(lanes), shift)));
    for (int lane = 0; lane < count - j; ++lane) sum += lanes[lane];
  }
  return max + std::log(sum);
}

void weights_from_lse(float* weights, const float* scores, int count, float lse) {
  const Packet shift = ei::pset1<Packet>(lse);
  int j = 0;
  for (; j + kLanes <= count; j += kLanes)
    ei::pstoreu(weights + j, ei::pexp(ei::psub(ei::ploadu<Packet>(scores + j), shift)));
  if (j < count) {
    alignas(64) float lanes[kLanes] = {};
    std::memcpy(lanes, scores + j, sizeof(float) * (count - j));
    ei::pstoreu(lanes, ei::pexp(ei::psub(ei::ploadu<Packet>(lanes), shift)));
    std::memcpy(weights + j, lanes, sizeof(float) * (count - j));
  }
}

}  // namespace attnviz

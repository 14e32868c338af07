// The ops against naive loops in double precision, on sizes that take each of Eigen's product
// paths (one row: matrix-vector; tiny: coefficient-wise; large: blocked GEMM).
//
// Legend: T tokens, C width, H heads, D head width.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/attention_math.h"
#include "core/forward_pass.h"
#include "core/ops.h"
#include "core/safetensors.h"

namespace attnviz {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float spread = 1.0f) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> values(n);
  for (float& v : values) v = normal(generator);
  return values;
}

// Largest |a − b| relative to max(1, |b|), and where.
struct MaxDiff {
  double value = 0.0;
  size_t index = 0;
};
MaxDiff max_diff(const std::vector<float>& got, const std::vector<double>& want) {
  MaxDiff worst;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::abs(got[i] - want[i]) / std::max(1.0, std::abs(want[i]));
    if (d > worst.value) worst = {d, i};
  }
  return worst;
}

struct DenseCase {
  int rows, in, out;
  bool out_major, with_bias, accumulate;
  WeightType type = WeightType::kF32;
};

// The weights stored as `type`, and the numbers they hold once widened.
std::vector<uint16_t> narrowed(std::vector<float>& values, WeightType type) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    bits[i] = type == WeightType::kF16 ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
    values[i] = type == WeightType::kF16 ? half_to_float(bits[i]) : bfloat16_to_float(bits[i]);
  }
  return bits;
}

class DenseTest : public ::testing::TestWithParam<DenseCase> {};

TEST_P(DenseTest, MatchesNaiveProduct) {
  const DenseCase k = GetParam();
  const auto x = random_values(static_cast<size_t>(k.rows) * k.in, 1);
  auto w = random_values(static_cast<size_t>(k.in) * k.out, 2);
  const std::vector<uint16_t> stored =
      k.type == WeightType::kF32 ? std::vector<uint16_t>{} : narrowed(w, k.type);
  const auto b = random_values(k.out, 3);
  auto y = random_values(static_cast<size_t>(k.rows) * k.out, 4);
  std::vector<double> want(y.begin(), y.end());
  for (int r = 0; r < k.rows; ++r)
    for (int o = 0; o < k.out; ++o) {
      double sum = k.with_bias ? b[o] : 0.0;
      for (int i = 0; i < k.in; ++i) {
        const float weight = k.out_major ? w[static_cast<size_t>(o) * k.in + i]
                                         : w[static_cast<size_t>(i) * k.out + o];
        sum += static_cast<double>(x[static_cast<size_t>(r) * k.in + i]) * weight;
      }
      double& cell = want[static_cast<size_t>(r) * k.out + o];
      cell = k.accumulate ? cell + sum : sum;
    }
  DenseWeights weights{w.data(), k.with_bias ? b.data() : nullptr, k.in, k.out, k.out_major};
  if (k.type != WeightType::kF32) {
    weights.weight = stored.data();
    weights.type = k.type;
  }
  if (k.accumulate)
    dense_accumulate(y.data(), x.data(), k.rows, weights);
  else
    dense(y.data(), x.data(), k.rows, weights);
  const MaxDiff worst = max_diff(y, want);
  EXPECT_LT(worst.value, 1e-5) << "max relative difference " << worst.value << " at row "
                               << worst.index / k.out << ", column " << worst.index % k.out;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, DenseTest,
    ::testing::Values(
        DenseCase{1, 48, 40, false, true, false}, DenseCase{1, 48, 40, true, true, true},
        DenseCase{3, 4, 5, false, true, false},
        // Few rows, wide output: split over threads.
        DenseCase{1, 48, 300, false, true, false}, DenseCase{3, 48, 300, false, true, true},
        DenseCase{5, 48, 300, true, true, false}, DenseCase{2, 48, 300, true, false, true},
        DenseCase{3, 4, 5, true, false, true},
        // Few rows: the streaming kernels, with column
        // blocks that do not divide the output evenly.
        DenseCase{1, 77, 1001, false, true, true}, DenseCase{15, 77, 1001, false, false, false},
        DenseCase{1, 77, 1001, true, true, true}, DenseCase{15, 77, 1001, true, true, false},
        DenseCase{7, 33, 17, false, true, true}, DenseCase{16, 33, 17, true, true, true},
        DenseCase{70, 96, 130, false, true, false}, DenseCase{70, 96, 130, false, true, true},
        DenseCase{70, 96, 130, true, true, false}, DenseCase{70, 96, 130, true, false, true},
        // 16-bit weights: widened in panels (many rows) or on the fly (few rows), both layouts,
        // inputs that are not a multiple of the SIMD width.
        DenseCase{1, 77, 1001, true, true, true, WeightType::kBF16},
        DenseCase{3, 96, 300, true, false, false, WeightType::kF16},
        DenseCase{2, 77, 130, false, true, true, WeightType::kBF16},
        DenseCase{70, 96, 1100, true, true, false, WeightType::kBF16},
        DenseCase{70, 77, 130, false, true, true, WeightType::kF16},
        DenseCase{40, 33, 17, true, false, false, WeightType::kF16}));

TEST(Widen, GivesTheStoredNumbersExactly) {
  auto values = random_values(1000, 9, 10.0f);
  for (WeightType type : {WeightType::kF16, WeightType::kBF16}) {
    std::vector<float> want = values;
    const std::vector<uint16_t> bits = narrowed(want, type);
    std::vector<float> got(values.size());
    widen(got.data(), bits.data(), bits.size(), type);
    EXPECT_EQ(got, want);
  }
}

TEST(RmsNorm, MatchesNaiveWithAndWithoutPlusOne) {
  const int rows = 4, cols = 29, stride = 40;
  auto x = random_values(static_cast<size_t>(rows) * stride, 5, 3.0f);
  const auto gain = random_values(cols, 6);
  for (bool plus_one : {false, true}) {
    std::vector<float> out = x;
    rms_norm(out.data(), x.data(), gain.data(), rows, cols, 1e-6f, plus_one, stride);
    for (int r = 0; r < rows; ++r) {
      double squares = 0;
      for (int c = 0; c < cols; ++c)
        squares += static_cast<double>(x[r * stride + c]) * x[r * stride + c];
      const double inv = 1.0 / std::sqrt(squares / cols + 1e-6);
      for (int c = 0; c < cols; ++c) {
        const double want = x[r * stride + c] * inv * (plus_one ? 1.0 + gain[c] : gain[c]);
        EXPECT_NEAR(out[r * stride + c], want, 1e-5 * std::max(1.0, std::abs(want)));
      }
      for (int c = cols; c < stride; ++c) EXPECT_EQ(out[r * stride + c], x[r * stride + c]);
    }
  }
}

TEST(Activations, SiluAndSoftcapMatchTheirFormulas) {
  auto x = random_values(5000, 8, 4.0f);
  std::vector<float> silu_values = x, capped = x;
  silu(silu_values.data(), silu_values.size());
  softcap_in_place(capped.data(), capped.size(), 3.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(silu_values[i], x[i] / (1.0 + std::exp(-static_cast<double>(x[i]))),
                1e-6 * std::max(1.0f, std::abs(x[i])));
    EXPECT_NEAR(capped[i], 3.0 * std::tanh(x[i] / 3.0), 1e-6);
  }
}

TEST(LayerNorm, MatchesNaiveAndAllowsAliasing) {
  const int rows = 5, cols = 37;
  auto x = random_values(static_cast<size_t>(rows) * cols, 5, 3.0f);
  for (int c = 0; c < cols; ++c) x[c] += 1000.0f;  // a large common offset in row 0
  const auto gain = random_values(cols, 6);
  const auto bias = random_values(cols, 7);
  const float eps = 1e-5f;
  std::vector<double> want(x.size());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < cols; ++c) mean += x[r * cols + c];
    mean /= cols;
    for (int c = 0; c < cols; ++c) var += std::pow(x[r * cols + c] - mean, 2);
    var /= cols;
    for (int c = 0; c < cols; ++c)
      want[r * cols + c] = (x[r * cols + c] - mean) / std::sqrt(var + eps) * gain[c] + bias[c];
  }
  std::vector<float> out(x.size());
  layer_norm(out.data(), x.data(), gain.data(), bias.data(), rows, cols, eps);
  MaxDiff worst = max_diff(out, want);
  EXPECT_LT(worst.value, 1e-5) << "max difference " << worst.value << " at " << worst.index;
  layer_norm(x.data(), x.data(), gain.data(), bias.data(), rows, cols, eps);  // in place
  worst = max_diff(x, want);
  EXPECT_LT(worst.value, 1e-5) << "in place: max difference " << worst.value << " at "
                               << worst.index;
}

TEST(Gelu, NewAndExactMatchTheirFormulas) {
  std::vector<float> x;
  // Enough values for several parallel chunks, not a multiple of the chunk size.
  for (int i = 0; i < 48001; ++i) x.push_back(-12.0f + 0.0005f * i);
  std::vector<double> want_new(x.size()), want_exact(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    want_new[i] = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    want_exact[i] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  }
  std::vector<float> got_new = x, got_exact = x;
  gelu_new(got_new.data(), got_new.size());
  gelu_exact(got_exact.data(), got_exact.size());
  MaxDiff worst = max_diff(got_new, want_new);
  EXPECT_LT(worst.value, 1e-6) << "gelu_new: max difference " << worst.value
                               << " at x = " << x[worst.index];
  worst = max_diff(got_exact, want_exact);
  EXPECT_LT(worst.value, 1e-6) << "gelu_exact: max difference " << worst.value
                               << " at x = " << x[worst.index];
}

TEST(AddInPlace, AddsElementwise) {
  std::vector<float> out = {1, 2, 3}, a = {0.5f, -2, 10};
  add_in_place(out.data(), a.data(), out.size());
  EXPECT_EQ(out, (std::vector<float>{1.5f, 0, 13}));
}

// Naive attention of one query head in double over a (T, (H + 2G)·D) q/k/v buffer, with the
// layer's rule: scale, optional soft-cap, causal mask, window. (T, T) weights, (T, D) context.
void naive_attention(std::vector<double>& weights, std::vector<double>& context,
                     const std::vector<float>& qkv, int t, int heads, int kv_heads, int head, int d,
                     const ScoreRule& rule) {
  const int stride = (heads + 2 * kv_heads) * d, g = head / (heads / kv_heads);
  weights.assign(static_cast<size_t>(t) * t, 0.0);
  context.assign(static_cast<size_t>(t) * d, 0.0);
  auto q_at = [&](int row, int k) { return qkv[row * stride + head * d + k]; };
  auto k_at = [&](int row, int k) { return qkv[row * stride + (heads + g) * d + k]; };
  auto v_at = [&](int row, int k) { return qkv[row * stride + (heads + kv_heads + g) * d + k]; };
  for (int q = 0; q < t; ++q) {
    std::vector<double> s(t, -INFINITY);
    double mx = -INFINITY;
    for (int j = 0; j < t; ++j) {
      const bool causal_ok = !rule.causal || j <= q;
      const bool window_ok =
          rule.window == 0 || (rule.causal ? j > q - rule.window : std::abs(q - j) < rule.window);
      if (!causal_ok || !window_ok) continue;
      double dot = 0;
      for (int k = 0; k < d; ++k) dot += static_cast<double>(q_at(q, k)) * k_at(j, k);
      double score = dot * rule.scale;
      if (rule.softcap > 0) score = rule.softcap * std::tanh(score / rule.softcap) * rule.after_cap;
      s[j] = score;
      mx = std::max(mx, score);
    }
    double sum = 0;
    for (double v : s)
      if (v > -INFINITY) sum += std::exp(v - mx);
    for (int j = 0; j < t; ++j) {
      if (s[j] == -INFINITY) continue;
      weights[q * t + j] = std::exp(s[j] - mx) / sum;
      for (int k = 0; k < d; ++k) context[q * d + k] += weights[q * t + j] * v_at(j, k);
    }
  }
}

struct AttentionCase {
  int tokens, heads, kv_heads, head_dim, first;
  bool causal;
  int window;
  float softcap;
};

class AttentionTest : public ::testing::TestWithParam<AttentionCase> {};

// attend_layer (every head, in query blocks, from the prefix p on) against the naive loops:
// weights in the trace (zeros where masked), their lse, and the context.
TEST_P(AttentionTest, LayerMatchesNaiveAttention) {
  const AttentionCase k = GetParam();
  const int t = k.tokens, d = k.head_dim;
  ModelConfig config;
  config.layers = 1;
  config.heads = k.heads;
  config.kv_heads = k.kv_heads;
  config.head_width = d;
  config.width = k.heads * d;
  const int stride = (k.heads + 2 * k.kv_heads) * d;
  const auto qkv = random_values(static_cast<size_t>(t) * stride, 11, 1.5f);
  RunPlan plan;
  plan.tokens = t;
  plan.first = k.first;
  plan.causal = k.causal;
  ScoreRule rule;
  rule.scale = 1.0f / std::sqrt(static_cast<float>(d));
  rule.causal = k.causal;
  rule.window = k.window;
  rule.softcap = k.softcap;
  plan.rules = {rule};
  const TraceShape shape{1, k.heads, k.kv_heads, d, k.causal};
  TraceStorage storage;
  storage.positions = t;
  storage.weights = std::make_shared<TraceBuffer>();
  storage.weights->floats.assign(AttentionTrace::weight_buffer_floats(shape, t), -3.0f);
  AttentionTrace trace(std::vector<Token>(t), shape, storage);
  ForwardScratch scratch;
  scratch.reserve(config, t, t - k.first, /*own_qkv=*/true);
  std::vector<float> context(static_cast<size_t>(t - k.first) * k.heads * d, -7.0f);
  attend_layer(context.data(), trace, qkv.data(), 0, config, plan, scratch);

  for (int head = 0; head < k.heads; ++head) {
    std::vector<double> want_w, want_ctx;
    naive_attention(want_w, want_ctx, qkv, t, k.heads, k.kv_heads, head, d, rule);
    double worst = 0;
    std::string where;
    auto note = [&](double diff, const std::string& place) {
      if (!(diff <= worst)) worst = diff, where = place;
    };
    for (int q = k.first; q < t; ++q) {
      for (int j = 0; j < trace.row_length(q); ++j) {
        const float got = trace.weight(0, head, q, j);
        if (!rule.visible(q, j)) {
          EXPECT_EQ(got, 0.0f) << "hidden key " << j << " of query " << q << " not 0";
        }
        note(std::abs(got - want_w[q * t + j]), "weight head " + std::to_string(head) + " query " +
                                                    std::to_string(q) + " key " +
                                                    std::to_string(j));
      }
      for (int c = 0; c < d; ++c)
        note(std::abs(context[(q - k.first) * k.heads * d + head * d + c] - want_ctx[q * d + c]),
             "context head " + std::to_string(head) + " row " + std::to_string(q));
    }
    EXPECT_LT(worst, 1e-5) << "max difference " << worst << " at " << where;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTest,
    ::testing::Values(AttentionCase{1, 2, 2, 4, 0, true, 0, 0.0f},
                      AttentionCase{9, 4, 4, 8, 0, true, 0, 0.0f},
                      AttentionCase{9, 4, 4, 8, 0, false, 0, 0.0f},
                      AttentionCase{100, 3, 3, 16, 0, true, 0, 0.0f},
                      AttentionCase{100, 4, 2, 16, 0, true, 0, 0.0f},    // grouped-query
                      AttentionCase{100, 6, 1, 12, 0, true, 0, 0.0f},    // one kv head, D 12
                      AttentionCase{150, 4, 2, 16, 0, true, 8, 0.0f},    // sliding window 8
                      AttentionCase{150, 4, 2, 16, 70, true, 33, 0.0f},  // window, prefix p = 70
                      AttentionCase{130, 4, 2, 16, 0, true, 0, 2.5f},    // soft-capped
                      AttentionCase{90, 4, 4, 8, 0, false, 5, 0.0f},     // bidirectional window
                      AttentionCase{200, 2, 1, 24, 199, true, 0, 0.0f}   // one appended token
                      ));

// Which keys a query sees: causal, causal with transformers' window (i − W < j ≤ i), and a
// bidirectional window (|i − j| < W).
TEST(ScoreRule, VisibleKeys) {
  ScoreRule causal;
  EXPECT_TRUE(causal.visible(5, 0));
  EXPECT_TRUE(causal.visible(5, 5));
  EXPECT_FALSE(causal.visible(5, 6));
  ScoreRule window;
  window.window = 3;
  EXPECT_EQ(window.first_key(5), 3);
  EXPECT_EQ(window.last_key(5, 10), 5);
  EXPECT_FALSE(window.visible(5, 2));  // 5 − 3 < 2 fails: outside the window
  EXPECT_TRUE(window.visible(5, 3));
  EXPECT_EQ(window.first_key(1), 0);
  ScoreRule open;
  open.causal = false;
  open.window = 3;
  EXPECT_EQ(open.first_key(5), 3);
  EXPECT_EQ(open.last_key(5, 10), 7);
  EXPECT_EQ(open.last_key(9, 10), 9);
  EXPECT_TRUE(open.visible(5, 7));
  EXPECT_FALSE(open.visible(5, 8));
  for (int q = 0; q < 10; ++q)
    for (int k = 0; k < 10; ++k) {
      const bool in_range = k >= window.first_key(q) && k <= window.last_key(q, 10);
      EXPECT_EQ(window.visible(q, k), in_range) << q << " " << k;
      EXPECT_EQ(open.visible(q, k), k >= open.first_key(q) && k <= open.last_key(q, 10));
    }
}

// score_keys is q·k as a sequential fused multiply-add: one key at a time gives the same bits as
// the vectorized row, wherever the row starts.
TEST(AttentionMath, ScoresDoNotDependOnTheirNeighbours) {
  const int d = 24, keys = 50;
  const auto q = random_values(d, 5, 1.0f);
  const auto k = random_values(static_cast<size_t>(keys) * d, 6, 1.0f);
  const int lanes = score_lanes();
  const size_t stride = static_cast<size_t>((keys + lanes - 1) / lanes * lanes + lanes);
  std::vector<float> keys_t(stride * d);
  transpose_keys(keys_t.data(), stride, k.data(), d, keys, d);
  for (const ScoreRule& rule :
       {ScoreRule{0.3f, 0.0f, 1.0f, 0, true}, ScoreRule{0.3f, 1.5f, 0.5f, 0, true}}) {
    std::vector<float> row(keys);
    score_keys(row.data(), q.data(), keys_t.data(), stride, 0, keys, d, rule);
    for (int first = 0; first < keys; first += 7) {
      std::vector<float> part(keys - first);
      score_keys(part.data(), q.data(), keys_t.data(), stride, first, keys - first, d, rule);
      for (int j = first; j < keys; ++j) ASSERT_EQ(part[j - first], row[j]) << "key " << j;
    }
    for (int j = 0; j < keys; ++j) {
      std::vector<float> one(static_cast<size_t>(d) * (lanes + 1) * 2);
      transpose_keys(one.data(), 2 * lanes, k.data() + j * d, d, 1, d);
      float score = 0;
      score_keys(&score, q.data(), one.data(), 2 * lanes, 0, 1, d, rule);
      ASSERT_EQ(score, row[j]) << "key " << j << " alone";
      float dot = 0;
      for (int i = 0; i < d; ++i) dot = std::fma(q[i], k[j * d + i], dot);
      double want = static_cast<double>(dot) * rule.scale;
      if (rule.softcap > 0) want = rule.softcap * std::tanh(want / rule.softcap) * rule.after_cap;
      EXPECT_NEAR(row[j], want, 2e-6 * std::max(1.0, std::abs(want))) << "key " << j;
    }
    const float lse = log_sum_exp(row.data(), keys);
    double sum = 0;
    for (float s : row) sum += std::exp(static_cast<double>(s) - lse);
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

// score_block (the forward pass's tiles of queries x keys) gives each query exactly the bits
// score_keys gives it alone: odd query counts, key counts that are not whole packets or tiles,
// and rows that start inside a tile, with and without a soft-cap.
TEST(AttentionMath, ScoreBlocksGiveEachRowsBitsAlone) {
  const int d = 20, keys = 600, queries = 11;
  const int lanes = score_lanes();
  const size_t q_stride = d + 3;  // queries interleaved with other columns, as in Q|K|V rows
  const auto q = random_values(static_cast<size_t>(queries) * q_stride, 7, 1.0f);
  const auto k = random_values(static_cast<size_t>(keys) * d, 8, 1.0f);
  const size_t stride = static_cast<size_t>((keys + lanes - 1) / lanes * lanes + 2 * lanes);
  std::vector<float> keys_t(stride * d);
  transpose_keys(keys_t.data(), stride, k.data(), d, keys, d);
  for (const ScoreRule& rule :
       {ScoreRule{0.3f, 0.0f, 1.0f, 0, true}, ScoreRule{0.3f, 1.5f, 0.5f, 0, true}})
    for (const auto& [first, count] : {std::pair{0, keys}, std::pair{5, 257}, std::pair{300, 1},
                                       std::pair{17, 583}}) {
      for (int rows : {1, 3, 4, queries}) {
        const size_t pitch = static_cast<size_t>((count + lanes - 1) / lanes * lanes);
        std::vector<float> block(pitch * rows, -1.0f);
        score_block(block.data(), pitch, q.data(), q_stride, rows, keys_t.data(), stride, first,
                    count, d, rule);
        for (int r = 0; r < rows; ++r) {
          std::vector<float> alone(count);
          score_keys(alone.data(), q.data() + r * q_stride, keys_t.data(), stride, first, count,
                     d, rule);
          for (int j = 0; j < count; ++j)
            ASSERT_EQ(block[r * pitch + j], alone[j])
                << "row " << r << " of " << rows << ", key " << first + j;
        }
      }
    }
}

}  // namespace
}  // namespace attnviz

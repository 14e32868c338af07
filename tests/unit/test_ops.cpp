// The ops against naive loops in double precision, on sizes that take each of Eigen's product
// paths (one row: matrix-vector; tiny: coefficient-wise; large: blocked GEMM).
//
// Legend: T tokens, C width, H heads, D head width.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/ops.h"

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
};

class DenseTest : public ::testing::TestWithParam<DenseCase> {};

TEST_P(DenseTest, MatchesNaiveProduct) {
  const DenseCase k = GetParam();
  const auto x = random_values(static_cast<size_t>(k.rows) * k.in, 1);
  const auto w = random_values(static_cast<size_t>(k.in) * k.out, 2);
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
        DenseCase{70, 96, 130, true, true, false}, DenseCase{70, 96, 130, true, false, true}));

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

// Naive attention of one head in double: (T, T) weights and (T, D) context.
void naive_attention(std::vector<double>& weights, std::vector<double>& context,
                     const std::vector<float>& qkv, int t, int c, int head, int d, float scale,
                     bool causal) {
  weights.assign(static_cast<size_t>(t) * t, 0.0);
  context.assign(static_cast<size_t>(t) * d, 0.0);
  auto at = [&](int row, int part, int k) { return qkv[row * 3 * c + part * c + head * d + k]; };
  for (int q = 0; q < t; ++q) {
    const int visible = causal ? q + 1 : t;
    std::vector<double> s(visible);
    double mx = -1e300;
    for (int j = 0; j < visible; ++j) {
      double dot = 0;
      for (int k = 0; k < d; ++k) dot += static_cast<double>(at(q, 0, k)) * at(j, 1, k);
      s[j] = dot * scale;
      mx = std::max(mx, s[j]);
    }
    double sum = 0;
    for (double& v : s) sum += (v = std::exp(v - mx));
    for (int j = 0; j < visible; ++j) {
      weights[q * t + j] = s[j] / sum;
      for (int k = 0; k < d; ++k) context[q * d + k] += weights[q * t + j] * at(j, 2, k);
    }
  }
}

struct AttentionCase {
  int tokens, heads, head_dim, block;
  bool causal;
};

class AttentionTest : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(AttentionTest, BlocksMatchNaiveAttention) {
  const AttentionCase k = GetParam();
  const int t = k.tokens, d = k.head_dim, c = k.heads * d;
  const auto qkv = random_values(static_cast<size_t>(t) * 3 * c, 11, 1.5f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> probs(static_cast<size_t>(k.block) * t);
  std::vector<float> context(static_cast<size_t>(t) * c, -7.0f);
  for (int head = 0; head < k.heads; ++head) {
    std::vector<double> want_w, want_ctx;
    naive_attention(want_w, want_ctx, qkv, t, c, head, d, scale, k.causal);
    double worst = 0;
    std::string where;
    for (int begin = 0; begin < t; begin += k.block) {
      AttentionHeadArgs args{qkv.data(), t,       c, head, d, begin, std::min(begin + k.block, t),
                             scale,      k.causal};
      const int keys = attention_block_keys(args);
      attention_head(probs.data(), context.data() + static_cast<size_t>(begin) * c, args);
      for (int q = args.first_query; q < args.end_query; ++q)
        for (int j = 0; j < keys; ++j) {
          const double got = probs[(q - begin) * keys + j];
          if (k.causal && j > q) {
            EXPECT_EQ(got, 0.0f) << "masked key " << j << " of query " << q << " not 0";
          }
          const double diff = std::abs(got - want_w[q * t + j]);
          if (diff > worst) {
            worst = diff;
            where = "weight head " + std::to_string(head) + " query " + std::to_string(q) +
                    " key " + std::to_string(j);
          }
        }
    }
    for (int q = 0; q < t; ++q)
      for (int k2 = 0; k2 < d; ++k2) {
        const double diff = std::abs(context[q * c + head * d + k2] - want_ctx[q * d + k2]);
        if (diff > worst) {
          worst = diff;
          where = "context head " + std::to_string(head) + " row " + std::to_string(q) +
                  " column " + std::to_string(k2);
        }
      }
    EXPECT_LT(worst, 1e-5) << "max difference " << worst << " at " << where;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTest,
    ::testing::Values(AttentionCase{1, 2, 4, 64, true}, AttentionCase{9, 4, 8, 64, true},
                      AttentionCase{9, 4, 8, 64, false}, AttentionCase{100, 3, 16, 64, true},
                      AttentionCase{100, 3, 16, 7, true}, AttentionCase{100, 3, 16, 30, false}));

}  // namespace
}  // namespace attnviz

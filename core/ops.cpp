#include "core/ops.h"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <unsupported/Eigen/SpecialFunctions>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

// y (T, out) (+)= x (T, in) · W + b for either weight layout, through Eigen's blocked GEMM.
void dense_many_rows(float* out, const float* in, int rows, const DenseWeights& w,
                     bool accumulate) {
  MatrixMap y(out, rows, w.out);
  ConstMatrixMap x(in, rows, w.in);
  if (w.out_major) {
    ConstMatrixMap weight(w.weight, w.out, w.in);  // (out, in)
    if (accumulate)
      y.noalias() += x * weight.transpose();
    else
      y.noalias() = x * weight.transpose();
  } else {
    ConstMatrixMap weight(w.weight, w.in, w.out);  // (in, out)
    if (accumulate)
      y.noalias() += x * weight;
    else
      y.noalias() = x * weight;
  }
  if (w.bias) y.rowwise() += Eigen::Map<const RowVector>(w.bias, w.out);
}

// Below this many rows a product is bound by reading the weights (appending a token: one row).
// Eigen runs those as matrix-vector products on one thread at about a third of the memory
// bandwidth; these kernels stream every weight once, for all rows, from every core.
constexpr int kFewRows = 16;
constexpr int kMaxBlock = 512;  // rows of an (out, in) weight per task, at most

// Weight rows per task of few_rows_out_major: an even share of `out` for each thread, a
// multiple of 16, at most kMaxBlock.
int row_block(int out) {
  const int threads = max_threads();
  const int share = (out + threads - 1) / threads;
  return std::clamp((share + 15) / 16 * 16, 16, kMaxBlock);
}

// W (in, out): y[r, :] = Σ_i x[r, i] · W[i, :]. Each thread reads its own contiguous run of
// weight rows (a column split reads short pieces of every row, which the prefetcher does not
// follow) into partial sums over all outputs, and the partial sums are added at the end.
void few_rows_in_major(float* out, const float* in, int rows, const DenseWeights& w,
                       bool accumulate) {
  const int parts = std::clamp(w.in / 64, 1, max_threads());
  const size_t part_size = static_cast<size_t>(rows) * w.out;
  thread_local std::vector<float> partial;  // (parts, rows, out), reused between calls
  partial.assign(parts * part_size, 0.0f);
  float* sums = partial.data();
#pragma omp parallel for schedule(static) if (parts > 1)
  for (int part = 0; part < parts; ++part) {
    const int first = static_cast<int>(static_cast<long>(w.in) * part / parts);
    const int last = static_cast<int>(static_cast<long>(w.in) * (part + 1) / parts);
    // Eight weight rows per pass over the sums: an eighth of the loads and stores of the sums,
    // which otherwise hold the loop below the memory bandwidth.
    int i = first;
    for (; i + 8 <= last; i += 8) {
      const float* weight = w.weight + static_cast<size_t>(i) * w.out;
      const size_t stride = static_cast<size_t>(w.out);
      for (int r = 0; r < rows; ++r) {
        const float* x = in + static_cast<size_t>(r) * w.in + i;
        float* sum = sums + part * part_size + static_cast<size_t>(r) * w.out;
        // Added one after the other, in the order of i, as a single row would be.
        for (int c = 0; c < w.out; ++c) {
          float value = sum[c];
          for (int k = 0; k < 8; ++k) value += x[k] * weight[k * stride + c];
          sum[c] = value;
        }
      }
    }
    for (; i < last; ++i) {
      const float* weight = w.weight + static_cast<size_t>(i) * w.out;
      for (int r = 0; r < rows; ++r) {
        const float x = in[static_cast<size_t>(r) * w.in + i];
        float* sum = sums + part * part_size + static_cast<size_t>(r) * w.out;
        for (int c = 0; c < w.out; ++c) sum[c] += x * weight[c];
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    float* y = out + static_cast<size_t>(r) * w.out;
    for (int c = 0; c < w.out; ++c) {
      float value = 0.0f;
      for (int part = 0; part < parts; ++part)
        value += sums[part * part_size + static_cast<size_t>(r) * w.out + c];
      if (accumulate) value += y[c];
      y[c] = w.bias ? value + w.bias[c] : value;
    }
  }
}

// W (out, in): y[r, j] = W[j, :] · x[r, :], one weight row read once for all rows.
void few_rows_out_major(float* out, const float* in, int rows, const DenseWeights& w,
                        bool accumulate) {
  using ConstVector = Eigen::Map<const Eigen::VectorXf>;
  const int block = row_block(w.out);
  const int blocks = (w.out + block - 1) / block;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int b = 0; b < blocks; ++b) {
    const int first = b * block, last = std::min(w.out, first + block);
    for (int j = first; j < last; ++j) {
      const ConstVector weight(w.weight + static_cast<size_t>(j) * w.in, w.in);
      for (int r = 0; r < rows; ++r) {
        const float dot = weight.dot(ConstVector(in + static_cast<size_t>(r) * w.in, w.in));
        float& y = out[static_cast<size_t>(r) * w.out + j];
        const float value = accumulate ? y + dot : dot;
        y = w.bias ? value + w.bias[j] : value;
      }
    }
  }
}

void dense_product(float* out, const float* in, int rows, const DenseWeights& w, bool accumulate) {
  assert(w.weight && w.in > 0 && w.out > 0 && rows >= 0 && "dense: bad weights");
  if (rows >= kFewRows) {
    dense_many_rows(out, in, rows, w, accumulate);
  } else if (w.out_major) {
    few_rows_out_major(out, in, rows, w, accumulate);
  } else {
    few_rows_in_major(out, in, rows, w, accumulate);
  }
}

}  // namespace

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void run_serially_on_this_thread() {
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

void dense(float* out, const float* in, int rows, const DenseWeights& w) {
  dense_product(out, in, rows, w, /*accumulate=*/false);
}

void dense_accumulate(float* out, const float* in, int rows, const DenseWeights& w) {
  dense_product(out, in, rows, w, /*accumulate=*/true);
}

void layer_norm(float* out, const float* in, const float* gain, const float* bias, int rows,
                int cols, float eps) {
#pragma omp parallel for schedule(static) if (rows >= 64)
  for (int r = 0; r < rows; ++r) {
    const float* x = in + static_cast<size_t>(r) * cols;
    float* y = out + static_cast<size_t>(r) * cols;
    // Two passes in double: the mean first, then the spread around it, so a large common
    // offset does not cancel the variance away.
    double sum = 0.0;
    for (int c = 0; c < cols; ++c) sum += x[c];
    const double mean = sum / cols;
    double squares = 0.0;
    for (int c = 0; c < cols; ++c) squares += (x[c] - mean) * (x[c] - mean);
    const double inv_std = 1.0 / std::sqrt(squares / cols + static_cast<double>(eps));
    for (int c = 0; c < cols; ++c)
      y[c] = static_cast<float>((x[c] - mean) * inv_std) * gain[c] + bias[c];
  }
}

// Applies `f` to n values in chunks spread over the threads. Chunks are a multiple of 16
// floats, so an aligned buffer stays aligned per chunk (Eigen's SIMD functions round slightly
// differently in their unaligned scalar prologue).
template <class Function>
void for_chunks(float* values, size_t n, const Function& f) {
  constexpr size_t kChunk = 16 * 1024;
  const long chunks = static_cast<long>((n + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long i = 0; i < chunks; ++i) {
    const size_t begin = static_cast<size_t>(i) * kChunk;
    f(Eigen::Map<Eigen::ArrayXf>(values + begin,
                                 static_cast<Eigen::Index>(std::min(kChunk, n - begin))));
  }
}

void gelu_new(float* values, size_t n) {
  const float sqrt_2_over_pi = static_cast<float>(std::sqrt(2.0 / M_PI));
  for_chunks(values, n, [&](Eigen::Map<Eigen::ArrayXf> x) {
    x = 0.5f * x * (1.0f + (sqrt_2_over_pi * (x + 0.044715f * x.cube())).tanh());
  });
}

void gelu_exact(float* values, size_t n) {
  const float inv_sqrt_2 = static_cast<float>(1.0 / std::sqrt(2.0));
  for_chunks(values, n,
             [&](Eigen::Map<Eigen::ArrayXf> x) { x = 0.5f * x * (1.0f + (x * inv_sqrt_2).erf()); });
}

void add_in_place(float* out, const float* a, size_t n) {
  Eigen::Map<Eigen::ArrayXf>(out, static_cast<Eigen::Index>(n)) +=
      Eigen::Map<const Eigen::ArrayXf>(a, static_cast<Eigen::Index>(n));
}

void attention_head(float* probabilities, float* context, const AttentionHeadArgs& a) {
  assert(a.first_query >= 0 && a.first_query < a.end_query && a.end_query <= a.tokens &&
         "attention_head: bad query block");
  const int block = a.end_query - a.first_query;  // B
  const int keys = attention_block_keys(a);       // K
  const int d = a.head_dim;
  const Eigen::OuterStride<> qkv_stride(3 * a.width);
  const float* head_base = a.qkv + static_cast<size_t>(a.head) * d;
  ConstStridedMap queries(head_base + static_cast<size_t>(a.first_query) * 3 * a.width, block, d,
                          qkv_stride);                                       // (B, D)
  ConstStridedMap key_rows(head_base + a.width, keys, d, qkv_stride);        // (K, D)
  ConstStridedMap value_rows(head_base + 2 * a.width, keys, d, qkv_stride);  // (K, D)
  MatrixMap probs(probabilities, block, keys);                               // (B, K)

  // Pass 1: raw scores q·k for every (query, key) of the block.
  probs.noalias() = queries * key_rows.transpose();

  for (int i = 0; i < block; ++i) {
    const int visible = a.causal ? a.first_query + i + 1 : keys;
    auto row = probs.row(i).head(visible).array();
    // Pass 2: scale, then exponentials shifted by the row maximum (no overflow), and their sum.
    row *= a.score_scale;
    const float row_max = row.maxCoeff();
    row = (row - row_max).exp();
    const float sum = row.sum();
    // Pass 3: normalize; masked keys get exactly 0.
    row /= sum;
    probs.row(i).tail(keys - visible).setZero();
  }

  // Pass 4: the weighted sum of values, written into this head's columns of the context.
  StridedMap out(context + static_cast<size_t>(a.head) * d, block, d,
                 Eigen::OuterStride<>(a.width));
  out.noalias() = probs * value_rows;
}

}  // namespace attnviz

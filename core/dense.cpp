// dense() and dense_accumulate() of core/ops.h: y (T, out) (+)= x (T, in) · W + b for weights
// stored as F32, F16 or BF16, (out, in) or (in, out).
//
// Many rows: panels of outputs, one per task across the threads, each multiplied by Eigen's
// blocked GEMM on its own thread; 16-bit weights are widened a panel at a time (about 1 MB, in
// cache), so a model never holds its weights as float32.
// Few rows (an appended token): the product is bound by reading the weights, so these kernels
// stream every weight once, widening on the fly, from every core.
//
// Legend: T rows, N outputs in a panel.
#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <vector>

#include "core/ops.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

// Below this many rows a product is bound by reading the weights.
constexpr int kFewRows = 16;
// Floats of a panel: 1 MB, about an L2 cache, so a widened panel stays there while Eigen packs
// and multiplies it.
constexpr size_t kPanelFloats = 256 * 1024;

const uint8_t* bytes_of(const void* p) {
  return static_cast<const uint8_t*>(p);
}

// Many rows: panels of N outputs, one per task across the threads, each multiplied by Eigen's
// GEMM on its thread (no barrier inside a product, which a busy machine makes expensive). F32
// panels are the weights themselves; 16-bit ones are widened first, a few hundred KB at a time.
void dense_many_rows(float* out, const float* in, int rows, const DenseWeights& w,
                     bool accumulate) {
  // At most kPanelFloats, and at least four panels per thread when the output allows, so the
  // threads finish together.
  const int largest = std::clamp(static_cast<int>(kPanelFloats / w.in) / 16 * 16, 16, 1024);
  const int even = (w.out + 4 * max_threads() - 1) / (4 * max_threads());
  const int panel = std::clamp((even + 15) / 16 * 16, 16, largest);
  const int panels = (w.out + panel - 1) / panel;
  const size_t bytes = weight_type_bytes(w.type);
  const bool wide = w.type == WeightType::kF32;
  ConstMatrixMap x(in, rows, w.in);
#pragma omp parallel for schedule(dynamic, 1) if (panels > 1)
  for (int p = 0; p < panels; ++p) {
    thread_local std::vector<float> widened;  // (N, in) or (in, N)
    const int first = p * panel, count = std::min(panel, w.out - first);
    StridedMap y(out + first, rows, count, Eigen::OuterStride<>(w.out));
    if (w.out_major) {
      const float* rows_of_w;
      if (wide) {
        rows_of_w = static_cast<const float*>(w.weight) + static_cast<size_t>(first) * w.in;
      } else {
        widened.resize(static_cast<size_t>(count) * w.in);
        widen(widened.data(), bytes_of(w.weight) + static_cast<size_t>(first) * w.in * bytes,
              static_cast<size_t>(count) * w.in, w.type);
        rows_of_w = widened.data();
      }
      ConstMatrixMap matrix(rows_of_w, count, w.in);  // (N, in)
      if (accumulate)
        y.noalias() += x * matrix.transpose();
      else
        y.noalias() = x * matrix.transpose();
    } else {
      const float* columns;
      size_t stride = static_cast<size_t>(w.out);
      if (wide) {
        columns = static_cast<const float*>(w.weight) + first;
      } else {
        widened.resize(static_cast<size_t>(count) * w.in);
        for (int i = 0; i < w.in; ++i)
          widen(widened.data() + static_cast<size_t>(i) * count,
                bytes_of(w.weight) + (static_cast<size_t>(i) * w.out + first) * bytes, count,
                w.type);
        columns = widened.data();
        stride = static_cast<size_t>(count);
      }
      ConstStridedMap matrix(columns, w.in, count, Eigen::OuterStride<>(stride));  // (in, N)
      if (accumulate)
        y.noalias() += x * matrix;
      else
        y.noalias() = x * matrix;
    }
    if (w.bias) y.rowwise() += Eigen::Map<const RowVector>(w.bias + first, count);
  }
}

// Σ_i weight[i]·x[i] for one stored weight row of n numbers.
float dot_widened(const void* weight, const float* x, int n, WeightType type) {
  int i = 0;
  float sum = 0.0f;
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  if (type == WeightType::kF32) {
    const float* w = static_cast<const float*>(weight);
    for (; i + 32 <= n; i += 32) {
      acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    }
  } else {
    const uint16_t* w = static_cast<const uint16_t*>(weight);
    auto load = [type](const uint16_t* p) {
      const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      if (type == WeightType::kF16) return _mm512_cvtph_ps(half);
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
    };
    for (; i + 32 <= n; i += 32) {
      acc0 = _mm512_fmadd_ps(load(w + i), _mm512_loadu_ps(x + i), acc0);
      acc1 = _mm512_fmadd_ps(load(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    }
  }
  sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
#endif
  if (i < n) {
    float tail[32];
    const size_t bytes = weight_type_bytes(type);
    for (; i < n; i += 32) {
      const int count = std::min(32, n - i);
      widen(tail, bytes_of(weight) + static_cast<size_t>(i) * bytes, count, type);
      for (int k = 0; k < count; ++k) sum += tail[k] * x[i + k];
    }
  }
  return sum;
}

// Weight rows per task of few_rows_out_major: an even share of `out` for each thread, a
// multiple of 16, at most 512.
int row_block(int out) {
  const int threads = max_threads();
  const int share = (out + threads - 1) / threads;
  return std::clamp((share + 15) / 16 * 16, 16, 512);
}

// W (out, in): y[r, j] = W[j, :] · x[r, :], one weight row read once for all rows.
void few_rows_out_major(float* out, const float* in, int rows, const DenseWeights& w,
                        bool accumulate) {
  const int block = row_block(w.out);
  const int blocks = (w.out + block - 1) / block;
  const size_t row_bytes = static_cast<size_t>(w.in) * weight_type_bytes(w.type);
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int b = 0; b < blocks; ++b) {
    const int first = b * block, last = std::min(w.out, first + block);
    for (int j = first; j < last; ++j) {
      const void* weight = bytes_of(w.weight) + j * row_bytes;
      for (int r = 0; r < rows; ++r) {
        const float dot = dot_widened(weight, in + static_cast<size_t>(r) * w.in, w.in, w.type);
        float& y = out[static_cast<size_t>(r) * w.out + j];
        const float value = accumulate ? y + dot : dot;
        y = w.bias ? value + w.bias[j] : value;
      }
    }
  }
}

// W (in, out): y[r, :] = Σ_i x[r, i] · W[i, :]. Each thread reads its own contiguous run of
// weight rows into partial sums over all outputs, added at the end.
void few_rows_in_major(float* out, const float* in, int rows, const DenseWeights& w,
                       bool accumulate) {
  const int parts = std::clamp(w.in / 64, 1, max_threads());
  const size_t part_size = static_cast<size_t>(rows) * w.out;
  const size_t bytes = weight_type_bytes(w.type);
  thread_local std::vector<float> partial;  // (parts, rows, out), reused between calls
  partial.assign(parts * part_size, 0.0f);
  float* sums = partial.data();
#pragma omp parallel for schedule(static) if (parts > 1)
  for (int part = 0; part < parts; ++part) {
    const int first = static_cast<int>(static_cast<long>(w.in) * part / parts);
    const int last = static_cast<int>(static_cast<long>(w.in) * (part + 1) / parts);
    thread_local std::vector<float> widened;  // (8, out)
    widened.resize(8 * static_cast<size_t>(w.out));
    int i = first;
    // Eight weight rows per pass over the sums: an eighth of the loads and stores of the sums.
    for (; i < last; i += 8) {
      const int count = std::min(8, last - i);
      const float* weight;
      if (w.type == WeightType::kF32) {
        weight = static_cast<const float*>(w.weight) + static_cast<size_t>(i) * w.out;
      } else {
        widen(widened.data(), bytes_of(w.weight) + static_cast<size_t>(i) * w.out * bytes,
              static_cast<size_t>(count) * w.out, w.type);
        weight = widened.data();
      }
      const size_t stride = static_cast<size_t>(w.out);
      for (int r = 0; r < rows; ++r) {
        const float* x = in + static_cast<size_t>(r) * w.in + i;
        float* sum = sums + part * part_size + static_cast<size_t>(r) * w.out;
        // Added one after the other, in the order of i, as a single row would be.
        for (int c = 0; c < w.out; ++c) {
          float value = sum[c];
          for (int k = 0; k < count; ++k) value += x[k] * weight[k * stride + c];
          sum[c] = value;
        }
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

void dense_product(float* out, const float* in, int rows, const DenseWeights& w, bool accumulate) {
  assert(w.weight && w.in > 0 && w.out > 0 && rows >= 0 && "dense: bad weights");
  if (rows == 0) return;
  if (rows >= kFewRows) {
    dense_many_rows(out, in, rows, w, accumulate);
  } else if (w.out_major) {
    few_rows_out_major(out, in, rows, w, accumulate);
  } else {
    few_rows_in_major(out, in, rows, w, accumulate);
  }
}

}  // namespace

void dense(float* out, const float* in, int rows, const DenseWeights& w) {
  dense_product(out, in, rows, w, /*accumulate=*/false);
}

void dense_accumulate(float* out, const float* in, int rows, const DenseWeights& w) {
  dense_product(out, in, rows, w, /*accumulate=*/true);
}

}  // namespace attnviz

#include "core/ops.h"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <unsupported/Eigen/SpecialFunctions>

#include "core/safetensors.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attnviz {

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

void widen(float* out, const void* in, size_t n, WeightType type) {
  if (type == WeightType::kF32) {
    std::memcpy(out, in, n * sizeof(float));
    return;
  }
  const uint16_t* bits = static_cast<const uint16_t*>(in);
  size_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) {
    const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + i));
    const __m512 wide =
        type == WeightType::kF16
            ? _mm512_cvtph_ps(half)
            : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
    _mm512_storeu_ps(out + i, wide);
  }
#endif
  if (type == WeightType::kF16)
    for (; i < n; ++i) out[i] = half_to_float(bits[i]);
  else
    for (; i < n; ++i) out[i] = bfloat16_to_float(bits[i]);
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

void rms_norm(float* out, const float* in, const float* gain, int rows, int cols, float eps,
              bool plus_one, size_t stride) {
#pragma omp parallel for schedule(static) if (rows >= 64)
  for (int r = 0; r < rows; ++r) {
    const float* x = in + r * stride;
    float* y = out + r * stride;
    double squares = 0.0;
    for (int c = 0; c < cols; ++c) squares += static_cast<double>(x[c]) * x[c];
    // transformers: x · rsqrt(mean(x²) + ε), then · w (Llama) or · (1 + w) (Gemma), in float32.
    const float inv_rms =
        static_cast<float>(1.0 / std::sqrt(squares / cols + static_cast<double>(eps)));
    if (plus_one) {
      for (int c = 0; c < cols; ++c) y[c] = (x[c] * inv_rms) * (1.0f + gain[c]);
    } else {
      for (int c = 0; c < cols; ++c) y[c] = gain[c] * (x[c] * inv_rms);
    }
  }
}

namespace {

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

}  // namespace

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

void silu(float* values, size_t n) {
  for_chunks(values, n, [](Eigen::Map<Eigen::ArrayXf> x) { x = x / (1.0f + (-x).exp()); });
}

void add_in_place(float* out, const float* a, size_t n) {
  Eigen::Map<Eigen::ArrayXf>(out, static_cast<Eigen::Index>(n)) +=
      Eigen::Map<const Eigen::ArrayXf>(a, static_cast<Eigen::Index>(n));
}

void multiply_in_place(float* out, const float* a, size_t n) {
  Eigen::Map<Eigen::ArrayXf>(out, static_cast<Eigen::Index>(n)) *=
      Eigen::Map<const Eigen::ArrayXf>(a, static_cast<Eigen::Index>(n));
}

void softcap_in_place(float* values, size_t n, float cap) {
  for_chunks(values, n, [cap](Eigen::Map<Eigen::ArrayXf> x) { x = (x / cap).tanh() * cap; });
}

}  // namespace attnviz

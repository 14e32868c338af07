// The arithmetic of a transformer layer as small free functions over row-major float buffers.
// Arguments are ordered outputs, inputs, weights, sizes. Weights stay in the precision they are
// stored in (F32, F16, BF16) and are widened to float32 as a product reads them: in panels
// that Eigen's GEMM multiplies for many rows, on the fly for the few rows of an appended token.
// With OpenMP they use every thread.
//
// Legend: T tokens (rows), C width, D head width, I MLP width.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attnviz {

// How a weight tensor's numbers are stored.
enum class WeightType { kF32, kF16, kBF16 };

// Parameters of one dense layer y = x·W + b. GPT-2's Conv1D stores W as (in, out); nn.Linear
// stores it as (out, in) and computes x·Wᵀ. The flag lets both layouts be used as stored,
// without a transposed copy.
struct DenseWeights {
  const void* weight = nullptr;  // (in, out), or (out, in) when out_major, of `type`
  const float* bias = nullptr;   // (out), may be null
  int in = 0;
  int out = 0;
  bool out_major = false;
  WeightType type = WeightType::kF32;
};

// OpenMP threads a parallel region started on this thread would use (1 without OpenMP).
int max_threads();
// Makes the calling thread run every parallel loop of core serially. For a UI thread: its
// short computations gain nothing from a second thread, and that thread would spin on a core
// for milliseconds after each loop, the core a model run on another thread is waiting for.
void run_serially_on_this_thread();

// out (n) = the n stored numbers at `in` as float32 (exact for F16 and BF16).
void widen(float* out, const void* in, size_t n, WeightType type);
// Bytes of one stored number.
inline size_t weight_type_bytes(WeightType type) {
  return type == WeightType::kF32 ? 4 : 2;
}

// out (T, out) = in (T, in) · W + b.
void dense(float* out, const float* in, int rows, const DenseWeights& w);
// out (T, out) += in (T, in) · W + b: a residual branch added in place.
void dense_accumulate(float* out, const float* in, int rows, const DenseWeights& w);

// out (T, C) = (in − mean) / sqrt(var + eps) · gain + bias per row; var is the biased
// variance, as torch.nn.LayerNorm computes it. out may alias in.
void layer_norm(float* out, const float* in, const float* gain, const float* bias, int rows,
                int cols, float eps);
// out = in / sqrt(mean(in²) + eps) · gain per row (Llama's RMSNorm); with plus_one the gain is
// (1 + gain) (Gemma's). Rows are `stride` floats apart in both; out may alias in.
void rms_norm(float* out, const float* in, const float* gain, int rows, int cols, float eps,
              bool plus_one, size_t stride);

// In place over n values. gelu_new is GPT-2's tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); gelu_exact is BERT's 0.5·x·(1 + erf(x/√2));
// silu is x / (1 + exp(−x)).
void gelu_new(float* values, size_t n);
void gelu_exact(float* values, size_t n);
void silu(float* values, size_t n);

// out (n) += a (n), elementwise.
void add_in_place(float* out, const float* a, size_t n);
// out (n) *= a (n), elementwise.
void multiply_in_place(float* out, const float* a, size_t n);
// out (n) = cap · tanh(out / cap) (Gemma's soft-capping).
void softcap_in_place(float* values, size_t n, float cap);

}  // namespace attnviz

// The arithmetic of a transformer layer as small free functions over row-major float buffers.
// Arguments are ordered outputs, inputs, weights, sizes. Heavy products go through Eigen's GEMM
// (row-major maps, no copies); everything else is a plain loop or a vectorized Eigen array op.
// With OpenMP they use every thread: Eigen splits large products itself, dense() splits the
// columns of products with few rows, layer_norm and GELU split rows / chunks.
//
// Legend: T tokens (rows), C width, H heads, D = C / H head width, K keys a query sees.
#pragma once

#include <cstddef>

namespace attnviz {

// Parameters of one dense layer y = x·W + b. GPT-2's Conv1D stores W as (in, out); BERT's
// nn.Linear stores it as (out, in) and computes x·Wᵀ. The flag lets both layouts be used as
// stored, without a transposed copy.
struct DenseWeights {
  const float* weight = nullptr;  // (in, out), or (out, in) when out_major
  const float* bias = nullptr;    // (out), may be null
  int in = 0;
  int out = 0;
  bool out_major = false;
};

// out (T, out) = in (T, in) · W + b.
// OpenMP threads a parallel region started on this thread would use (1 without OpenMP).
int max_threads();
// Makes the calling thread run every parallel loop of core serially. For a UI thread: its
// short computations gain nothing from a second thread, and that thread would spin on a core
// for milliseconds after each loop, the core a model run on another thread is waiting for.
void run_serially_on_this_thread();

void dense(float* out, const float* in, int rows, const DenseWeights& w);
// out (T, out) += in (T, in) · W + b: a residual branch added in place.
void dense_accumulate(float* out, const float* in, int rows, const DenseWeights& w);

// out (T, C) = (in − mean) / sqrt(var + eps) · gain + bias per row; var is the biased
// variance, as torch.nn.LayerNorm computes it. out may alias in.
void layer_norm(float* out, const float* in, const float* gain, const float* bias, int rows,
                int cols, float eps);

// In place over n values. gelu_new is GPT-2's tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); gelu_exact is BERT's 0.5·x·(1 + erf(x/√2)).
void gelu_new(float* values, size_t n);
void gelu_exact(float* values, size_t n);

// out (n) += a (n), elementwise.
void add_in_place(float* out, const float* a, size_t n);

// One head of scaled dot-product attention for a block of queries [first_query, end_query),
// reading Q, K and V from a fused (T, 3C) buffer laid out [Q | K | V], head h at columns h·D.
struct AttentionHeadArgs {
  const float* qkv = nullptr;  // (T, 3C)
  int tokens = 0;              // T: rows of qkv that hold valid keys (causal: ≥ end_query)
  int width = 0;               // C
  int head = 0;                // h
  int head_dim = 0;            // D
  int first_query = 0;
  int end_query = 0;
  float score_scale = 1.0f;  // multiplies q·k before softmax (1/√D, / (layer+1), / temperature)
  bool causal = false;       // query q sees keys 0..q only
};

// Keys a query block needs: causal blocks stop at the last query of the block.
inline int attention_block_keys(const AttentionHeadArgs& a) {
  return a.causal ? a.end_query : a.tokens;
}

// probabilities (B, K) with B = end_query − first_query, K = attention_block_keys(a): row i is
// query first_query + i, post-softmax, exactly 0 on masked keys.
// context (B, C) receives the block's rows at columns h·D..h·D+D−1 (row stride C); the caller
// points it at the row of first_query.
void attention_head(float* probabilities, float* context, const AttentionHeadArgs& a);

}  // namespace attnviz

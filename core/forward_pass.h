// The parts of a run that GPT-2 and BERT share: validating the request, deciding how much of a
// previous trace can be reused (the cache), starting the trace, the attention of one layer over
// all heads, the LM-head predictions, and the scratch buffers.
//
// Legend: L layers, H heads, T tokens, N = T − p rows computed (p reused), C width, D head
// width, I MLP width, V vocabulary, B query block.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <vector>

#include "core/attention_trace.h"
#include "core/model_config.h"
#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

// Queries per attention block: the (B, T) score buffer of a block stays in cache, and causal
// blocks skip most keys a block cannot see.
inline constexpr int kQueryBlock = 64;
// Rows of logits computed at a time so the (T, V) matrix never exists whole (128 rows of
// GPT-2 = 26 MB); fewer chunks mean fewer repackings of the (V, C) embedding by the GEMM.
inline constexpr int kLogitRows = 128;

// Scratch memory aligned for the widest SIMD Eigen uses: Eigen's vectorized exp/tanh/erf and
// sums peel unaligned leading elements into scalar code that rounds differently, so an
// unaligned buffer would make results depend on where the heap happened to put it.
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// Buffers of a run, sized by the largest run so far and reused: nothing is allocated inside
// the layer loop.
struct ForwardScratch {
  AlignedFloats residual;                      // (N, C) the residual stream of the computed rows
  AlignedFloats normed;                        // (N, C) layer-norm output / projection output
  AlignedFloats context;                       // (N, C) attention output before the projection
  AlignedFloats mlp;                           // (N, I)
  AlignedFloats qkv;                           // (T, 3C) only when the trace does not keep Q/K/V
  AlignedFloats probs;                         // (threads, B, T) one block of attention per thread
  AlignedFloats logits;                        // (kLogitRows, V) GPT-2 only
  std::vector<std::pair<float, int32_t>> top;  // (kLogitRows, k) best logits of a chunk

  void reserve(const ModelConfig& config, int tokens, int rows, bool own_qkv, int top_k);
};

// What one run computes.
struct RunPlan {
  int tokens = 0;  // T
  int first = 0;   // p: positions [0, p) copied from the previous trace
  bool causal = false;
  std::vector<float> score_scales;  // (L) factor on q·k before softmax
  int threads = 1;  // OpenMP threads worth using: 1 when the run is too small to split
  int rows() const { return tokens - first; }
};

// Sets the OpenMP thread count of the calling thread for one run and restores it after.
// Small runs (a tiny model, or one appended token of a small one) go faster on one thread: on
// a busy machine every parallel region can wait a scheduler slice for a descheduled helper
// thread, which turned 4 ms runs into 100-300 ms ones.
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int saved_ = 1;
};

// Rejects what the model cannot run: no tokens, more than max_positions, ids outside the
// vocabulary, temperature not > 0.
Status validate_run(const ModelConfig& config, std::span<const Token> tokens,
                    const RunOptions& options);

// The per-layer score scale: 1/√D when scaling is on (and the config scales), / (layer + 1)
// when the config says so, / temperature.
std::vector<float> score_scales(const ModelConfig& config, const RunOptions& options);

// Positions of `previous` (which the caller has checked is this model's) that the run can
// reuse: the shared token-id prefix when both are causal with the same math, both keep Q/K/V,
// and the kept extras (hidden states, predictions) match. At most T − 1 so that at least one
// position is computed.
int reusable_prefix(std::span<const Token> tokens, const RunOptions& options, bool causal,
                    const AttentionTrace* previous);

// OpenMP threads worth using for this many multiply-adds of this model (see ThreadLimit).
int threads_for_work(const ModelConfig& config, double multiply_adds);
RunPlan plan_run(const ModelConfig& config, std::span<const Token> tokens,
                 const RunOptions& options, const AttentionTrace* previous);

// A new trace with Q/K/V, hidden states and predictions allocated as the options ask (the
// storage from the model's pool), and rows [0, p) of everything copied from `previous`.
std::shared_ptr<AttentionTrace> start_trace(const ModelConfig& config,
                                            std::span<const Token> tokens,
                                            const RunOptions& options, const RunPlan& plan,
                                            const AttentionTrace* previous, TraceStoragePool& pool);

// Q/K/V of one layer: the trace's when it keeps them, else the scratch buffer. (T, 3C)
float* layer_qkv(AttentionTrace& trace, ForwardScratch& scratch, int layer);

// Attention of all heads of one layer for queries [p, T): writes the trace's rows of the
// layer and the context (N, C). Heads run in parallel.
void attend_layer(float* context, AttentionTrace& trace, const float* qkv, int layer,
                  const ModelConfig& config, const RunPlan& plan, ForwardScratch& scratch);

// Top-k next tokens for rows [p, T) from the final hidden states (N, C) and the tied
// embedding (V, C): softmax over final · embeddingᵀ, computed kLogitRows rows at a time.
void predict_next_tokens(AttentionTrace& trace, const float* final_hidden, const float* embedding,
                         const ModelConfig& config, const Tokenizer& tokenizer, const RunPlan& plan,
                         ForwardScratch& scratch);

// Copies rows (N, C) into hidden state `index` of the trace at rows [p, T) when it keeps them.
void store_hidden_state(AttentionTrace& trace, int index, const float* rows,
                        const ModelConfig& config, const RunPlan& plan);

// The traces a model produced that are still alive, so a `previous` from another model (or
// one already freed and its address reused) is never taken for a cache.
class TraceHistory {
 public:
  void remember(const std::shared_ptr<const AttentionTrace>& trace);  // also forgets dead ones
  bool produced(const AttentionTrace* trace) const;

 private:
  std::vector<std::weak_ptr<const AttentionTrace>> traces_;
};

}  // namespace attnviz

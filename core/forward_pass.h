// One forward pass of any family: the run's plan (what the cache lets it skip, which rules each
// layer scores with), the shared blocks a family's recipe is written with (norm, self-attention,
// MLP, residual add), the next-token predictions and the scratch buffers.
//
// Legend: L layers, H query heads, G key/value heads, D head width, T tokens, N = T − p rows
// computed (p reused), C width, I MLP width, V vocabulary, B query block, S padded key count.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <vector>

#include "core/attention_trace.h"
#include "core/model_config.h"
#include "core/models/architecture.h"
#include "core/models/rope.h"
#include "core/result.h"
#include "core/tokenizer.h"
#include "core/weight_registry.h"

namespace attnviz {

// Queries per attention block: a block's (B, S) weights stay in cache, and causal blocks skip
// most keys a block cannot see.
inline constexpr int kQueryBlock = 64;
// Rows the MLP computes at once (its hidden activations are (rows, 2I) floats).
inline constexpr int kMlpRows = 512;

// Scratch memory aligned for the widest SIMD Eigen uses, so results never depend on where the
// heap put a buffer.
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// Buffers of a run, sized by the largest run so far and reused: nothing is allocated inside
// the layer loop.
struct ForwardScratch {
  AlignedFloats residual;      // (N, C) the residual stream of the computed rows
  AlignedFloats normed;        // (N, C) a norm's output, the final norm's too
  AlignedFloats attention;     // (N, C) the attention branch's output
  AlignedFloats mlp;           // (N, C) the MLP branch's output
  AlignedFloats context;       // (N, H·D) attention output before the projection
  AlignedFloats mlp_hidden;    // (min(N, kMlpRows), 2I) [gate | up], or (·, I)
  AlignedFloats qkv;           // (T, (H + 2G)·D) when the trace does not keep Q/K/V
  AlignedFloats keys_t;        // (G, D, S) one layer's keys transposed for the scores
  AlignedFloats probs;         // (threads, B, S) one block of weights per thread
  AlignedFloats moved;         // (min(N, kMlpRows), C) one head's v_j W_O^h, for the value norms
  AlignedFloats output_weights;  // (H·D, C) the output projection widened, when not float32

  void reserve(const ModelConfig& config, int tokens, int rows, bool own_qkv);
};

// What one run computes.
struct RunPlan {
  int tokens = 0;  // T
  int first = 0;   // p: positions [0, p) copied from the previous trace
  bool causal = true;
  std::vector<ScoreRule> rules;  // (L)
  int rope_variant = 0;          // which RoPE tables (longrope: short 0, long 1)
  int threads = 1;               // OpenMP threads worth using: 1 when the run is too small to split
  bool stores_weights = true;    // the trace stores (L, H, T, T) weights (RunOptions::weights)
  bool keeps_qkv = true;         // the trace keeps q/k/v (asked for, or weights on demand)
  bool keeps_pre_rope = false;   // and q/k before RoPE (RoPE models with stored weights only)
  std::vector<HeadAblation> ablations;  // heads switched off (RunOptions::ablations)
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
// embedding, temperature not > 0, an ablated head outside the model or named twice.
Status validate_run(const ModelConfig& config, std::span<const Token> tokens,
                    const RunOptions& options);

// How each layer scores (core/attention_math.h): the model's scale (1/√D, or Gemma's
// query_pre_attn_scalar^−½, GPT-2's / (layer + 1)), soft-cap and window, with the what-ifs.
std::vector<ScoreRule> score_rules(const ModelConfig& config, const RunOptions& options,
                                   bool causal);

// The RoPE tables a run of T tokens uses (0, or 1 for longrope's long factors).
int rope_variant(const ModelConfig& config, int tokens);

// Positions of `previous` (which the caller has checked is this model's) that the run can
// reuse: the shared token-id prefix when both are causal with the same math and RoPE tables,
// both keep Q/K/V, and the kept extras (hidden states, predictions) match. At most T − 1 so
// that at least one position is computed.
int reusable_prefix(std::span<const Token> tokens, const RunOptions& options, bool causal,
                    const AttentionTrace* previous, bool same_rope);

// The machine's 1-minute load average (/proc/loadavg), 0 when unknown.
double load_average();

// OpenMP threads worth using for this many multiply-adds over `rows` rows of a model of
// `weight_bytes` (see ThreadLimit).
int threads_for_work(double weight_bytes, double multiply_adds, int rows);

// The layers' RoPE tables of a run (global, and Gemma 3's local ones), kept by the model.
struct RopeTables {
  RopeTable global, local;
  const RopeTable& of(const ModelConfig& config, int layer) const {
    return config.rope_local && config.window(layer) > 0 ? local : global;
  }
};

// What a family's recipe works with for one run: the blocks every family is built from, each
// over the N rows this run computes.
class ForwardPass {
 public:
  ForwardPass(const ModelConfig& config, const ModelWeights& weights, const RunPlan& plan,
              AttentionTrace& trace, ForwardScratch& scratch, const RopeTables& rope,
              std::span<const Token> tokens);

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const LayerWeights& layer(int index) const { return weights_.layers[index]; }
  std::span<const Token> tokens() const { return tokens_; }
  int first_position() const { return plan_.first; }
  int rows() const { return plan_.rows(); }
  size_t width() const { return static_cast<size_t>(config_.width); }

  // The named buffers of the run, (N, C) each.
  float* residual() { return scratch_.residual.data(); }
  float* normed() { return scratch_.normed.data(); }
  float* attention_branch() { return scratch_.attention.data(); }
  float* mlp_branch() { return scratch_.mlp.data(); }

  // out (N, C) = the family's norm (LayerNorm, RMSNorm or Gemma's (1 + w)) of in; may alias.
  void norm(float* out, const float* in, const NormWeights& weights);
  // out (N, C) = self-attention of in: q/k/v projection, q/k norms, RoPE, grouped-query
  // attention with the layer's rule (weights into the trace), output projection.
  void self_attention(float* out, const float* in, int layer);
  // out (N, C) = the MLP of in: down(act(gate(in)) · up(in)) or out(act(in(in))).
  void mlp(float* out, const float* in, int layer);
  // x (N, C) += branch (N, C).
  void add(float* x, const float* branch);
  // Embedding rows: out (N, C) = the stored table's rows of the tokens' ids (widened).
  void embed_tokens(float* out);
  // out (N, C) += rows p..T−1 of a positional table (learned positions). Uses mlp_branch().
  void add_positions(float* out, const WeightTensor& table);

 private:
  // mlp() of n rows.
  void mlp_rows(float* out, const float* in, int n, int layer);

  const ModelConfig& config_;
  const ArchitectureRow& row_;
  const ModelWeights& weights_;
  const RunPlan& plan_;
  AttentionTrace& trace_;
  ForwardScratch& scratch_;
  const RopeTables& rope_;
  std::span<const Token> tokens_;

  // The trace's value_norms of rows p..T−1 of one layer from the layer's values (qkv).
  void value_norms(const float* qkv, int layer);
  // Applies the plan's ablations of this layer to context (N, H·D): a head's D columns set to
  // 0, or to their mean over the rows (all T positions: mean ablation never reuses a prefix).
  void ablate_heads(float* context, int layer);
};

// A family's forward pass (core/models/<family>.cpp), written with ForwardPass's blocks.
struct FamilyRecipe {
  // residual (N, C) = the embeddings of tokens p..T−1 (hidden state 0).
  void (*embed)(ForwardPass& pass);
  // One layer on residual (N, C), in place.
  void (*layer)(ForwardPass& pass, int layer);
};

// out (rows, C) = the norm `kind` (LayerNorm, RMSNorm or Gemma's (1 + w)) of in; may alias.
void norm_rows(float* out, const float* in, int rows, NormKind kind, const NormWeights& weights,
               const ModelConfig& config);

// The attention of all heads of one layer for queries [p, T), from Q/K/V rows (T, (H+2G)·D)
// of q and k after RoPE: writes the trace's rows and lse of the layer and context (N, H·D).
// Heads and query blocks run in parallel.
void attend_layer(float* context, AttentionTrace& trace, const float* qkv, int layer,
                  const ModelConfig& config, const RunPlan& plan, ForwardScratch& scratch);

// Top-k next tokens for rows [p, T) from the final hidden states (N, C): softmax over
// final · headᵀ (soft-capped when the config says so), streamed over panels of the vocabulary
// so the (N, V) logits never exist whole. With `targets` (N·M ids, M per row), target_probabilities
// (N·M) receives each row's probabilities of its targets.
void predict_next_tokens(std::vector<std::vector<Prediction>>& predictions, int first_row,
                         const float* final_hidden, int rows, const WeightTensor& head,
                         const ModelConfig& config, const Tokenizer& tokenizer, int top_k,
                         std::span<const int32_t> targets = {},
                         float* target_probabilities = nullptr);

}  // namespace attnviz

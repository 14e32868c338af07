// AttentionTrace: what one forward pass (or an imported attention file) says about attention:
// tokens, shapes, the post-softmax weights, how each layer scored (scale, soft-cap, window,
// causal mask), each row's log-sum-exp, and optionally the q/k/v the scores came from. Data
// only, immutable once published and shared by the engine, the views and the exporters; the
// model's row cache (storage pool, row tags, pending predictions) lives beside the model
// (core/trace_storage.h).
//
// Legend: L layers, H query heads, G key/value heads (H / G query heads share one), D head
// width, T tokens, P ≥ T positions a layout is sized for, C width.
//
// Weights are stored row by row, rows = queries. A causal trace stores only the keys a query
// can see (row q holds keys 0..q, the rest are exactly 0); keys outside a sliding window are
// stored as exact zeros. row() and weight() hide the layout.
//
// Every weight of a model's trace is exp(score − lse) where score comes from the kept q and k
// through the layer's ScoreRule and lse is the row's stored log-sum-exp (core/attention_math.h).
// recompute_row() redoes that from what the trace keeps and gets the stored row bit for bit: a
// later trace can drop the (L, H, T, T) weights and keep only q, k, lse and the rules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/attention_math.h"
#include "core/big_memory.h"
#include "core/tokenizer.h"

namespace attnviz {

// RunOptions::Weights::kAuto stores a run's weights while they take at most this many bytes
// (short texts: views read stored rows); longer runs keep q, k and the lse and recompute.
constexpr size_t kStoredWeightsBudget = 128u << 20;

// Head ablation, a what-if: head `head` (a query head) of layer `layer` is switched off in the
// model. Its output z (the head's (T, D) attention-weighted values, before the output
// projection W_O) is replaced: kZero by 0 at every position; kMean by its mean over the T
// positions of this text, the same vector at every position (TransformerLens's mean ablation of
// hook_z with this one text as the reference; on a causal model the mean includes later
// positions). The head's own attention weights are still those it computed; the output bias is
// kept. Later layers, predictions and every view then show the ablated model.
struct HeadAblation {
  enum class Kind { kZero, kMean };
  int layer = 0;
  int head = 0;
  Kind kind = Kind::kZero;
  bool operator==(const HeadAblation&) const = default;
};

// What-ifs a person can switch on a run. Defaults reproduce the model exactly.
struct RunOptions {
  std::optional<bool> causal_mask;  // unset: the model's own (decoders causal, BERT not)
  bool scale_by_sqrt_dk = true;     // scale q·k as the model does (1/√D; Gemma: its scalar)
  float temperature = 1.0f;         // divide scores by this before softmax (> 0)
  int top_predictions = 10;         // next-token predictions kept per position (LM models)
  bool keep_hidden_states = false;  // keep (L+1, T, C) residual stream (tests, analyses)
  bool keep_qkv = true;             // keep Q, K, V per layer for the inspector and the cache
  // Whether the trace stores the (L, H, T, T) weights or recomputes them on demand from the kept
  // q, k and each row's log-sum-exp (always kept then, whatever keep_qkv says). kAuto: the
  // model stores them while they take at most kStoredWeightsBudget bytes.
  enum class Weights { kAuto, kStored, kOnDemand };
  Weights weights = Weights::kAuto;
  // Leave the predictions of the positions this run computes for Model::complete_predictions,
  // so the attention is ready without waiting for the LM head (the app shows it first).
  bool defer_predictions = false;
  // Heads switched off (HeadAblation), in the order given; a (layer, head) at most once.
  std::vector<HeadAblation> ablations;

  bool reproduces_model() const {
    return !causal_mask && scale_by_sqrt_dk && temperature == 1.0f && ablations.empty();
  }
  bool same_math(const RunOptions& o) const {
    return causal_mask == o.causal_mask && scale_by_sqrt_dk == o.scale_by_sqrt_dk &&
           temperature == o.temperature && ablations == o.ablations;
  }
};

struct Prediction {
  int32_t id = 0;
  std::string text;
  float probability = 0.0f;
};

struct RunTimings {
  double tokenize_ms = 0.0;
  double forward_ms = 0.0;
  double predictions_ms = 0.0;  // the LM head's top-k, when computed after the run (deferred)
  int reused_positions = 0;     // prefix positions taken from the previous run's keys and values
  int copied_positions = 0;     // of those, the rows copied (the rest were already in place)
};

// The arithmetic of one query head, for the inspector: the vectors the scores came from and the
// scores as the softmax saw them.
struct HeadDetail {
  int layer = 0, head = 0, kv_head = 0, tokens = 0, head_dim = 0;
  int rotary_dims = 0;         // dims RoPE rotated (0: no RoPE)
  ScoreRule rule;              // scale, soft-cap, window, causal mask of the layer
  float score_scale = 1.0f;    // rule.scale: factor on q·k (1/√D, / temperature when not capped)
  std::vector<float> queries;  // (T, D) after q-norm and RoPE: what the scores used
  std::vector<float> keys;     // (T, D) of kv_head (shared by its group), after k-norm and RoPE
  std::vector<float> values;   // (T, D) of kv_head
  std::vector<float> queries_before_rope;  // (T, D) after q-norm, before RoPE; empty without RoPE
  std::vector<float> keys_before_rope;     // (T, D); empty without RoPE
  std::vector<float> scores_before_cap;    // (R, T) q·k·scale; empty unless soft-capped
  std::vector<float> scores;               // (R, T) what the softmax saw; −infinity where masked
  // The scores hold rows first_row..first_row + R − 1 (all T rows, or the one query asked for).
  int first_row = 0;
  bool has_scores(int query) const {
    return query >= first_row && static_cast<size_t>(query - first_row + 1) * tokens <= scores.size();
  }
  // Query's row of `scores` (or of scores_before_cap), T floats; requires has_scores(query).
  const float* score_row(const std::vector<float>& of, int query) const {
    return of.data() + static_cast<size_t>(query - first_row) * tokens;
  }

  int position_difference(int query, int key) const { return query - key; }
  bool causally_masked(int query, int key) const { return rule.causal && key > query; }
  bool outside_window(int query, int key) const {
    return !causally_masked(query, key) && !rule.visible(query, key);
  }
};

// Floats left unwritten on allocation (the forward pass writes every value of its traces), big
// blocks on huge pages (core/big_memory.h).
using TraceFloats = std::vector<float, BigAllocator<float>>;

// One block of a trace's storage; copies of a trace share it.
struct TraceBuffer {
  TraceFloats floats;
};

// The sizes of a model's trace.
struct TraceShape {
  int layers = 0;
  int heads = 0;     // H
  int kv_heads = 0;  // G
  int head_dim = 0;  // D
  bool causal = true;
  bool stores_weights = true;  // false: only the lse is stored, weights are recomputed
  int qkv_floats() const { return (heads + 2 * kv_heads) * head_dim; }   // [Q | K | V]
  int pre_rope_floats() const { return (heads + kv_heads) * head_dim; }  // [Q | K]
};

// Storage a model hands its trace (from the pool beside it).
struct TraceStorage {
  std::shared_ptr<TraceBuffer> weights;   // (L, H, rows of P) then the lse (L, H, P)
  std::shared_ptr<TraceBuffer> qkv;       // (L, P, (H + 2G)·D), or null
  std::shared_ptr<TraceBuffer> pre_rope;  // (L, P, (H + G)·D), or null
  int positions = 0;                      // P ≥ T
};

// Copies of a trace share its storage (never changed once the trace is published), so a trace
// can be completed with predictions without copying 50 MB.
class AttentionTrace {
 public:
  // kZeros: every weight starts at 0. kUnwritten: the caller writes every row before anyone
  // reads it.
  enum class Fill { kZeros, kUnwritten };
  // A trace of weights only (imported files, derived views): G = H, no q/k/v.
  AttentionTrace(std::vector<Token> tokens, int layers, int heads, bool causal,
                 Fill fill = Fill::kZeros);
  // A model's run: storage from the model's pool (floats sized by storage_floats()).
  AttentionTrace(std::vector<Token> tokens, const TraceShape& shape, TraceStorage storage);
  // The floats each buffer of `storage` must hold for a trace of this shape and P positions.
  static size_t weight_buffer_floats(const TraceShape& shape, int positions);
  static size_t qkv_buffer_floats(const TraceShape& shape, int positions);
  static size_t pre_rope_buffer_floats(const TraceShape& shape, int positions);

  int layers() const { return shape_.layers; }
  int heads() const { return shape_.heads; }
  int kv_heads() const { return shape_.kv_heads; }
  // The key/value head query head h reads (transformers' repeat_kv: h / (H / G)).
  int kv_head_of(int head) const { return head / (shape_.heads / shape_.kv_heads); }
  int tokens_count() const { return static_cast<int>(tokens_.size()); }
  const std::vector<Token>& tokens() const { return tokens_; }
  bool causal() const { return shape_.causal; }
  const TraceShape& shape() const { return shape_; }
  int positions() const { return positions_; }

  // Number of stored keys of a query row: causal rows see keys 0..query.
  int row_length(int query) const { return causal() ? query + 1 : tokens_count(); }
  // Post-softmax weights of one query over keys 0..row_length(query)-1. Requires
  // stores_weights(): readers go through AttentionReader, which recomputes otherwise.
  std::span<const float> row(int layer, int head, int query) const;
  std::span<float> mutable_row(int layer, int head, int query);
  // Weight of key for query; exactly 0 where the mask or the window hides the key (recomputed
  // when the weights are not stored).
  float weight(int layer, int head, int query, int key) const;
  // Dense (T, T) copy of one head into out (size T*T), zeros where masked (rows recomputed in
  // parallel when the weights are not stored).
  void copy_head(int layer, int head, std::span<float> out) const;
  // Dense (L, H, T, T) copy of everything (exporters of NPY/JSON).
  std::vector<float> dense() const;
  // Bytes of the stored weights of this text (the layout may have room for more positions):
  // 0 when the weights are recomputed on demand.
  size_t weight_bytes() const;
  // Bytes the (L, H, T, T) weights would take if stored (causal rows 0..q), float32.
  size_t full_weight_bytes() const;
  // Whether row() can hand out stored rows; otherwise every weight is recomputed from q, k and
  // the row's lse (recompute_row), which gives the same bits the forward pass produced.
  bool stores_weights() const { return shape_.stores_weights; }

  // How each layer scored: scale, soft-cap, window, causal mask. Set by the model.
  const ScoreRule& rule(int layer) const;
  void set_rules(std::vector<ScoreRule> rules) { rules_ = std::move(rules); }
  // The factor on q·k of a layer (includes temperature unless the layer is soft-capped).
  float score_scale(int layer) const { return rules_.empty() ? 1.0f : rules_[layer].scale; }
  void set_score_scales(const std::vector<float>& scales);
  // The window of a layer, 0 for global layers.
  int window(int layer) const { return rules_.empty() ? 0 : rules_[layer].window; }
  // RoPE rotated the first rotary_dims dims of each head of the layer (0: no RoPE).
  int rotary_dims(int layer) const { return rotary_dims_.empty() ? 0 : rotary_dims_[layer]; }
  void set_rotary_dims(std::vector<int> dims) { rotary_dims_ = std::move(dims); }

  // Q, K, V of every layer, present for traces computed by attnviz (not for imported ones).
  bool has_qkv() const { return qkv_ && !qkv_->floats.empty(); }
  int head_dim() const { return shape_.head_dim; }
  int width() const { return shape_.heads * shape_.head_dim; }  // H·D, the query width
  // Bytes of the kept q/k/v (and q/k before RoPE) of this text.
  size_t qkv_bytes() const;
  // Gives an imported or hand-made trace room for Q/K/V with G = H and D = width / H.
  void set_qkv_shape(int width);
  // (T, (H + 2G)·D): [Q | K | V], q and k after their norms and RoPE (the scores' inputs);
  // query head h at h·D, kv head g's key at H·D + g·D and value at (H + G)·D + g·D.
  std::span<const float> qkv(int layer) const;
  std::span<float> mutable_qkv(int layer);
  // (T, (H + G)·D): [Q | K] before RoPE (after the q/k norms), kept for RoPE models with Q/K/V.
  bool has_pre_rope() const { return pre_rope_ && !pre_rope_->floats.empty(); }
  std::span<const float> pre_rope(int layer) const;
  std::span<float> mutable_pre_rope(int layer);

  // The log-sum-exp of a row's scores (model traces), so weight = exp(score − lse).
  float row_lse(int layer, int head, int query) const;
  std::span<float> mutable_lse(int layer, int head);  // (T) of one head
  bool has_lse() const { return has_lse_; }
  // The row recomputed from q, k, the rule and the lse, as the forward pass computed it: equal
  // to row() bit for bit. Requires has_qkv() and has_lse(); out has row_length(query) floats.
  void recompute_row(int layer, int head, int query, std::span<float> out) const;
  // The arithmetic of one head (O(T²·D)). Requires has_qkv().
  HeadDetail head_detail(int layer, int head) const;
  // The same with the scores of one query's row only (O(T·D), what the inspector shows: no
  // (T, T) block at a long text).
  HeadDetail head_detail(int layer, int head, int query) const;

  // Describes the run.
  std::string model_name;
  RunOptions options;
  RunTimings timings;
  // Top next-token predictions per position (empty for models without an LM head).
  std::vector<std::vector<Prediction>> predictions;  // (T, k)
  // Residual stream when RunOptions::keep_hidden_states: (L+1, T, C); [0] the embeddings, [L]
  // after the final norm (decoders).
  std::vector<float> hidden_states;
  // ‖v_j W_O^h‖ of every layer, head and key (Kobayashi et al. 2020, "Attention is not only a
  // weight"): the size of what head h moves from token j per unit of attention. v_j keeps the
  // value bias; the output bias is no key's and is left out; Gemma's post-attention norm comes
  // after. (L, H, T); empty for imported traces. Value-weighted attention is α_ij·value_norm(j)
  // normalized per query row (core/view_trace.h).
  std::vector<float> value_norms;
  bool has_value_norms() const { return !value_norms.empty(); }
  float value_norm(int layer, int head, int key) const {
    return value_norms[(static_cast<size_t>(layer) * heads() + head) * tokens_count() + key];
  }
  // A run with RunOptions::defer_predictions: positions pending_from..T-1 have no predictions
  // yet (Model::complete_predictions fills them). -1: none pending.
  int pending_from = -1;
  bool predictions_pending() const { return pending_from >= 0; }

 private:
  HeadDetail head_detail_rows(int layer, int head, int row_begin, int row_end) const;
  size_t row_offset(int layer, int head, int query) const;
  size_t head_stride() const;  // floats per head of the weights: P(P+1)/2 causal, P·P otherwise
  size_t lse_offset() const;

  std::vector<Token> tokens_;
  TraceShape shape_;
  int positions_ = 0;  // P ≥ T the layout is sized for
  std::shared_ptr<TraceBuffer> weights_ = std::make_shared<TraceBuffer>();
  std::shared_ptr<TraceBuffer> qkv_;       // null: no Q/K/V
  std::shared_ptr<TraceBuffer> pre_rope_;  // null: no q/k before RoPE
  bool has_lse_ = false;
  std::vector<ScoreRule> rules_;  // (L)
  std::vector<int> rotary_dims_;  // (L)
};

// The what-ifs of a run in words, for every view and export (issue 11): "what-if: causal mask
// off, scores not divided by sqrt(d_k), temperature 2.00"; "" when the run reproduces the model.
std::string what_if_description(const RunOptions& options);
// Ablated heads in words, grouped by kind: "heads 1.0, 1.3 ablated (zero)"; "" for none.
std::string ablation_description(const std::vector<HeadAblation>& ablations);
// The attention's mask in words: "causal (decoder)" or "bidirectional (encoder)" for the model's
// own, "causal mask off (what-if)" / "causal mask on (what-if)" under a what-if (a decoder with
// its mask off is not an encoder).
std::string mask_description(const AttentionTrace& trace);

}  // namespace attnviz

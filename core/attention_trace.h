// AttentionTrace: everything one forward pass (or an imported attention file) says about
// attention, immutable once published and shared between the worker, the panels and exporters.
//
// Legend: L layers, H heads, T tokens, C width, D = C / H head width.
// Post-softmax weights are stored row by row, rows = queries. A causal trace stores only the
// keys a query can see (row q holds keys 0..q, the rest are exactly 0), which halves the memory
// of the largest buffer; row() and weight() hide the layout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/tokenizer.h"

namespace attnviz {

// What-ifs a person can switch on a run. Defaults reproduce the model exactly.
struct RunOptions {
  std::optional<bool> causal_mask;  // unset: the model's own (GPT-2 causal, BERT bidirectional)
  bool scale_by_sqrt_dk = true;     // divide q·k by sqrt(D)
  float temperature = 1.0f;         // divide scores by this before softmax (> 0)
  int top_predictions = 10;         // next-token predictions kept per position (LM models)
  bool keep_hidden_states = false;  // keep (L+1, T, C) residual stream (tests, analyses)
  bool keep_qkv = true;             // keep Q, K, V per layer for the inspector and the cache
  // Leave the predictions of the positions this run computes for Model::complete_predictions,
  // so the attention is ready without waiting for the LM head (the app shows it first).
  bool defer_predictions = false;

  bool reproduces_model() const { return !causal_mask && scale_by_sqrt_dk && temperature == 1.0f; }
  bool same_math(const RunOptions& o) const {
    return causal_mask == o.causal_mask && scale_by_sqrt_dk == o.scale_by_sqrt_dk &&
           temperature == o.temperature;
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
};

// The arithmetic of one head, for the inspector.
struct HeadDetail {
  int layer = 0, head = 0, tokens = 0, head_dim = 0;
  float score_scale = 1.0f;    // factor applied to q·k before softmax (1/sqrt(D), / temperature)
  std::vector<float> queries;  // (T, D)
  std::vector<float> keys;     // (T, D)
  std::vector<float> values;   // (T, D)
  std::vector<float> scores;   // (T, T) pre-softmax q·k * score_scale; masked = -infinity
};

// A vector allocator that leaves new floats unwritten: the forward pass writes every value of
// its traces, and zeroing 50 MB first costs more than a millisecond per run.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  template <class U>
  void construct(U* where) noexcept {
    ::new (static_cast<void*>(where)) U;
  }
  template <class U, class... Args>
  void construct(U* where, Args&&... args) {
    ::new (static_cast<void*>(where)) U(std::forward<Args>(args)...);
  }
};

using TraceFloats = std::vector<float, UninitializedAllocator<float>>;

// The attention and Q/K/V buffers of a model's earlier traces, for its next ones: once no trace
// uses a buffer any more, a new trace takes it instead of fresh memory, whose first touch costs a
// page fault per 4 KB (in the app, 20-40 ms of a 50 ms run of GPT-2 at T = 256). Buffers above
// kMaxBuffer are not kept (a request for one also lets every idle buffer go: memory peaks
// there), and neither are unused ones beyond kMaxIdle bytes in all. Used by one thread at a
// time (the model's); traces may be released on any thread.
class TraceStoragePool {
 public:
  static constexpr size_t kMaxBuffer = 96u << 20, kMaxIdle = 192u << 20;
  // A buffer of n floats, not written; one that no trace uses any more when there is one.
  std::shared_ptr<TraceFloats> take(size_t n);

 private:
  std::vector<std::shared_ptr<TraceFloats>> buffers_;  // in use by traces, or idle (only here)
};

// Copies of a trace share its attention and Q/K/V storage (it is never changed once the trace
// is published), so a trace can be completed with predictions without copying 50 MB.
class AttentionTrace {
 public:
  // kZeros: every weight starts at 0. kUnwritten: the caller writes every row (and every Q/K/V
  // row after set_qkv_shape) before anyone reads them.
  // A pool, with kUnwritten, supplies the storage.
  enum class Fill { kZeros, kUnwritten };
  AttentionTrace(std::vector<Token> tokens, int layers, int heads, bool causal,
                 Fill fill = Fill::kZeros, TraceStoragePool* pool = nullptr);

  int layers() const { return layers_; }
  int heads() const { return heads_; }
  int tokens_count() const { return static_cast<int>(tokens_.size()); }
  const std::vector<Token>& tokens() const { return tokens_; }
  bool causal() const { return causal_; }

  // Number of stored keys of a query row: causal rows see keys 0..query.
  int row_length(int query) const { return causal_ ? query + 1 : tokens_count(); }
  // Post-softmax weights of one query over keys 0..row_length(query)-1.
  std::span<const float> row(int layer, int head, int query) const;
  std::span<float> mutable_row(int layer, int head, int query);
  // Weight of key for query; exactly 0 where the mask hides the key.
  float weight(int layer, int head, int query, int key) const;
  // Dense (T, T) copy of one head into out (size T*T), zeros where masked.
  void copy_head(int layer, int head, std::span<float> out) const;
  // Dense (L, H, T, T) copy of everything (exporters of NPY/JSON).
  std::vector<float> dense() const;
  size_t weight_bytes() const { return weights_->size() * sizeof(float); }

  // Q, K, V of every layer, present for traces computed by attnviz (not for imported ones).
  bool has_qkv() const { return !qkv_->empty(); }
  int width() const { return width_; }
  int head_dim() const { return heads_ > 0 ? width_ / heads_ : 0; }
  // Allocates (L, T, 3C).
  void set_qkv_shape(int width, Fill fill = Fill::kZeros, TraceStoragePool* pool = nullptr);
  std::span<const float> qkv(int layer) const;  // (T, 3C): [Q | K | V], head h at columns h*D
  std::span<float> mutable_qkv(int layer);
  // Scale applied to q·k of a layer before softmax (includes temperature); set by the model.
  float score_scale(int layer) const { return score_scales_.empty() ? 1.0f : score_scales_[layer]; }
  void set_score_scales(std::vector<float> scales) { score_scales_ = std::move(scales); }
  // Copies the attention rows and Q/K/V rows of queries 0..queries-1 from a causal trace of the
  // same shape (a run that reuses that trace's prefix). One block per head, on every thread.
  void copy_prefix(const AttentionTrace& previous, int queries);
  // Recomputes scores of one head from the stored Q and K. Requires has_qkv().
  HeadDetail head_detail(int layer, int head) const;

  // Describes the run.
  std::string model_name;
  RunOptions options;
  RunTimings timings;
  // Top next-token predictions per position (empty for models without an LM head).
  std::vector<std::vector<Prediction>> predictions;  // (T, k)
  // Residual stream when RunOptions::keep_hidden_states: (L+1, T, C); last = final output
  // (after ln_f for GPT-2).
  std::vector<float> hidden_states;
  // A run with RunOptions::defer_predictions: positions pending_from..T-1 have no predictions
  // yet, and their final hidden states (after ln_f) wait here, (T - pending_from, C). -1: none.
  int pending_from = -1;
  std::vector<float> pending_hidden;
  bool predictions_pending() const { return pending_from >= 0; }

 private:
  size_t row_offset(int layer, int head, int query) const;
  static std::shared_ptr<TraceFloats> allocate(size_t n, Fill fill, TraceStoragePool* pool);

  std::vector<Token> tokens_;
  int layers_ = 0;
  int heads_ = 0;
  bool causal_ = false;
  size_t head_stride_ = 0;  // floats per head: T(T+1)/2 causal, T*T otherwise
  // (L, H, rows...) post-softmax, rows = queries; shared by copies of the trace.
  std::shared_ptr<TraceFloats> weights_ = std::make_shared<TraceFloats>();
  int width_ = 0;
  std::shared_ptr<TraceFloats> qkv_ = std::make_shared<TraceFloats>();  // (L, T, 3C)
  std::vector<float> score_scales_;                                     // (L)
};

}  // namespace attnviz

// AttentionTrace: everything one forward pass (or an imported attention file) says about
// attention, immutable once published and shared between the worker, the panels and exporters.
//
// Legend: L layers, H heads, T tokens, C width, D = C / H head width.
// Post-softmax weights are stored row by row, rows = queries. A causal trace stores only the
// keys a query can see (row q holds keys 0..q, the rest are exactly 0), which halves the memory
// of the largest buffer; row() and weight() hide the layout. A model's causal trace may be laid
// out for a few more positions P than it has (AttentionTrace::for_run), so that the traces of a
// text being typed can take over each other's rows.
#pragma once

#include <algorithm>
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
  int copied_positions = 0;     // of those, the rows copied (the rest were already in place)
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

// What the rows of a model's buffer hold, so that a later trace can keep them instead of copying
// them: which part of a trace (attention rows of every head, or Q/K/V rows of every layer), the
// positions its layout is sized for, and the math of the run (RunOptions::same_math).
struct RowsTag {
  enum class Part { kAttention, kQkv };
  Part part = Part::kAttention;
  int positions = 0;
  RunOptions math;
  bool matches(const RowsTag& o) const {
    return part == o.part && positions == o.positions && math.same_math(o.math);
  }
};

// Storage of one part of a trace. A causal run's buffer also records the token ids its leading
// rows are final for: causal rows of position q depend only on the ids 0..q.
struct TraceBuffer {
  TraceFloats floats;
  std::optional<RowsTag> tag;  // unset: nothing known about the content
  std::vector<int32_t> ids;    // rows 0..ids.size()-1 are final for these ids
};

// The attention and Q/K/V buffers of a model's earlier traces, for its next ones: once no trace
// uses a buffer any more, a new trace takes it instead of fresh memory, whose first touch costs a
// page fault per 4 KB (in the app, 20-40 ms of a 50 ms run of GPT-2 at T = 256). Buffers above
// kMaxBuffer are not kept (a request for one also lets every idle buffer go: memory peaks
// there), and neither are unused ones beyond kMaxIdle bytes in all. Used by one thread at a
// time (the model's); traces may be released on any thread.
//
// Typing makes this pay twice: the idle buffer is usually that of the trace before the last,
// whose rows up to the edit are already right for the new text, so a new trace keeps them and
// copies only the few rows between there and the reused prefix (take_rows).
class TraceStoragePool {
 public:
  static constexpr size_t kMaxBuffer = 96u << 20, kMaxIdle = 192u << 20;
  // A buffer of n floats, not written, with nothing known about its content; one that no trace
  // uses any more when there is one.
  std::shared_ptr<TraceBuffer> take(size_t n);
  // The same for a causal trace's part: among idle buffers tagged like `tag`, the one whose rows
  // are final for the longest prefix of ids, at most `limit` rows; *kept says how many. The
  // buffer is tagged `tag` and, until the run marks more, final for those kept ids only.
  std::shared_ptr<TraceBuffer> take_rows(size_t n, const RowsTag& tag,
                                         std::span<const Token> tokens, int limit, int* kept);

 private:
  std::vector<std::shared_ptr<TraceBuffer>> buffers_;  // in use by traces, or idle (only here)
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
  // A model's run: unwritten storage from the model's pool, with Q/K/V of `qkv_width` (0: none).
  // A causal trace's layout leaves room for a text up to 31 positions longer, and keeps the rows
  // its pooled buffers already hold for the same leading ids and math, at most `reuse_limit`
  // (kept_rows(); copy_prefix starts there).
  static std::shared_ptr<AttentionTrace> for_run(std::vector<Token> tokens, int layers, int heads,
                                                 bool causal, const RunOptions& options,
                                                 int qkv_width, int reuse_limit,
                                                 TraceStoragePool& pool);

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
  // Bytes of the stored weights of this text (the layout may have room for more positions).
  size_t weight_bytes() const;

  // Q, K, V of every layer, present for traces computed by attnviz (not for imported ones).
  bool has_qkv() const { return qkv_ && !qkv_->floats.empty(); }
  int width() const { return width_; }
  int head_dim() const { return heads_ > 0 ? width_ / heads_ : 0; }
  // Allocates (L, T, 3C).
  void set_qkv_shape(int width, Fill fill = Fill::kZeros, TraceStoragePool* pool = nullptr);
  std::span<const float> qkv(int layer) const;  // (T, 3C): [Q | K | V], head h at columns h*D
  std::span<float> mutable_qkv(int layer);
  // Scale applied to q·k of a layer before softmax (includes temperature); set by the model.
  float score_scale(int layer) const { return score_scales_.empty() ? 1.0f : score_scales_[layer]; }
  void set_score_scales(std::vector<float> scales) { score_scales_ = std::move(scales); }
  // Rows 0..kept_rows()-1 of attention and Q/K/V were final when the storage was taken.
  int kept_rows() const { return std::min(weights_kept_, qkv_ ? qkv_kept_ : weights_kept_); }
  // Copies the attention rows and Q/K/V rows of queries kept_rows()..queries-1 from a causal
  // trace of the same shape (a run that reuses that trace's prefix): one block per head.
  void copy_prefix(const AttentionTrace& previous, int queries);
  // After a complete run: the storage's rows are final for all of this trace's ids (a later
  // trace of the same model may keep them). Only causal traces from for_run are marked.
  void mark_rows_final();
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
  struct NoStorage {};
  AttentionTrace(NoStorage, std::vector<Token> tokens, int layers, int heads, bool causal);
  size_t row_offset(int layer, int head, int query) const;
  static std::shared_ptr<TraceBuffer> allocate(size_t n, Fill fill, TraceStoragePool* pool);
  size_t head_floats(int positions) const;  // one head's rows laid out for `positions`
  size_t weight_floats(int positions) const;
  size_t qkv_floats(int positions, int width) const;

  std::vector<Token> tokens_;
  int layers_ = 0;
  int heads_ = 0;
  bool causal_ = false;
  int positions_ = 0;       // positions the layout is sized for: P >= T
  size_t head_stride_ = 0;  // floats per head: P(P+1)/2 causal, T*T otherwise
  // (L, H, rows...) post-softmax, rows = queries; shared by copies of the trace.
  std::shared_ptr<TraceBuffer> weights_ = std::make_shared<TraceBuffer>();
  int width_ = 0;
  std::shared_ptr<TraceBuffer> qkv_;     // (L, P, 3C); null: no Q/K/V
  int weights_kept_ = 0, qkv_kept_ = 0;  // rows already final when taken from the pool
  std::vector<float> score_scales_;      // (L)
};

}  // namespace attnviz

// The row cache beside a model: the storage pool its traces are laid out in, and the rules for
// taking over rows of earlier traces. Traces are data (core/attention_trace.h); this is how a
// model makes them cheaply while a text is being typed.
//
// Legend: L layers, H query heads, T tokens, P ≥ T positions a layout is sized for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/attention_trace.h"

namespace attnviz {

// What the rows of a pooled buffer hold, so that a later trace can keep them instead of copying
// them: which part of a trace, the positions its layout is sized for, the math of the run
// (RunOptions::same_math) and the RoPE variant (longrope switches tables with the length).
struct RowsTag {
  enum class Part { kAttention, kQkv, kPreRope };
  Part part = Part::kAttention;
  int positions = 0;
  RunOptions math;
  int rope_variant = 0;
  bool matches(const RowsTag& o) const {
    return part == o.part && positions == o.positions && math.same_math(o.math) &&
           rope_variant == o.rope_variant;
  }
};

// The buffers of a model's earlier traces, for its next ones: once no trace uses a buffer any
// more, a new trace takes it instead of fresh memory, whose first touch costs a page fault per
// 4 KB (in the app, 20-40 ms of a 50 ms run of GPT-2 at T = 256). Buffers above kMaxBuffer are
// not kept (a request for one also lets every idle buffer go: memory peaks there), and neither
// are unused ones beyond kMaxIdle bytes in all. Used by one thread at a time (the model's);
// traces may be released on any thread.
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
  // are final for the longest prefix of ids, at most `limit` rows; *kept says how many.
  std::shared_ptr<TraceBuffer> take_rows(size_t n, const RowsTag& tag,
                                         std::span<const Token> tokens, int limit, int* kept);
  // After a complete run: `buffer`'s rows are final for these ids (a later trace may keep them).
  void mark_final(const TraceBuffer* buffer, std::span<const Token> tokens);
  // The ids a pooled buffer's rows are final for (tests).
  const std::vector<int32_t>* final_ids(const TraceBuffer* buffer) const;

 private:
  struct Entry {
    std::shared_ptr<TraceBuffer> buffer;
    std::optional<RowsTag> tag;  // unset: nothing known about the content
    std::vector<int32_t> ids;    // rows 0..ids.size()-1 are final for these ids
  };
  Entry* find(const TraceBuffer* buffer);
  std::vector<Entry> entries_;  // in use by traces, or idle (only here)
};

// A model run's storage and how many leading rows of every part are already final.
struct RunStorage {
  TraceStorage storage;
  int kept_rows = 0;
};

// Storage for a run's trace: a causal trace's layout leaves room for a text up to 31 positions
// longer (unless too big for the pool to keep anyway) and keeps the rows its pooled buffers
// already hold for the same leading ids, math and RoPE variant, at most `reuse_limit`.
RunStorage take_run_storage(TraceStoragePool& pool, std::span<const Token> tokens,
                            const TraceShape& shape, const RunOptions& options, bool keep_qkv,
                            bool keep_pre_rope, int rope_variant, int reuse_limit);

// Copies rows [from_row, rows) of attention, lse, Q/K/V and pre-RoPE q/k from a causal trace of
// the same shape (a run that reuses that trace's prefix).
void copy_prefix(AttentionTrace& to, const AttentionTrace& from, int from_row, int rows);

// After a complete causal run: its buffers' rows are final for all of the trace's ids.
void mark_rows_final(TraceStoragePool& pool, const AttentionTrace& trace,
                     const TraceStorage& storage);

}  // namespace attnviz

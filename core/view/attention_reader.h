// AttentionReader: the one door through which views, exporters and the view analyses read
// attention weights. It reads the rows an AttentionTrace stores, or, when the trace keeps no
// T² weights (long texts), recomputes them from q, k and each row's log-sum-exp
// (AttentionTrace::recompute_row): the same bits either way. Panels and exporters never index
// trace storage themselves.
//
// Legend: L layers, H heads, T tokens. Rows are queries; a causal row sees keys 0..query.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/head_rows.h"

namespace attnviz {

class AttentionReader {
 public:
  // Implicit on purpose: analyses take a reader and are called with a trace.
  AttentionReader(const AttentionTrace& trace) : trace_(&trace) {}  // NOLINT

  int layers() const { return trace_->layers(); }
  int heads() const { return trace_->heads(); }
  int tokens_count() const { return trace_->tokens_count(); }
  const std::vector<Token>& tokens() const { return trace_->tokens(); }
  bool causal() const { return trace_->causal(); }
  int kv_heads() const { return trace_->kv_heads(); }        // G ≤ H (grouped-query attention)
  int window(int layer) const { return trace_->window(layer); }  // 0: a global layer
  // (L) the window of every layer, 0 for global layers.
  std::vector<int> windows() const {
    std::vector<int> out(static_cast<size_t>(layers()));
    for (int l = 0; l < layers(); ++l) out[l] = window(l);
    return out;
  }
  const std::string& model_name() const { return trace_->model_name; }
  const RunOptions& options() const { return trace_->options; }  // the run's what-ifs
  std::string mask_description() const { return attnviz::mask_description(*trace_); }

  // Keys 0..visible_keys(query)-1 are visible to the query; the rest are masked (weight 0).
  int visible_keys(int query) const { return trace_->row_length(query); }

  // Calls visit(weights) with the visible keys' weights of one query row (a span valid during
  // the call only): the fast path for loops over rows.
  template <class Visit>
  void visit_row(int layer, int head, int query, Visit&& visit) const {
    if (trace_->stores_weights()) {
      visit(trace_->row(layer, head, query));
      return;
    }
    std::vector<float> recomputed(static_cast<size_t>(trace_->row_length(query)));
    trace_->recompute_row(layer, head, query, recomputed);
    visit(std::span<const float>(recomputed));
  }
  // Many rows of one head: stored rows, or rows recomputed from the head's keys prepared once
  // (HeadRows). visit_row may be called from several threads at once, each with its own buffer.
  class HeadReader {
   public:
    HeadReader(const AttentionTrace& trace, int layer, int head)
        : trace_(&trace), layer_(layer), head_(head) {
      if (!trace.stores_weights()) rows_.emplace(trace, layer, head);
    }
    template <class Visit>
    void visit_row(int query, std::vector<float>& buffer, Visit&& visit) const {
      if (!rows_) {
        visit(trace_->row(layer_, head_, query));
        return;
      }
      buffer.resize(static_cast<size_t>(trace_->row_length(query)));
      rows_->row(query, buffer);
      visit(std::span<const float>(buffer));
    }

    // visit(query, weights) for the queries [begin, end) in order; recomputed rows are scored
    // together (HeadRows::rows), the same bits as visit_row.
    template <class Visit>
    void visit_rows(int begin, int end, std::vector<float>& buffer, Visit&& visit) const {
      if (begin >= end) return;
      if (!rows_) {
        for (int q = begin; q < end; ++q) visit(q, trace_->row(layer_, head_, q));
        return;
      }
      const size_t pitch = rows_->rows(begin, end, buffer);
      for (int q = begin; q < end; ++q)
        visit(q, std::span<const float>(buffer.data() + (q - begin) * pitch,
                                        static_cast<size_t>(trace_->row_length(q))));
    }

   private:
    const AttentionTrace* trace_;
    int layer_, head_;
    std::optional<HeadRows> rows_;
  };
  HeadReader head_reader(int layer, int head) const { return HeadReader(*trace_, layer, head); }

  // (T) weights of one query over every key, zeros where masked.
  void row(int layer, int head, int query, std::span<float> out) const;
  float weight(int layer, int head, int query, int key) const {
    return trace_->weight(layer, head, query, key);
  }
  // (T, T) one head, zeros where masked.
  void head_map(int layer, int head, std::span<float> out) const;
  std::vector<float> head_map(int layer, int head) const;
  // Largest weight of one head.
  float head_max(int layer, int head) const;
  // (L, H, T, T) everything, for the data exporters (NPY, JSON).
  std::vector<float> dense() const;

 private:
  const AttentionTrace* trace_;
};

}  // namespace attnviz

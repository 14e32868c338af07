// HeadRows: many rows of one head of a trace recomputed from its keys prepared once.
//
// Legend: T tokens, D head width, S = T padded to the SIMD width.
#pragma once

#include <span>
#include <vector>

#include "core/attention_trace.h"

namespace attnviz {

// Many rows of one head of a trace without stored weights, recomputed from its keys transposed
// once (D, S) instead of once a row: the heatmap overview and copy_head read a whole head this
// way. Equal to recompute_row bit for bit (each score is its own chain over D). row() is const
// and may be called from several threads at once. Requires has_qkv() and has_lse().
class HeadRows {
 public:
  HeadRows(const AttentionTrace& trace, int layer, int head);
  // out: row_length(query) floats, exact zeros outside the row's window.
  void row(int query, std::span<float> out) const;
  // Rows [begin, end) at once (score_block: the keys read once per tile of rows), the same bits
  // as row(): row q at out + (q − begin) · pitch, keys 0..row_length(q)−1, zeros outside its
  // window. Returns the pitch; out is resized as needed.
  size_t rows(int begin, int end, std::vector<float>& out) const;

 private:
  const AttentionTrace* trace_;
  int layer_ = 0, head_ = 0;
  size_t keys_stride_ = 0;
  std::vector<float> keys_t_;  // (D, S) the head's kv head's keys, S = T padded
};

}  // namespace attnviz

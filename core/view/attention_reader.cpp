#include "core/view/attention_reader.h"

#include <algorithm>
#include <cassert>

namespace attnviz {

void AttentionReader::row(int layer, int head, int query, std::span<float> out) const {
  const int t = tokens_count();
  assert(static_cast<int>(out.size()) >= t && "AttentionReader::row: output too small");
  const int n = trace_->row_length(query);
  if (trace_->stores_weights()) {
    const std::span<const float> stored = trace_->row(layer, head, query);
    std::copy(stored.begin(), stored.end(), out.begin());
  } else {
    trace_->recompute_row(layer, head, query, out.first(static_cast<size_t>(n)));
  }
  std::fill(out.begin() + n, out.begin() + t, 0.0f);
}

void AttentionReader::head_map(int layer, int head, std::span<float> out) const {
  trace_->copy_head(layer, head, out);
}

std::vector<float> AttentionReader::head_map(int layer, int head) const {
  const size_t t = static_cast<size_t>(tokens_count());
  std::vector<float> out(t * t);  // (T, T)
  head_map(layer, head, out);
  return out;
}

float AttentionReader::head_max(int layer, int head) const {
  float best = 0.0f;
  const HeadReader rows = head_reader(layer, head);
  std::vector<float> buffer;
  for (int q = 0; q < tokens_count(); ++q)
    rows.visit_row(q, buffer, [&best](std::span<const float> weights) {
      for (float w : weights) best = std::max(best, w);
    });
  return best;
}

std::vector<float> AttentionReader::dense() const {
  return trace_->dense();
}

}  // namespace attnviz

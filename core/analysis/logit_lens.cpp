#include "core/analysis/logit_lens.h"

#include <algorithm>
#include <string>

#include "core/atomic_file.h"

namespace attnviz {

Result<LogitLens> logit_lens(const Model& model, const AttentionTrace& trace, int first, int last,
                             int top_k) {
  const int t = trace.tokens_count();
  if (first < 0 || last < first || last >= t)
    return make_error("positions " + std::to_string(first) + ".." + std::to_string(last) +
                      " are outside the text of " + std::to_string(t) + " tokens");
  if (last - first + 1 > kLensMaxPositions)
    return make_error("the lens reads at most " + std::to_string(kLensMaxPositions) +
                      " positions at once, not " + std::to_string(last - first + 1));
  if (top_k < 1 || top_k > kLensMaxTopK)
    return make_error("the lens keeps 1 to " + std::to_string(kLensMaxTopK) +
                      " top tokens, not " + std::to_string(top_k));
  const size_t c = static_cast<size_t>(model.config().width);
  const int rows = trace.layers() + 1;
  const size_t layer_floats = static_cast<size_t>(t) * c;
  if (trace.hidden_states.empty() || trace.hidden_states.size() != rows * layer_floats)
    return make_error("this run did not keep its residual stream, which the lens reads: (" +
                      std::to_string(rows) + ", " + std::to_string(t) + ", " + std::to_string(c) +
                      ") floats, " + byte_size_text(rows * layer_floats * sizeof(float)) +
                      " (the app keeps it up to " + byte_size_text(kLensHiddenBudget) + ")");

  LogitLens lens;
  lens.first = first;
  lens.last = last;
  lens.rows = rows;
  lens.top_k = top_k;
  const int n = last - first + 1;
  // The token that follows each position; the text's last position has none (read id 0, dropped).
  std::vector<int32_t> targets;
  for (int q = first; q <= last; ++q) targets.push_back(q + 1 < t ? trace.tokens()[q + 1].id : 0);
  lens.cells.reserve(static_cast<size_t>(rows) * n);
  for (int row = 0; row < rows; ++row) {
    const std::span<const float> stream = std::span<const float>(trace.hidden_states)
                                              .subspan(row * layer_floats + first * c, n * c);
    // hidden_states[L] is already the final hidden state (after the final norm); the earlier
    // rows go through the final norm, as the lens reads them.
    auto read = model.read_out(stream, /*normed=*/row == rows - 1, top_k, targets);
    if (!read) return read.error();
    for (int i = 0; i < n; ++i) {
      LensCell cell;
      cell.top = std::move((*read)[i].top);
      if (first + i + 1 < t) cell.next = (*read)[i].target_probabilities.at(0);
      lens.cells.push_back(std::move(cell));
    }
  }
  return lens;
}

std::pair<int, int> lens_window(int tokens, int position, int width) {
  if (tokens <= 0 || width <= 0) return {0, -1};
  width = std::min(width, tokens);
  position = std::clamp(position, 0, tokens - 1);
  const int first = std::clamp(position - (width - 1) / 2, 0, tokens - width);
  return {first, first + width - 1};
}

size_t hidden_states_bytes(const ModelConfig& config, int tokens) {
  return (static_cast<size_t>(config.layers) + 1) * static_cast<size_t>(std::max(tokens, 0)) *
         static_cast<size_t>(config.width) * sizeof(float);
}

}  // namespace attnviz

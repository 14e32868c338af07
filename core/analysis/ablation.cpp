#include "core/analysis/ablation.h"

#include <algorithm>
#include <charconv>

namespace attnviz {

std::optional<HeadAblation::Kind> ablation_kind_from_key(std::string_view key) {
  if (key == "zero") return HeadAblation::Kind::kZero;
  if (key == "mean") return HeadAblation::Kind::kMean;
  return std::nullopt;
}

const char* ablation_kind_key(HeadAblation::Kind kind) {
  return kind == HeadAblation::Kind::kZero ? "zero" : "mean";
}

Result<std::vector<HeadAblation>> parse_ablation_list(std::string_view text,
                                                      HeadAblation::Kind kind) {
  std::vector<HeadAblation> ablations;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    const size_t dot = item.find('.');
    int layer = -1, head = -1;
    bool ok = dot != std::string_view::npos && dot > 0 && dot + 1 < item.size();
    if (ok) {
      const char* begin = item.data();
      auto [layer_end, layer_error] = std::from_chars(begin, begin + dot, layer);
      auto [head_end, head_error] = std::from_chars(begin + dot + 1, begin + item.size(), head);
      ok = layer_error == std::errc() && head_error == std::errc() && layer_end == begin + dot &&
           head_end == begin + item.size() && layer >= 0 && head >= 0;
    }
    if (!ok)
      return make_error("expected heads as LAYER.HEAD separated by commas (\"1.0,1.3\"), got '" +
                        std::string(item) + "' in '" + std::string(text) + "'");
    for (const HeadAblation& earlier : ablations)
      if (earlier.layer == layer && earlier.head == head)
        return make_error("head " + std::string(item) + " is named twice in '" +
                          std::string(text) + "'");
    ablations.push_back({layer, head, kind});
    start = comma + 1;
  }
  return ablations;
}

void toggle_ablation(std::vector<HeadAblation>& ablations, int layer, int head,
                     HeadAblation::Kind kind) {
  auto same = [&](const HeadAblation& a) { return a.layer == layer && a.head == head; };
  if (std::erase_if(ablations, same) == 0) ablations.push_back({layer, head, kind});
}

bool is_ablated(std::span<const HeadAblation> ablations, int layer, int head) {
  return std::any_of(ablations.begin(), ablations.end(), [&](const HeadAblation& a) {
    return a.layer == layer && a.head == head;
  });
}

namespace {

// The final hidden states (C each) of positions [first, last] of a trace that kept its hidden
// states (hidden_states[L]: after the final norm, or the last layer's output without one), or
// empty.
std::span<const float> final_rows(const AttentionTrace& trace, int first, int last, int width) {
  const size_t layer_floats = static_cast<size_t>(trace.tokens_count()) * width;
  if (trace.hidden_states.size() != (static_cast<size_t>(trace.layers()) + 1) * layer_floats)
    return {};
  return std::span<const float>(trace.hidden_states)
      .subspan(static_cast<size_t>(trace.layers()) * layer_floats +
                   static_cast<size_t>(first) * width,
               static_cast<size_t>(last - first + 1) * width);
}

const char* kNoHiddenStates = "the run did not keep its hidden states (RunOptions::keep_hidden_states)";

}  // namespace

Result<std::vector<float>> next_token_probabilities(const Model& model, const AttentionTrace& trace,
                                                    int first, int last) {
  const int t = trace.tokens_count();
  if (first < 0 || last < first || last + 1 >= t)
    return make_error("positions " + std::to_string(first) + ".." + std::to_string(last) +
                      " have no next token in a text of " + std::to_string(t) + " tokens");
  const std::span<const float> rows = final_rows(trace, first, last, model.config().width);
  if (rows.empty()) return make_error(kNoHiddenStates);
  std::vector<int32_t> targets;
  for (int q = first; q <= last; ++q) targets.push_back(trace.tokens()[q + 1].id);
  auto read = model.read_out(rows, /*normed=*/true, /*top_k=*/0, targets);
  if (!read) return read.error();
  std::vector<float> probabilities;
  for (const ReadOut& row : *read) probabilities.push_back(row.target_probabilities.at(0));
  return probabilities;
}

Result<std::vector<std::vector<PredictionChange>>> prediction_changes(
    const Model& model, const AttentionTrace& before, const AttentionTrace& after, int first,
    int last, int top_k) {
  const int t = std::min(before.tokens_count(), after.tokens_count());
  if (first < 0 || last < first || last >= t)
    return make_error("positions " + std::to_string(first) + ".." + std::to_string(last) +
                      " are outside the text");
  const int c = model.config().width, n = last - first + 1;
  const std::span<const float> rows[2] = {final_rows(before, first, last, c),
                                          final_rows(after, first, last, c)};
  if (rows[0].empty() || rows[1].empty()) return make_error(kNoHiddenStates);
  // Each run's top-k, then the union (M ids per row, padded with the row's first id) read in both.
  std::vector<std::vector<int32_t>> ids(n);
  for (const auto& run : rows) {
    auto top = model.read_out(run, /*normed=*/true, top_k);
    if (!top) return top.error();
    for (int r = 0; r < n; ++r)
      for (const Prediction& p : (*top)[r].top)
        if (std::find(ids[r].begin(), ids[r].end(), p.id) == ids[r].end()) ids[r].push_back(p.id);
  }
  size_t per_row = 1;
  for (const auto& row : ids) per_row = std::max(per_row, row.size());
  std::vector<int32_t> targets;
  for (auto& row : ids) {
    if (row.empty()) row.push_back(0);
    for (size_t i = 0; i < per_row; ++i) targets.push_back(i < row.size() ? row[i] : row[0]);
  }
  std::vector<std::vector<PredictionChange>> changes(n);
  for (int run = 0; run < 2; ++run) {
    auto read = model.read_out(rows[run], /*normed=*/true, 0, targets);
    if (!read) return read.error();
    for (int r = 0; r < n; ++r) {
      changes[r].resize(ids[r].size());
      for (size_t i = 0; i < ids[r].size(); ++i) {
        PredictionChange& change = changes[r][i];
        change.id = ids[r][i];
        (run == 0 ? change.before : change.after) = (*read)[r].target_probabilities[i];
      }
    }
  }
  for (auto& row : changes) {
    for (PredictionChange& change : row) change.text = model.tokenizer().token_text(change.id);
    std::stable_sort(row.begin(), row.end(), [](const PredictionChange& a, const PredictionChange& b) {
      return a.after > b.after;
    });
  }
  return changes;
}

}  // namespace attnviz

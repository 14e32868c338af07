#include "core/analysis/ablation.h"

#include <algorithm>
#include <charconv>
#include <cmath>

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

double HeadImportance::delta_log_p() const {
  return std::log(static_cast<double>(std::max(after, 1e-30f))) -
         std::log(static_cast<double>(std::max(before, 1e-30f)));
}

Result<std::vector<HeadImportance>> head_importance(Model& model, std::span<const Token> tokens,
                                                    int position, int32_t target,
                                                    HeadAblation::Kind kind,
                                                    const ImportanceProgress& progress) {
  const ModelConfig& config = model.config();
  const int t = static_cast<int>(tokens.size());
  if (!model.has_lm_head())
    return make_error("the model " + config.name + " has no LM head: no probability to change");
  if (position < 0 || position >= t)
    return make_error("position " + std::to_string(position) + " is outside the text of " +
                      std::to_string(t) + " tokens");
  if (target < 0 || target >= config.vocab_size)
    return make_error("target id " + std::to_string(target) + " is outside the vocabulary");
  RunOptions options;
  options.keep_hidden_states = true;
  options.keep_qkv = false;
  options.top_predictions = 0;
  options.weights = RunOptions::Weights::kOnDemand;  // no (L, H, T, T) store per run
  // p(target) at `position` of one run (the final hidden state read through the LM head).
  const auto probability = [&](std::span<const Token> input,
                               const RunOptions& run_options) -> Result<float> {
    auto trace = model.run(input, run_options);
    if (!trace) return trace.error();
    const std::span<const float> row = final_rows(**trace, position, position, config.width);
    if (row.empty()) return make_error(kNoHiddenStates);
    const int32_t targets[1] = {target};
    auto read = model.read_out(row, /*normed=*/true, 0, targets);
    if (!read) return read.error();
    return read->front().target_probabilities.at(0);
  };
  const bool prefix = config.causal() && kind == HeadAblation::Kind::kZero;
  const std::span<const Token> input = prefix ? tokens.first(position + 1) : tokens;
  auto before = probability(input, options);
  if (!before) return before.error();
  const int total = config.layers * config.heads;
  std::vector<HeadImportance> heads;
  heads.reserve(total);
  for (int layer = 0; layer < config.layers; ++layer) {
    for (int head = 0; head < config.heads; ++head) {
      if (progress && !progress(layer * config.heads + head, total)) return make_error("cancelled");
      RunOptions ablated = options;
      ablated.ablations = {{layer, head, kind}};
      auto after = probability(input, ablated);
      if (!after) return after.error();
      heads.push_back({layer, head, *before, *after});
    }
  }
  if (progress) progress(total, total);
  return heads;
}

}  // namespace attnviz

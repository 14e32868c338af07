#include "core/view_trace.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <numeric>
#include <span>

#include "core/analysis/token_views.h"

namespace attnviz {
namespace {

std::vector<bool> hidden_mask(const AttentionTrace& trace, const TraceViewOptions& options) {
  const int t = trace.tokens_count();
  std::vector<bool> hidden(t, false);
  if (options.hide_special) hidden = special_token_mask(trace.tokens());
  if (options.hide_first && t > 0) hidden[0] = true;
  return hidden;
}

// Words of the kept tokens, grouped run by run so that no word spans a hidden token. `kept`
// holds the raw index of each token of `trace`.
std::vector<WordGroup> words_of_kept(const AttentionTrace& trace, std::span<const int> kept,
                                     WordRule rule) {
  std::vector<WordGroup> words;
  const auto& tokens = trace.tokens();
  const int k = static_cast<int>(kept.size());
  for (int run_start = 0; run_start < k;) {
    int run_end = run_start + 1;
    while (run_end < k && kept[run_end] == kept[run_end - 1] + 1) ++run_end;
    std::span<const Token> run(tokens.data() + run_start, run_end - run_start);
    for (WordGroup word : group_words(run, rule)) {
      word.first += run_start;
      word.end += run_start;
      words.push_back(std::move(word));
    }
    run_start = run_end;
  }
  return words;
}

// Mean of the per-token absorbed shares over each word: (L, H, K) -> (L, H, W).
std::vector<float> merge_absorbed(std::span<const float> absorbed, int layers, int heads, int kept,
                                  std::span<const WordGroup> words) {
  const size_t w = words.size();
  std::vector<float> merged(static_cast<size_t>(layers) * heads * w);
  for (int lh = 0; lh < layers * heads; ++lh) {
    const float* src = absorbed.data() + static_cast<size_t>(lh) * kept;
    for (size_t a = 0; a < w; ++a) {
      double sum = 0.0;
      for (int i = words[a].first; i < words[a].end; ++i) sum += src[i];
      merged[lh * w + a] = static_cast<float>(sum / (words[a].end - words[a].first));
    }
  }
  return merged;
}

// The absorbed share of the pseudo-head: the mean over the heads the aggregate draws on.
std::vector<float> aggregate_absorbed(std::span<const float> absorbed, int layers, int heads,
                                      int tokens, const AggregateChoice& choice) {
  std::vector<std::pair<int, int>> sources;  // (layer, head)
  switch (choice.mode) {
    case AggregateMode::kHead:
      sources.emplace_back(choice.layer, choice.head);
      break;
    case AggregateMode::kLayerMean:
    case AggregateMode::kLayerMax:
      for (int h : choice.heads) sources.emplace_back(choice.layer, h);
      break;
    case AggregateMode::kAllMean:
    case AggregateMode::kRollout:
      for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) sources.emplace_back(l, h);
      break;
  }
  std::vector<float> result(tokens, 0.0f);
  if (sources.empty()) return result;
  for (auto [l, h] : sources) {
    const float* src = absorbed.data() + (static_cast<size_t>(l) * heads + h) * tokens;
    for (int q = 0; q < tokens; ++q) result[q] += src[q];
  }
  for (float& share : result) share /= static_cast<float>(sources.size());
  return result;
}

void append_description(std::string& description, const std::string& part) {
  if (!description.empty()) description += ", ";
  description += part;
}

}  // namespace

const char* const kValueWeightedLegend = "value-weighted \u2016\u03B1\u00B7vW_O\u2016, normalized per row";

std::shared_ptr<AttentionTrace> value_weighted_trace(const AttentionTrace& source,
                                                     std::string* why) {
  if (!source.has_value_norms()) {
    if (why) *why = "no value weights (the trace has no values: imported attention)";
    return nullptr;
  }
  if (!source.stores_weights()) {
    if (why) *why = "no value weights (the text is too long to keep a weighted copy)";
    return nullptr;
  }
  const int layers = source.layers(), heads = source.heads(), t = source.tokens_count();
  auto result = std::make_shared<AttentionTrace>(source.tokens(), layers, heads, source.causal(),
                                                 AttentionTrace::Fill::kUnwritten);
  result->model_name = source.model_name;
  result->options = source.options;
  result->timings = source.timings;
  result->predictions = source.predictions;
  result->value_norms = source.value_norms;
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      const float* norms = source.value_norms.data() + (static_cast<size_t>(l) * heads + h) * t;
      for (int q = 0; q < t; ++q) {
        const std::span<const float> alpha = source.row(l, h, q);
        const std::span<float> out = result->mutable_row(l, h, q);
        double sum = 0.0;
        for (size_t k = 0; k < alpha.size(); ++k) sum += static_cast<double>(alpha[k]) * norms[k];
        const double inverse = sum > 0.0 ? 1.0 / sum : 0.0;
        for (size_t k = 0; k < alpha.size(); ++k)
          out[k] = static_cast<float>(static_cast<double>(alpha[k]) * norms[k] * inverse);
      }
    }
  return result;
}

bool TraceViewOptions::operator==(const TraceViewOptions& other) const {
  if (value_weighted != other.value_weighted || merge_words != other.merge_words || hide_first != other.hide_first ||
      hide_special != other.hide_special || aggregate.has_value() != other.aggregate.has_value())
    return false;
  if (!aggregate) return true;
  const AggregateChoice& a = *aggregate;
  const AggregateChoice& b = *other.aggregate;
  return a.mode == b.mode && a.layer == b.layer && a.head == b.head && a.heads == b.heads;
}

int DerivedTrace::derived_index(int raw) const {
  // source_first is increasing, so the candidate is the last word starting at or before raw.
  auto it = std::upper_bound(source_first.begin(), source_first.end(), raw);
  if (it == source_first.begin()) return -1;
  const int index = static_cast<int>(it - source_first.begin()) - 1;
  return raw < source_end[index] ? index : -1;
}

float DerivedTrace::absorbed_share(int layer, int head, int query) const {
  if (absorbed.empty() || !trace) return 0.0f;
  const int t = trace->tokens_count();
  assert(layer >= 0 && layer < trace->layers() && head >= 0 && head < trace->heads() &&
         query >= 0 && query < t && "absorbed_share: index out of range");
  return absorbed[(static_cast<size_t>(layer) * trace->heads() + head) * t + query];
}

float DerivedTrace::mean_absorbed(int layer, int head) const {
  if (absorbed.empty() || !trace || trace->tokens_count() == 0) return 0.0f;
  const int first_head = head < 0 ? 0 : head;
  const int end_head = head < 0 ? trace->heads() : head + 1;
  double sum = 0.0;
  int count = 0;
  for (int h = first_head; h < end_head; ++h)
    for (int q = 0; q < trace->tokens_count(); ++q, ++count) sum += absorbed_share(layer, h, q);
  return count > 0 ? static_cast<float>(sum / count) : 0.0f;
}

std::shared_ptr<AttentionTrace> aggregate_trace(const AttentionTrace& source,
                                                const AggregateChoice& choice) {
  auto result = std::make_shared<AttentionTrace>(source.tokens(), 1, 1, source.causal());
  result->model_name = source.model_name;
  result->options = source.options;
  result->timings = source.timings;
  result->predictions = source.predictions;
  const int t = source.tokens_count();
  const std::vector<float> map = aggregate(source, choice);  // (T, T)
  for (int q = 0; q < t; ++q) {
    std::span<float> row = result->mutable_row(0, 0, q);
    const float* src = map.data() + static_cast<size_t>(q) * t;
    std::copy(src, src + row.size(), row.begin());
  }
  return result;
}

std::vector<float> whole_model_map(std::shared_ptr<const AttentionTrace> raw,
                                   TraceViewOptions options, AggregateMode mode) {
  if (!raw || raw->tokens_count() == 0 || raw->layers() == 0 || raw->heads() == 0) return {};
  assert(whole_model_refusal(mode, raw->tokens_count(), raw->layers()).empty() &&
         "whole_model_map: refused size; check whole_model_refusal first");
  AggregateChoice choice;
  choice.mode = mode;
  options.aggregate = choice;
  const DerivedTrace view = derive_trace(std::move(raw), options);
  return AttentionReader(*view.trace).head_map(0, 0);  // (T', T')
}

std::string whole_model_refusal(AggregateMode mode, int tokens, int layers) {
  if (tokens <= kWholeModelMaxTokens) return "";
  const bool rollout = mode == AggregateMode::kRollout;
  const double t = tokens;
  char cost[160];
  std::snprintf(cost, sizeof cost, "a dense %d \u00D7 %d map (%.0f MB)%s", tokens, tokens,
                t * t * sizeof(float) / 1e6, rollout ? " per layer" : "");
  std::string why = std::string(rollout ? "Attention rollout" : "The mean of all layers") +
                    " over " + std::to_string(tokens) + " tokens needs " + cost;
  if (rollout) {
    char products[64];
    std::snprintf(products, sizeof products, " and L\u00B7T\u00B3 = %.1e multiply-adds",
                  static_cast<double>(layers) * t * t * t);
    why += products;
  }
  return why + "; attnviz computes whole-model maps up to " +
         std::to_string(kWholeModelMaxTokens) +
         " tokens. Pick a one-layer mode (Single, Multi, Mean or Max) or shorten the text.";
}

std::string describe_aggregate(const AggregateChoice& choice) {
  auto head_list = [&choice]() {
    std::string list;
    for (int h : choice.heads) {
      if (!list.empty()) list += ',';
      list += std::to_string(h);
    }
    return list;
  };
  const std::string layer = "layer " + std::to_string(choice.layer);
  switch (choice.mode) {
    case AggregateMode::kHead:
      return "layer " + std::to_string(choice.layer) + " head " + std::to_string(choice.head);
    case AggregateMode::kLayerMean:
      return "mean of " + layer + " heads " + head_list();
    case AggregateMode::kLayerMax:
      return "max of " + layer + " heads " + head_list();
    case AggregateMode::kAllMean:
      return "mean of all heads";
    case AggregateMode::kRollout:
      return "attention rollout";
  }
  return "";
}

DerivedTrace derive_trace(std::shared_ptr<const AttentionTrace> source,
                          const TraceViewOptions& options) {
  assert(source && "derive_trace: no trace");
  DerivedTrace result;
  result.source = source;
  const int t = source->tokens_count();
  result.source_first.resize(t);
  std::iota(result.source_first.begin(), result.source_first.end(), 0);
  result.source_end.resize(t);
  std::iota(result.source_end.begin(), result.source_end.end(), 1);
  if (!options.any()) {
    result.trace = source;
    return result;
  }
  if (options.aggregate) {
    [[maybe_unused]] const AggregateChoice& choice = *options.aggregate;
    assert(choice.layer >= 0 && choice.layer < source->layers() && "aggregate: bad layer");
    assert((choice.mode != AggregateMode::kHead ||
            (choice.head >= 0 && choice.head < source->heads())) &&
           "aggregate: bad head");
  }

  std::shared_ptr<const AttentionTrace> current = source;
  std::shared_ptr<AttentionTrace> made;  // the newest trace made here (current, once set)
  auto take = [&current, &made](std::shared_ptr<AttentionTrace> next) {
    made = std::move(next);
    current = made;
  };
  // 0. Value weights, on the raw tokens (each key's value vector is a raw token's).
  if (options.value_weighted) {
    std::string why;
    if (auto weighted = value_weighted_trace(*source, &why)) {
      take(std::move(weighted));
      append_description(result.description, kValueWeightedLegend);
    } else {
      append_description(result.description, why);
    }
  }
  const bool rollout_first =
      options.aggregate && options.aggregate->mode == AggregateMode::kRollout;
  if (rollout_first) take(aggregate_trace(*current, *options.aggregate));

  // 1. Hide, unless that would leave nothing to draw.
  std::vector<int> kept(result.source_first);  // (K) raw index of each token of `current`
  std::vector<float> absorbed;                 // (L, H, K) of `current`
  std::vector<bool> hidden = hidden_mask(*source, options);
  const int hidden_count = static_cast<int>(std::count(hidden.begin(), hidden.end(), true));
  if (hidden_count > 0 && hidden_count < t) {
    HiddenTrace view = hide_trace_tokens(*current, hidden);
    take(std::move(view.trace));
    kept = std::move(view.kept);
    absorbed = std::move(view.absorbed);
    result.hidden_count = hidden_count;
    append_description(result.description, options.hide_first && !options.hide_special
                                               ? "token 0 hidden"
                                               : std::to_string(hidden_count) + " tokens hidden");
  } else if (hidden_count == t && t > 0) {
    append_description(result.description, "nothing hidden (every token would be)");
  }
  result.source_first = kept;
  result.source_end.resize(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) result.source_end[i] = kept[i] + 1;

  // 2. Merge the kept tokens into words (the rule comes from the raw tokens, where [CLS]/[SEP]
  // still show that WordPiece made them).
  if (options.merge_words) {
    const WordRule rule = detect_word_rule(source->tokens());
    const std::vector<WordGroup> words = words_of_kept(*current, kept, rule);
    if (words.size() < kept.size()) {  // else every token is a word already: nothing to merge
      if (!absorbed.empty())
        absorbed = merge_absorbed(absorbed, current->layers(), current->heads(),
                                  current->tokens_count(), words);
      result.source_first.clear();
      result.source_end.clear();
      for (const WordGroup& word : words) {
        result.source_first.push_back(kept[word.first]);
        result.source_end.push_back(kept[word.end - 1] + 1);
      }
      take(merge_trace_words(*current, words));
    }
    append_description(result.description, "words");
  }

  // 3. Aggregate the heads of the view into one pseudo-head.
  if (options.aggregate && !rollout_first) {
    if (!absorbed.empty())
      absorbed = aggregate_absorbed(absorbed, current->layers(), current->heads(),
                                    current->tokens_count(), *options.aggregate);
    take(aggregate_trace(*current, *options.aggregate));
  }
  if (options.aggregate)
    append_description(result.description, describe_aggregate(*options.aggregate));

  result.absorbed = std::move(absorbed);
  if (made) made->timings = source->timings;
  result.trace = current;
  result.derived = made != nullptr;
  result.raw_tokens =
      result.trace->tokens_count() == t && result.hidden_count == 0 && !options.aggregate;
  return result;
}

}  // namespace attnviz

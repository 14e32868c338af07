// Derived views of a trace that make big models readable: sub-word tokens merged into words,
// the attention sinks (token 0, [CLS]/[SEP], <|endoftext|>) hidden with rows renormalized, and
// an aggregate of heads as one pseudo-head. The result is an ordinary AttentionTrace, so every
// panel and exporter draws it unchanged; what it loses (Q/K/V, the mapping back to the raw
// tokens, the share the hidden tokens absorbed) is kept beside it in DerivedTrace.
//
// Legend: L layers, H heads, T raw tokens, T' derived tokens (words and/or kept tokens).
// Maps are rows = queries.
//
// Order of the steps: hide on the raw tokens (the sink is one token, not the first word), then
// merge the kept tokens into words, then aggregate. Rollout is the exception: it follows the
// residual stream through every raw token, so it is computed on the raw trace and then hidden
// and merged like a head.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/aggregate.h"
#include "core/attention_trace.h"

namespace attnviz {

struct TraceViewOptions {
  // Value-weighted attention: every weight α_ij times ‖v_j W_O^h‖ (the trace's value_norms),
  // renormalized per query row; the first step, on the raw tokens, before rollout and hiding.
  bool value_weighted = false;
  bool merge_words = false;   // queries averaged, keys summed over the tokens of a word
  bool hide_first = false;    // hide raw token 0 and renormalize rows
  bool hide_special = false;  // hide every special token and renormalize rows
  // Replace every head by one pseudo-head (1 layer x 1 head) holding this aggregate.
  std::optional<AggregateChoice> aggregate;

  bool any() const {
    return value_weighted || merge_words || hide_first || hide_special || aggregate.has_value();
  }
  bool operator==(const TraceViewOptions& other) const;
};

struct DerivedTrace {
  std::shared_ptr<const AttentionTrace> source;  // the raw trace
  // What panels draw: `source` itself when no option is on, else a derived trace without Q/K/V.
  std::shared_ptr<const AttentionTrace> trace;
  bool derived = false;  // the inspector's arithmetic works on the raw tokens only
  // The view's tokens are the raw tokens (nothing hidden or merged; value weights change only
  // the weights), so the inspector can explain the raw trace's arithmetic beside it.
  bool raw_tokens = true;

  // Raw tokens [source_first[i], source_end[i]) make derived token i. Hidden raw tokens
  // belong to no derived token; a word never spans a hidden token.
  std::vector<int> source_first;  // (T')
  std::vector<int> source_end;    // (T')

  // Share of each derived query row's raw attention that went to hidden tokens, before
  // renormalization: (L', H', T') with L', H' the derived trace's layers and heads. Empty when
  // nothing is hidden. A word's share is the mean over its tokens (queries are averaged).
  std::vector<float> absorbed;
  int hidden_count = 0;  // raw tokens hidden

  // "words, token 0 hidden, mean of layer 3": what the view changed, for labels and titles.
  std::string description;

  // The derived token that contains raw token `raw`, or -1 when it is hidden.
  int derived_index(int raw) const;
  // Share absorbed by hidden tokens for one derived query of one (derived) head, 0 when nothing
  // is hidden.
  float absorbed_share(int layer, int head, int query) const;
  // Mean of absorbed_share over the queries of one head (every head when head < 0) of a layer.
  float mean_absorbed(int layer, int head) const;
};

// Builds the view. With no option on, returns the source unchanged (derived = false, identity
// mapping). Costs O(L·H·T²); call it when the trace or the options change, not per frame.
DerivedTrace derive_trace(std::shared_ptr<const AttentionTrace> source,
                          const TraceViewOptions& options);

// "value-weighted ‖α·vW_O‖, normalized per row": the legend of value-weighted views.
extern const char* const kValueWeightedLegend;

// The value-weighted trace of a model's trace (α_ij·‖v_j W_O^h‖ / Σ_k α_ik·‖v_k W_O^h‖ per row):
// null when the trace has no value norms (imported attention) or keeps no weights (a long
// text: the (L, H, T, T) copy would take what on-demand attention saves); `why` says which.
std::shared_ptr<AttentionTrace> value_weighted_trace(const AttentionTrace& source,
                                                     std::string* why = nullptr);

// The aggregate as a trace of one layer and one head: causal when the source is (the mean, the
// max and the rollout of lower-triangular maps are lower-triangular). Tokens and predictions
// are the source's; no Q/K/V.
std::shared_ptr<AttentionTrace> aggregate_trace(const AttentionTrace& source,
                                                const AggregateChoice& choice);

// The (T', T') map of a whole-model aggregate (mean of all layers, rollout) over the tokens of
// the view `options` makes (words, hidden tokens): rollout runs on the raw tokens and is then
// hidden and merged like a head. O(L·T³) for rollout; the app's engine computes it once per
// trace and mode.
std::vector<float> whole_model_map(std::shared_ptr<const AttentionTrace> raw,
                                   TraceViewOptions options, AggregateMode mode);

// Tokens up to which a whole-model map is computed: it is a dense (T', T') map (64 MB at this
// limit) and rollout multiplies L such maps (L·T'³ multiply-adds).
inline constexpr int kWholeModelMaxTokens = 4096;

// Why the whole-model map of `mode` is not computed for a view of `tokens` tokens of a model of
// `layers` layers (its size and cost, and what to do instead); empty when it is computed. The
// one rule the engine, the panels and the exporters follow.
std::string whole_model_refusal(AggregateMode mode, int tokens, int layers);

// "mean of layer 2", "max of layer 0 heads 1,3", "rollout", "mean of all heads", "L1 H3".
std::string describe_aggregate(const AggregateChoice& choice);

}  // namespace attnviz

// The attention numbers a view shows, from the trace on screen and its ViewSpec: which heads
// are drawn as separate series, the weights of one query as the head mode combines them, the
// (T, T) map a heatmap shows, and how much attention each token receives. Shared by the screen
// and the exporters, so both show the same numbers.
//
// `whole_map` is the (T, T) map of a whole-model mode (mean of all layers, rollout) over the
// view's tokens. It costs O(L·T³) for rollout, so the engine computes it once per trace and
// mode; it is empty for the modes that read one layer (or while it is not ready).
//
// Legend: L layers, H heads, T tokens. Maps are (T, T), rows = queries.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/analysis/aggregate.h"
#include "core/view/attention_reader.h"
#include "core/view/view_spec.h"

namespace attnviz {

// Heads drawn as separate series: {spec.head} in single-head mode, the enabled heads in
// multi-head mode, none for the modes that combine heads into one row.
std::vector<int> series_heads(const ViewSpec& spec, int heads);

// The aggregate a spec's head mode asks for (the enabled heads listed for the layer modes).
AggregateChoice aggregate_choice(const ViewSpec& spec, int layers, int heads);

// (T) weights of `query` over all keys, zeros where masked: head `head` for the separate-series
// modes, else the combination of the mode (mean or max of the enabled heads of the layer, or the
// query's row of whole_map).
void query_weights(const AttentionReader& reader, const ViewSpec& spec,
                   std::span<const float> whole_map, int query, int head, std::span<float> out);

// The (T, T) map of the view: one head, the mean of the enabled heads (multi and mean), their
// max, or whole_map for the whole-model modes.
void view_map(const AttentionReader& reader, const ViewSpec& spec, std::span<const float> whole_map,
              std::vector<float>& out);

// (T) attention each token receives in the current layer: column means over the queries that
// can see it, averaged over the drawn heads (single-head mode: the selected head).
void received_attention(const AttentionReader& reader, const ViewSpec& spec, std::span<float> out);

// (T) how hot each token chip is, 0..1: the query's weights (multi-head: their mean) when a
// query is active, else the attention received (`received`, from received_attention).
void chip_heat(const AttentionReader& reader, const ViewSpec& spec,
               std::span<const float> whole_map, std::optional<int> query,
               std::span<const float> received, std::vector<float>& out);

// The sliding window of what the view draws: the window of spec.layer for the modes that read
// one layer, 0 (none) for the whole-model modes (their maps mix layers, and rollout reaches past
// any window), for traces without windows (imported files, merged or hidden tokens) and for a
// text no longer than the window (no key is outside it).
int view_window(const AttentionReader& reader, const ViewSpec& spec);
// The masks the view shows, for its legend: kCausal for a causal trace, kOutsideWindow when
// view_window > 0; in that order.
std::vector<MaskKind> view_masks(const AttentionReader& reader, const ViewSpec& spec);

// What the view draws, for titles and the status bar: "layer 2 · head 3", "layer 2 · heads 1,
// 2", "layer 2 · mean of heads 0-3", "attention rollout".
std::string view_source_label(const ViewSpec& spec, int heads);

}  // namespace attnviz

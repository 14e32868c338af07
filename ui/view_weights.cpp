#include "ui/view_weights.h"

#include <algorithm>
#include <cassert>

namespace attnviz::ui {

std::vector<int> separate_heads(const ViewState& view, int heads) {
  std::vector<int> list;
  if (view.head_mode == HeadMode::kSingleHead) {
    if (view.head >= 0 && view.head < heads) list.push_back(view.head);
  } else if (view.head_mode == HeadMode::kMultiHead) {
    for (int h = 0; h < heads; ++h)
      if (view.head_enabled(h)) list.push_back(h);
  }
  return list;
}

bool combines_heads(HeadMode mode) {
  return mode == HeadMode::kMeanOfHeads || mode == HeadMode::kMaxOfHeads ||
         mode == HeadMode::kMeanAllLayers || mode == HeadMode::kRollout;
}

void query_weights(const AttentionTrace& trace, const ViewState& view, int query, int head,
                   std::span<float> out) {
  const int t = trace.tokens_count();
  assert(static_cast<int>(out.size()) >= t && "query_weights: output too small");
  std::fill(out.begin(), out.begin() + t, 0.0f);
  if (query < 0 || query >= t || trace.layers() == 0) return;
  const int layer = std::clamp(view.layer, 0, trace.layers() - 1);
  auto add_row = [&](int l, int h) {
    auto row = trace.row(l, h, query);
    for (size_t k = 0; k < row.size(); ++k) out[k] += row[k];
  };
  int count = 0;
  switch (view.head_mode) {
    case HeadMode::kSingleHead:
    case HeadMode::kMultiHead:
      if (head >= 0 && head < trace.heads()) {
        add_row(layer, head);
        count = 1;
      }
      break;
    case HeadMode::kMeanOfHeads:
      for (int h = 0; h < trace.heads(); ++h)
        if (view.head_enabled(h)) add_row(layer, h), ++count;
      break;
    case HeadMode::kMaxOfHeads:
      for (int h = 0; h < trace.heads(); ++h) {
        if (!view.head_enabled(h)) continue;
        auto row = trace.row(layer, h, query);
        for (size_t k = 0; k < row.size(); ++k) out[k] = std::max(out[k], row[k]);
      }
      return;
    case HeadMode::kMeanAllLayers:
    case HeadMode::kRollout:
      for (int l = 0; l < trace.layers(); ++l)
        for (int h = 0; h < trace.heads(); ++h) add_row(l, h), ++count;
      break;
  }
  if (count > 1) {
    const float inverse = 1.0f / count;
    for (int k = 0; k < t; ++k) out[k] *= inverse;
  }
}

void received_attention(const AttentionTrace& trace, const ViewState& view, std::span<float> out) {
  const int t = trace.tokens_count();
  assert(static_cast<int>(out.size()) >= t && "received_attention: output too small");
  std::fill(out.begin(), out.begin() + t, 0.0f);
  if (t == 0 || trace.layers() == 0) return;
  const int layer = std::clamp(view.layer, 0, trace.layers() - 1);
  int count = 0;
  for (int h = 0; h < trace.heads(); ++h) {
    const bool drawn = view.head_mode == HeadMode::kSingleHead ? h == view.head : view.head_enabled(h);
    if (!drawn) continue;
    ++count;
    for (int q = 0; q < t; ++q) {
      auto row = trace.row(layer, h, q);
      for (size_t k = 0; k < row.size(); ++k) out[k] += row[k];
    }
  }
  if (count == 0) return;
  // Mean over heads and over the queries that can see each key (causal: queries k..T-1), so
  // late tokens in a causal model are not dimmed only for having fewer readers.
  for (int k = 0; k < t; ++k) {
    const int readers = trace.causal() ? t - k : t;
    out[k] /= static_cast<float>(count) * readers;
  }
}

const char* head_mode_label(HeadMode mode) {
  switch (mode) {
    case HeadMode::kSingleHead: return "single head";
    case HeadMode::kMultiHead: return "multi-head";
    case HeadMode::kMeanOfHeads: return "mean of enabled heads";
    case HeadMode::kMaxOfHeads: return "max of enabled heads";
    case HeadMode::kMeanAllLayers: return "mean of all layers";
    case HeadMode::kRollout: return "rollout";
  }
  return "";
}

}  // namespace attnviz::ui

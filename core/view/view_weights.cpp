#include "core/view/view_weights.h"

#include <algorithm>
#include <cassert>

namespace attnviz {

namespace {

int clamped_layer(const AttentionReader& reader, const ViewSpec& spec) {
  return std::clamp(spec.layer, 0, std::max(0, reader.layers() - 1));
}

// "1, 2" or "0-3" for a run of consecutive heads.
std::string head_list(const std::vector<int>& heads) {
  if (heads.size() > 2 && heads.back() - heads.front() + 1 == static_cast<int>(heads.size()))
    return std::to_string(heads.front()) + "-" + std::to_string(heads.back());
  std::string list;
  for (int h : heads) list += (list.empty() ? "" : ", ") + std::to_string(h);
  return list;
}

}  // namespace

std::vector<int> series_heads(const ViewSpec& spec, int heads) {
  std::vector<int> list;
  const HeadModeInfo& mode = head_mode_info(spec.head_mode);
  if (!mode.separate_heads) return list;
  if (!mode.uses_enabled_heads) {
    if (spec.head >= 0 && spec.head < heads) list.push_back(spec.head);
    return list;
  }
  for (int h = 0; h < heads; ++h)
    if (spec.head_enabled(h)) list.push_back(h);
  return list;
}

AggregateChoice aggregate_choice(const ViewSpec& spec, int layers, int heads) {
  AggregateChoice choice;
  choice.mode = head_mode_info(spec.head_mode).aggregate;
  choice.layer = std::clamp(spec.layer, 0, std::max(0, layers - 1));
  choice.head = std::clamp(spec.head, 0, std::max(0, heads - 1));
  for (int h = 0; h < heads; ++h)
    if (spec.head_enabled(h)) choice.heads.push_back(h);
  return choice;
}

void query_weights(const AttentionReader& reader, const ViewSpec& spec,
                   std::span<const float> whole_map, int query, int head, std::span<float> out) {
  const int t = reader.tokens_count();
  assert(static_cast<int>(out.size()) >= t && "query_weights: output too small");
  std::fill(out.begin(), out.begin() + t, 0.0f);
  if (query < 0 || query >= t || reader.layers() == 0) return;
  const HeadModeInfo& mode = head_mode_info(spec.head_mode);
  const int layer = clamped_layer(reader, spec);
  if (mode.whole_model) {
    if (whole_map.size() >= static_cast<size_t>(t) * t)
      std::copy_n(whole_map.begin() + static_cast<long>(query) * t, t, out.begin());
    return;
  }
  if (mode.separate_heads) {
    if (head >= 0 && head < reader.heads()) reader.row(layer, head, query, out);
    return;
  }
  const bool max = mode.aggregate == AggregateMode::kLayerMax;
  int count = 0;
  for (int h = 0; h < reader.heads(); ++h) {
    if (!spec.head_enabled(h)) continue;
    ++count;
    reader.visit_row(layer, h, query, [&](std::span<const float> row) {
      for (size_t k = 0; k < row.size(); ++k)
        out[k] = max ? std::max(out[k], row[k]) : out[k] + row[k];
    });
  }
  if (!max && count > 1) {
    const float inverse = 1.0f / static_cast<float>(count);
    for (int k = 0; k < t; ++k) out[k] *= inverse;
  }
}

void view_map(const AttentionReader& reader, const ViewSpec& spec, std::span<const float> whole_map,
              std::vector<float>& out) {
  const size_t t = static_cast<size_t>(reader.tokens_count());
  if (t == 0 || reader.layers() == 0 || reader.heads() == 0) {
    out.assign(t * t, 0.0f);
    return;
  }
  if (head_mode_info(spec.head_mode).whole_model) {
    out.assign(t * t, 0.0f);
    if (whole_map.size() >= t * t) std::copy_n(whole_map.begin(), t * t, out.begin());
    return;
  }
  out = aggregate(reader, aggregate_choice(spec, reader.layers(), reader.heads()));
}

void received_attention(const AttentionReader& reader, const ViewSpec& spec, std::span<float> out) {
  const int t = reader.tokens_count();
  assert(static_cast<int>(out.size()) >= t && "received_attention: output too small");
  std::fill(out.begin(), out.begin() + t, 0.0f);
  if (t == 0 || reader.layers() == 0) return;
  const int layer = clamped_layer(reader, spec);
  const bool single = spec.head_mode == HeadMode::kSingleHead;
  int count = 0;
  for (int h = 0; h < reader.heads(); ++h) {
    if (single ? h != spec.head : !spec.head_enabled(h)) continue;
    ++count;
    // A head's rows through one HeadReader (keys prepared once when recomputed), queries split
    // over threads, each summing into its own (T) and then into out in a fixed order, so the
    // result does not depend on the thread count's scheduling.
    const AttentionReader::HeadReader rows = reader.head_reader(layer, h);
    const int parts = static_cast<double>(t) * t >= 1e6 ? 8 : 1;
    if (parts == 1) {  // a short text: straight into out, row after row
      std::vector<float> buffer;
      for (int q = 0; q < t; ++q)
        rows.visit_row(q, buffer, [&](std::span<const float> row) {
          for (size_t k = 0; k < row.size(); ++k) out[k] += row[k];
        });
      continue;
    }
    std::vector<std::vector<float>> sums(parts);
#pragma omp parallel for schedule(dynamic, 1) if (parts > 1)
    for (int part = 0; part < parts; ++part) {
      std::vector<float>& sum = sums[part];
      sum.assign(t, 0.0f);
      std::vector<float> buffer;
      for (int q = part; q < t; q += parts)
        rows.visit_row(q, buffer, [&](std::span<const float> row) {
          for (size_t k = 0; k < row.size(); ++k) sum[k] += row[k];
        });
    }
    for (int k = 0; k < t; ++k) {
      float head_sum = 0.0f;
      for (const std::vector<float>& sum : sums) head_sum += sum[k];
      out[k] += head_sum;
    }
  }
  if (count == 0) return;
  // Mean over heads and over the queries that can see each key (causal: queries k..T-1), so
  // late tokens in a causal model are not dimmed only for having fewer readers.
  for (int k = 0; k < t; ++k) {
    const int readers = reader.causal() ? t - k : t;
    out[k] /= static_cast<float>(count) * readers;
  }
}

void chip_heat(const AttentionReader& reader, const ViewSpec& spec,
               std::span<const float> whole_map, std::optional<int> query,
               std::span<const float> received, std::vector<float>& out) {
  const int t = reader.tokens_count();
  out.assign(t, 0.0f);
  if (t == 0 || reader.layers() == 0) return;
  if (query && *query >= 0 && *query < t) {
    ViewSpec combined = spec;
    if (spec.head_mode == HeadMode::kMultiHead) combined.head_mode = HeadMode::kMeanOfHeads;
    query_weights(reader, combined, whole_map, *query, spec.head, out);
  } else if (received.size() >= static_cast<size_t>(t)) {
    std::copy_n(received.begin(), t, out.begin());
  }
  const float peak = *std::max_element(out.begin(), out.end());
  if (peak > 0.0f)
    for (float& v : out) v /= peak;
}

std::string view_source_label(const ViewSpec& spec, int heads) {
  const HeadModeInfo& mode = head_mode_info(spec.head_mode);
  if (mode.whole_model) return mode.description;
  const std::string layer = "layer " + std::to_string(spec.layer);
  if (spec.head_mode == HeadMode::kSingleHead)
    return layer + " \u00B7 head " + std::to_string(spec.head);
  std::vector<int> enabled;
  for (int h = 0; h < heads; ++h)
    if (spec.head_enabled(h)) enabled.push_back(h);
  const std::string which = enabled.empty() ? std::string("no heads")
                            : static_cast<int>(enabled.size()) == heads
                                ? "all " + std::to_string(heads) + " heads"
                                : (enabled.size() == 1 ? "head " : "heads ") + head_list(enabled);
  if (spec.head_mode == HeadMode::kMultiHead) return layer + " \u00B7 " + which;
  return layer + " \u00B7 " +
         (mode.aggregate == AggregateMode::kLayerMax ? "max of " : "mean of ") + which;
}

int view_window(const AttentionReader& reader, const ViewSpec& spec) {
  if (head_mode_info(spec.head_mode).whole_model) return 0;
  if (spec.layer < 0 || spec.layer >= reader.layers()) return 0;
  const int window = reader.window(spec.layer);
  return reader.tokens_count() > window ? window : 0;  // a text inside the window hides nothing
}

std::vector<MaskKind> view_masks(const AttentionReader& reader, const ViewSpec& spec) {
  std::vector<MaskKind> masks;
  if (reader.causal()) masks.push_back(MaskKind::kCausal);
  if (view_window(reader, spec) > 0) masks.push_back(MaskKind::kOutsideWindow);
  return masks;
}

}  // namespace attnviz

#include "core/view/heatmap_values.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <optional>
#include <vector>

#include "core/view/view_weights.h"

namespace attnviz {

namespace {

// The rows of the view's map, one query at a time, as view_map builds them (the same
// arithmetic in the same order, so the same bits): one head, the mean or max of the enabled
// heads, or a row of whole_map. Heads' keys are prepared once (HeadReader); row() may be called
// from several threads, each with its own buffers.
class ViewRows {
 public:
  ViewRows(const AttentionReader& reader, const ViewSpec& spec, std::span<const float> whole_map)
      : tokens_(reader.tokens_count()), whole_map_(whole_map) {
    whole_ = head_mode_info(spec.head_mode).whole_model;
    if (whole_ || reader.layers() == 0 || reader.heads() == 0) return;
    choice_ = aggregate_choice(spec, reader.layers(), reader.heads());
    if (choice_.mode == AggregateMode::kHead) choice_.heads = {choice_.head};
    for (int h : choice_.heads) heads_.push_back(reader.head_reader(choice_.layer, h));
  }

  // out: T values of query q's row, zeros where masked.
  void row(int q, std::vector<float>& buffer, std::span<float> out) const {
    std::fill(out.begin(), out.begin() + tokens_, 0.0f);
    if (whole_) {
      if (whole_map_.size() >= static_cast<size_t>(tokens_) * tokens_)
        std::copy_n(whole_map_.begin() + static_cast<size_t>(q) * tokens_, tokens_, out.begin());
      return;
    }
    const bool max = choice_.mode == AggregateMode::kLayerMax;
    for (const AttentionReader::HeadReader& head : heads_)
      head.visit_row(q, buffer, [&](std::span<const float> weights) {
        for (size_t k = 0; k < weights.size(); ++k)
          out[k] = max ? std::max(out[k], weights[k]) : out[k] + weights[k];
      });
    if (choice_.mode == AggregateMode::kLayerMean && !heads_.empty()) {
      const float scale = 1.0f / static_cast<float>(heads_.size());
      for (int k = 0; k < tokens_; ++k) out[k] *= scale;
    }
  }

 private:
  int tokens_ = 0;
  std::span<const float> whole_map_;
  bool whole_ = false;
  AggregateChoice choice_;
  std::vector<AttentionReader::HeadReader> heads_;
};

}  // namespace

int overview_block(int tokens) {
  if (tokens <= kDenseHeatmapTokens) return 1;
  return (tokens + kOverviewTexels - 1) / kOverviewTexels;
}

HeatmapPlan plan_heatmap(int tokens, const HeatmapTransform& transform,
                         const HeatmapPlan* region) {
  HeatmapPlan plan;
  plan.keys = plan.queries = tokens;
  if (tokens <= kDenseHeatmapTokens) return plan;
  plan.block = overview_block(tokens);
  plan.kind = HeatmapPlan::Kind::kOverview;
  if (transform.scale < 1.0f) return plan;  // several cells per pixel: the overview
  // The visible cells, inside the map.
  const Point low = transform.visible_min(), high = transform.visible_max();
  const int x0 = std::clamp(static_cast<int>(std::floor(low.x)), 0, tokens);
  const int y0 = std::clamp(static_cast<int>(std::floor(low.y)), 0, tokens);
  const int x1 = std::clamp(static_cast<int>(std::ceil(high.x)), 0, tokens);
  const int y1 = std::clamp(static_cast<int>(std::ceil(high.y)), 0, tokens);
  if (region && region->kind == HeatmapPlan::Kind::kRegion && region->key0 <= x0 &&
      region->query0 <= y0 && region->key0 + region->keys >= x1 &&
      region->query0 + region->queries >= y1)
    return *region;
  // A quarter of the visible extent more on each side, so a small pan stays inside.
  const int margin_x = (x1 - x0) / 4, margin_y = (y1 - y0) / 4;
  plan.kind = HeatmapPlan::Kind::kRegion;
  plan.key0 = std::max(0, x0 - margin_x);
  plan.query0 = std::max(0, y0 - margin_y);
  plan.keys = std::min(tokens, x1 + margin_x) - plan.key0;
  plan.queries = std::min(tokens, y1 + margin_y) - plan.query0;
  return plan;
}

HeatmapValues pooled_view_map(const AttentionReader& reader, const ViewSpec& spec,
                              std::span<const float> whole_map, int block, Pooling pooling) {
  assert(block >= 1 && "pooled_view_map: block must be positive");
  HeatmapValues values;
  values.pooling = pooling;
  const int t = reader.tokens_count();
  const int n = t > 0 ? (t + block - 1) / block : 0;
  MapAtlas& atlas = values.atlas;
  atlas.width = atlas.height = atlas.tile_texels = n;
  atlas.block = block;
  atlas.values.assign(static_cast<size_t>(n) * n, 0.0f);
  if (t == 0) return values;
  const ViewRows rows(reader, spec, whole_map);
  const bool max = pooling == Pooling::kMax;
  float largest = 0.0f;
  // Texel rows in parallel, each writing its own; a query's row read once.
#pragma omp parallel if (static_cast<double>(t) * t >= 1e6) reduction(max : largest)
  {
    std::vector<float> buffer, row(static_cast<size_t>(t));
#pragma omp for schedule(dynamic, 2)
    for (int texel_row = 0; texel_row < n; ++texel_row) {
      float* dst = atlas.values.data() + static_cast<size_t>(texel_row) * n;
      const int q0 = texel_row * block, q1 = std::min(t, q0 + block);
      for (int q = q0; q < q1; ++q) {
        rows.row(q, buffer, row);
        for (int c = 0; c < n; ++c) {
          const int k0 = c * block, k1 = std::min(t, k0 + block);
          float value = dst[c];
          if (max) {
            for (int k = k0; k < k1; ++k) value = std::max(value, row[k]);
          } else {
            for (int k = k0; k < k1; ++k) value += row[k];
          }
          dst[c] = value;
        }
        for (int k = 0; k < t; ++k) largest = std::max(largest, row[k]);
      }
      if (!max) {  // mean of the block's cells inside the map
        for (int c = 0; c < n; ++c) {
          const int cells = (q1 - q0) * (std::min(t, (c + 1) * block) - c * block);
          dst[c] /= static_cast<float>(cells);
        }
      }
    }
  }
  values.max_value = largest;
  return values;
}

MapKey map_key(uint64_t trace_id, const ViewSpec& spec, bool whole_map_ready) {
  MapKey key;
  key.trace_id = trace_id;
  key.mode = spec.head_mode;
  const HeadModeInfo& mode = head_mode_info(spec.head_mode);
  if (!mode.whole_model) key.layer = spec.layer;
  if (spec.head_mode == HeadMode::kSingleHead) key.head = spec.head;
  if (mode.uses_enabled_heads) key.heads = spec.enabled_heads;
  key.whole_map_ready = mode.whole_model && whole_map_ready;
  return key;
}

HeatmapValues heatmap_overview(const AttentionReader& reader, const ViewSpec& spec,
                               std::span<const float> whole_map) {
  const int t = reader.tokens_count();
  if (t > kDenseHeatmapTokens)
    return pooled_view_map(reader, spec, whole_map, overview_block(t), Pooling::kMax);
  HeatmapValues values;
  std::vector<float> map;
  view_map(reader, spec, whole_map, map);
  values.max_value = map_max(map);
  values.atlas = single_map_atlas(std::move(map), t);
  return values;
}

HeatmapValues view_map_region(const AttentionReader& reader, const ViewSpec& spec,
                              std::span<const float> whole_map, const HeatmapPlan& plan,
                              float map_max) {
  HeatmapValues values;
  values.max_value = map_max;
  values.partial = true;
  MapAtlas& atlas = values.atlas;
  const int t = reader.tokens_count();
  const int keys = std::clamp(plan.keys, 0, t - std::min(plan.key0, t));
  const int queries = std::clamp(plan.queries, 0, t - std::min(plan.query0, t));
  atlas.width = keys;
  atlas.height = queries;
  atlas.tile_texels = std::max(keys, queries);
  atlas.origin_x = plan.key0;
  atlas.origin_y = plan.query0;
  atlas.values.assign(static_cast<size_t>(keys) * queries, 0.0f);
  if (keys == 0 || queries == 0) return values;
  const ViewRows rows(reader, spec, whole_map);
#pragma omp parallel if (static_cast<double>(queries) * t >= 1e6)
  {
    std::vector<float> buffer, row(static_cast<size_t>(t));
#pragma omp for schedule(dynamic, 8)
    for (int r = 0; r < queries; ++r) {
      rows.row(plan.query0 + r, buffer, row);
      std::copy_n(row.begin() + plan.key0, keys,
                  atlas.values.begin() + static_cast<size_t>(r) * keys);
    }
  }
  return values;
}

HeatmapValues plan_values(const AttentionReader& reader, const ViewSpec& spec,
                          std::span<const float> whole_map, const HeatmapPlan& plan,
                          const HeatmapValues& overview) {
  if (plan.kind != HeatmapPlan::Kind::kRegion) return overview;
  return view_map_region(reader, spec, whole_map, plan, overview.max_value);
}

float view_weight(const AttentionReader& reader, const ViewSpec& spec,
                  std::span<const float> whole_map, int query, int key) {
  const int t = reader.tokens_count();
  if (query < 0 || key < 0 || query >= t || key >= t) return 0.0f;
  if (head_mode_info(spec.head_mode).whole_model) {
    const size_t at = static_cast<size_t>(query) * t + key;
    return at < whole_map.size() ? whole_map[at] : 0.0f;
  }
  if (reader.layers() == 0 || reader.heads() == 0) return 0.0f;
  const AggregateChoice choice = aggregate_choice(spec, reader.layers(), reader.heads());
  if (choice.mode == AggregateMode::kHead) return reader.weight(choice.layer, choice.head, query, key);
  const bool max = choice.mode == AggregateMode::kLayerMax;
  float value = 0.0f;
  for (int h : choice.heads) {
    const float w = reader.weight(choice.layer, h, query, key);
    value = max ? std::max(value, w) : value + w;
  }
  if (!max && !choice.heads.empty()) value *= 1.0f / static_cast<float>(choice.heads.size());
  return value;
}

MapWindow atlas_window(const HeatmapValues& values, const MapWindow& cells) {
  const MapAtlas& atlas = values.atlas;
  const float block = static_cast<float>(atlas.block);
  const float x = static_cast<float>(atlas.origin_x), y = static_cast<float>(atlas.origin_y);
  return {(cells.x0 - x) / block, (cells.y0 - y) / block, (cells.x1 - x) / block,
          (cells.y1 - y) / block};
}

std::string heatmap_plan_label(const HeatmapPlan& plan, int tokens, Pooling pooling) {
  switch (plan.kind) {
    case HeatmapPlan::Kind::kWhole:
      return {};
    case HeatmapPlan::Kind::kOverview: {
      const int n = (tokens + plan.block - 1) / plan.block;
      return "pooled (" + std::to_string(n) + "\u00D7" + std::to_string(n) + " blocks of " +
             std::to_string(plan.block) + " tokens, " +
             (pooling == Pooling::kMax ? "max" : "mean") +
             ") \u00B7 zoom in for exact values";
    }
    case HeatmapPlan::Kind::kRegion:
      return "exact values (zoomed in: queries " + std::to_string(plan.query0) + "-" +
             std::to_string(plan.query0 + plan.queries - 1) + ", keys " +
             std::to_string(plan.key0) + "-" + std::to_string(plan.key0 + plan.keys - 1) + ")";
  }
  return {};
}

}  // namespace attnviz

// ViewSpec: the one description of what a view shows. The screen draws from it, every exporter
// (the app's and `attnviz export`) renders from it, settings keep part of it, and it is a plain
// struct that reads from and writes to JSON, so a view can be saved and reopened exactly.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/view/colors.h"
#include "core/view/head_modes.h"
#include "core/view_trace.h"

namespace attnviz {

// The centre views. The diff is a window of its own (DiffSpec) beside them.
enum class ViewKind { kArcs, kHeatmap, kGrid };
enum class ArcsLayout { kLine, kTwoColumns };

// Why a key is hidden from a query, for pictures, legends and tooltips: the causal mask (a key
// after the query) or a sliding window (a key before the query's window). Each kind has its own
// fill, hatch and legend entry (mask_label), on screen and in every export.
enum class MaskKind { kNone, kCausal, kOutsideWindow };

// The mask of (query, key) for a layer that is `causal` with a sliding `window` (0: global):
// the same rule as the forward pass (ScoreRule::visible).
MaskKind mask_kind(bool causal, int window, int query, int key);
// The legend's words: "masked (causal)", "outside the window"; "" for kNone.
const char* mask_label(MaskKind kind);

struct DiffSpec {
  enum class Source { kOtherText, kOtherModel };
  bool open = false;
  Source source = Source::kOtherText;
  std::string text_b;   // the second text (kOtherText)
  std::string model_b;  // the second model's folder (kOtherModel)
};

// The weights switch: which numbers every view and export shows. Rollout is the rollout head
// mode of core/view/head_modes.h (one table, one rollout); raw and value leave the head mode as
// it is. Value-weighted: ‖α_ij·v_j W_O^h‖ normalized per query row (core/view_trace.h).
enum class Weights { kRaw, kValue, kRollout };

struct ViewSpec {
  ViewKind kind = ViewKind::kArcs;
  int layer = 0;
  int head = 0;  // the selected head: single-head views, the inspector
  HeadMode head_mode = HeadMode::kMultiHead;
  std::vector<char> enabled_heads;  // (H) 1 = drawn by the modes that use enabled heads
  std::optional<int> pinned_token;  // the query pinned by a click (a token of the view)
  // Weights α·‖v_j W_O^h‖ per row instead of α (read and set through weights()/set_weights()).
  bool value_weighted = false;

  // Arcs
  ArcsLayout arcs_layout = ArcsLayout::kLine;
  float arc_min_weight = 0.02f;  // arcs below this weight are not drawn
  int arc_top_k = 24;            // at most this many arcs per query and head

  // Token views (core/view_trace.h): words, hidden tokens
  bool merge_words = false;
  bool hide_first = false;
  bool hide_special = false;

  // Heatmap
  bool heatmap_to_max = true;  // the colour map spans 0 to the map's largest weight (else 0..1)
  bool heatmap_sqrt = false;   // square-root contrast: faint weights become visible
  bool heatmap_labels = true;
  float heatmap_zoom = 1.0f;                         // 1 = the whole map fits
  float heatmap_pan_x = 0.0f, heatmap_pan_y = 0.0f;  // cell at the map's top-left corner

  // Model grid
  bool grid_per_head_contrast = true;  // each tile spans 0 to its own largest weight
  float grid_tile = 72.0f;             // tile side, logical pixels

  Theme theme = Theme::kDark;
  // The picture's size in logical pixels as the screen last laid it out (the arcs canvas, the
  // heatmap's area), so an export has the screen's geometry; 0: the exporters' defaults.
  float picture_width = 0.0f;
  float picture_height = 0.0f;

  DiffSpec diff;

  bool head_enabled(int h) const {
    return h >= 0 && h < static_cast<int>(enabled_heads.size()) && enabled_heads[h] != 0;
  }
  // The enabled heads of a model with `heads` heads, in order (every head when none is listed).
  std::vector<int> enabled_head_list(int heads) const;
  // The weights switch: rollout when the head mode is rollout, else value or raw.
  Weights weights() const {
    return head_mode == HeadMode::kRollout ? Weights::kRollout
           : value_weighted                ? Weights::kValue
                                           : Weights::kRaw;
  }
  // Rollout selects the rollout head mode (of raw α); raw and value leave rollout for the
  // multi-head mode.
  void set_weights(Weights weights);
  // Value weights, words, hidden tokens and no aggregate: the derived trace the panels draw.
  TraceViewOptions token_view() const;
  // Keeps indices valid for a trace of this shape (a new text, another model).
  void clamp_to(int layers, int heads, int tokens);
};

// The spec as JSON: {"kind": "arcs", "layer": 2, "head_mode": "multi", "enabled_heads": [1, 2],
// ...}; names of kinds, modes and layouts are their keys.
nlohmann::json view_spec_json(const ViewSpec& spec);
// Reads what view_spec_json wrote; fields that are missing keep their defaults, values out of
// range are clamped, and a field of the wrong type or an unknown name is an Error naming
// `source` and the field.
Result<ViewSpec> view_spec_from_json(const nlohmann::json& json, const std::string& source);

const char* view_kind_key(ViewKind kind);
const char* weights_key(Weights weights);  // "raw", "value", "rollout"
std::optional<Weights> weights_from_key(const std::string& key);
// What the weights switch shows, for legends and titles: "raw attention α",
// "value-weighted ‖α·vW_O‖, normalized per row", "attention rollout"
// (+ " of value-weighted ‖α·vW_O‖" when the rollout runs on value weights).
std::string weights_legend(const ViewSpec& spec);  // "arcs", "heatmap", "grid"
std::optional<ViewKind> view_kind_from_key(const std::string& key);

}  // namespace attnviz

// The head modes: how the heads of the current layer (or of every layer) become what a view
// draws. One table, spelled once: settings, view specs, the CLI's --mode and the app's labels
// all read their names from it. A new mode is a row here and the computation of its map
// (core/view/view_weights.cpp names the aggregate each row uses).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/analysis/aggregate.h"

namespace attnviz {

enum class HeadMode {
  kSingleHead,     // one head (ViewSpec::head)
  kMultiHead,      // every enabled head at once: its own colour in the arcs, their mean in maps
  kMeanOfHeads,    // mean of the enabled heads of the layer
  kMaxOfHeads,     // max of the enabled heads of the layer
  kMeanAllLayers,  // mean over every layer and head
  kRollout,        // attention rollout through every layer (Abnar & Zuidema 2020)
};

struct HeadModeInfo {
  HeadMode mode;
  const char* key;          // settings, view specs and the CLI: "single", "multi", ...
  const char* label;        // the app's radio buttons: "Single", "Multi", ...
  const char* description;  // status bar and figure titles: "mean of the enabled heads"
  AggregateMode aggregate;  // the (T, T) map a heatmap of this mode shows
  bool separate_heads;      // the arcs draw one series per head (in its colour)
  bool uses_enabled_heads;  // the head toggles choose what is drawn
  bool whole_model;         // every layer: the map is computed once per trace, in the engine
};

// Every mode, in the order the app lists them and M cycles through them.
std::span<const HeadModeInfo> head_modes();
const HeadModeInfo& head_mode_info(HeadMode mode);
// The mode a key names (exact spelling), if any.
std::optional<HeadMode> head_mode_from_key(std::string_view key);
// "single, multi, mean, max, all-layers or rollout": the keys for messages.
std::string head_mode_key_list();
// The next mode in the table (wrapping), for the M key.
HeadMode next_head_mode(HeadMode mode);

}  // namespace attnviz

// ViewState: what the person is looking at, as plain data. Panels read and write it; the
// exporters render the same trace + ViewState, so an export is exactly what is on screen.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace attnviz::ui {

// How the attention of the current layer is drawn.
enum class HeadMode {
  kSingleHead,   // one head (ViewState::head)
  kMultiHead,    // every enabled head in its own colour at once (arcs), or their mean (heatmap)
  kMeanOfHeads,  // mean of the enabled heads of the layer
  kMaxOfHeads,   // max of the enabled heads of the layer
  kMeanAllLayers,  // mean over all layers and heads
  kRollout,      // attention rollout across layers (Abnar & Zuidema)
};

enum class ArcsLayout { kLine, kTwoColumns };
enum class Theme { kDark, kLight };

struct ViewState {
  int layer = 0;                     // current layer, 0..L-1
  int head = 0;                      // selected head (single-head views, heatmap, inspector)
  std::vector<char> enabled_heads;   // (H) 1 = drawn in multi-head / aggregate views
  HeadMode head_mode = HeadMode::kSingleHead;

  std::optional<int> pinned_token;   // query pinned by a click (token index)
  std::optional<int> hovered_token;  // query previewed under the mouse (not pinned)
  std::optional<int> hovered_key;    // key under the mouse (inspector, tooltips)

  ArcsLayout arcs_layout = ArcsLayout::kLine;
  float arc_min_weight = 0.01f;      // arcs below this weight are not drawn
  int arc_top_k = 48;                // at most this many arcs per query and head

  bool merge_subwords = false;       // queries averaged, keys summed over sub-word tokens
  bool hide_first_token = false;     // hide token 0 and renormalize rows

  // Heatmap zoom (1 = fit) and pan in cells.
  float heatmap_zoom = 1.0f;
  float heatmap_pan_x = 0.0f;
  float heatmap_pan_y = 0.0f;

  Theme theme = Theme::kDark;

  // The query whose attention is shown: the hovered token previews, else the pinned one.
  std::optional<int> active_query() const { return hovered_token ? hovered_token : pinned_token; }
  bool head_enabled(int h) const {
    return h >= 0 && h < static_cast<int>(enabled_heads.size()) && enabled_heads[h] != 0;
  }
  // Keeps indices valid after a new trace arrives (fewer tokens, another model).
  void clamp_to(int layers, int heads, int tokens) {
    if (layer >= layers) layer = layers > 0 ? layers - 1 : 0;
    if (head >= heads) head = heads > 0 ? heads - 1 : 0;
    if (static_cast<int>(enabled_heads.size()) != heads) enabled_heads.assign(heads, 1);
    auto clamp_token = [tokens](std::optional<int>& t) {
      if (t && (*t < 0 || *t >= tokens)) t.reset();
    };
    clamp_token(pinned_token);
    clamp_token(hovered_token);
    clamp_token(hovered_key);
  }
};

}  // namespace attnviz::ui

// HeatmapRenderer: puts attention maps on the GPU and colours them with shaders/heatmap.*.
// A map is uploaded once per trace or selection change as a float texture; the visible window
// is coloured into an offscreen target only when the window, size or style changes, and ImGui
// shows that target with ImGui::Image. The model grid is one atlas of every head's thumbnail,
// coloured once per trace, so a frame costs a handful of textured quads at any T.
//
// Legend: T tokens, L layers, H heads; maps are (T, T), rows = queries.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "ui/gl_renderer.h"
#include "ui/heatmap_math.h"

namespace attnviz::ui {

// How values become colours.
struct HeatmapStyle {
  float value_max = 1.0f;  // value at the top of the colour map
  float gamma = 1.0f;      // 1 linear, 0.5 = square root (lifts faint weights)
  bool causal = false;     // draw keys after the query as masked
  bool hatch = true;       // hatch masked cells (false: flat grey)
  bool operator==(const HeatmapStyle&) const = default;
};

// Settings of the heatmap panel a person changes (kept with the renderer of that view).
struct HeatmapPanelSettings {
  bool scale_to_map_max = true;  // colour map spans [0, max of the map] instead of [0, 1]
  bool sqrt_contrast = false;    // gamma 0.5
  bool show_labels = true;
  bool dragging = false;         // a pan drag started on the map (not a click)
  bool set_hovered_key = false;  // this panel set view.hovered_key (and clears it on leaving)
  // The view's map is being computed elsewhere (see provide_map): the panel shows the previous
  // map of the same size, marked as such, instead of computing it on the UI thread.
  bool map_pending = false;
};

// Settings of the model grid.
struct GridSettings {
  bool per_head_contrast = true;  // each thumbnail scaled to its own max
  float thumbnail_pixels = 72.0f;
};

// Identifies a trace cheaply: address plus sizes plus a few sampled weights, so a new trace
// at a recycled address is still noticed.
struct TraceFingerprint {
  const AttentionTrace* address = nullptr;
  int tokens = 0, layers = 0, heads = 0;
  double forward_ms = 0.0;
  float sample = 0.0f;
  bool operator==(const TraceFingerprint&) const = default;
};
TraceFingerprint fingerprint(const AttentionTrace& trace);

// The (T, T) map a heatmap shows, kept on the CPU for tooltips and on the GPU for drawing.
struct SelectedMap {
  MapRequest request;
  int tokens = 0;
  std::vector<float> values;  // (T, T), rows = queries
  float max_value = 0.0f;
  unsigned version = 0;  // bumped on every rebuild
  float value(int query, int key) const {
    return values[static_cast<size_t>(query) * tokens + key];
  }
};

// Where each head's thumbnail sits in the coloured grid atlas.
struct GridAtlas {
  int layers = 0, heads = 0;
  Thumbnail thumbnail;          // texels per tile side and cells per texel
  int tile_pixels = 0;          // framebuffer pixels per tile side in the coloured texture
  void* texture = nullptr;      // ImTextureID of the coloured atlas (rows bottom-up)
  std::vector<float> head_max;  // (L, H) largest weight of each head
  // UV rectangle of (layer, head) for ImGui::Image (flipped for the bottom-up rows).
  void uv(int layer, int head, float out_uv0[2], float out_uv1[2]) const;
};

class HeatmapRenderer {
 public:
  HeatmapRenderer();
  ~HeatmapRenderer();
  HeatmapRenderer(const HeatmapRenderer&) = delete;
  HeatmapRenderer& operator=(const HeatmapRenderer&) = delete;

  // Loads the shaders and the colour map on first use; false (see error()) when it failed.
  bool ready();
  // Shader, framebuffer or GL errors, to show in the panel instead of the map.
  const std::string& error() const { return error_; }

  // The map for `request`; rebuilt and re-uploaded only when the trace or request changed.
  // Rollout and the all-layer mean cost O(L·T³) / O(L·H·T²) on this thread (seconds at
  // T = 1024): an app that computes them elsewhere hands them over with provide_map().
  const SelectedMap& selected_map(const AttentionTrace& trace, const MapRequest& request);
  // Installs a map computed elsewhere (e.g. the compute worker) for this trace and request;
  // selected_map() then uses it instead of computing. `values` is (T, T), rows = queries.
  void provide_map(const AttentionTrace& trace, const MapRequest& request,
                   std::vector<float> values);
  // Whether the map of (trace, request) is the one held (selected_map() would not rebuild).
  bool has_map(const AttentionTrace& trace, const MapRequest& request) const;
  // The map held now (version 0: none yet), whatever trace and request it was built for.
  const SelectedMap& last_map() const { return map_; }
  // Colours the selected map's visible window (transform, in pixels `pixel_width` x
  // `pixel_height`) into the view target; returns its ImTextureID, or nullptr on error.
  void* render_view(const HeatmapTransform& transform, int pixel_width, int pixel_height,
                    const HeatmapStyle& style);

  // The grid atlas of every head of the trace: values rebuilt when the trace or contrast
  // change, colours re-rendered when the tile size (`tile_pixels`, framebuffer pixels per
  // thumbnail side, so thumbnails are shown pixel for pixel) changes.
  const GridAtlas& grid_atlas(const AttentionTrace& trace, const GridSettings& settings,
                              int tile_pixels);
  // One head of the atlas coloured at `pixels` x `pixels` (the hover preview); nullptr on error.
  void* render_grid_preview(int layer, int head, int pixels);

  // Renders an arbitrary (T, T) map into `target` at its size, whole map visible. Used by the
  // self test and available to exporters of "what is on screen".
  Status render_map_to(GlRenderTarget& target, int cells, std::span<const float> values,
                       const HeatmapStyle& style);

  HeatmapPanelSettings panel;  // the heatmap panel's own settings
  GridSettings grid;           // the model grid's own settings

 private:
  struct Pass;  // one draw of the heatmap program
  Status draw(const Pass& pass);
  void upload_atlas_values(const AttentionTrace& trace, bool per_head_contrast);

  bool initialized_ = false;
  std::string error_;
  ShaderProgram program_;
  GlTexture colormap_;
  unsigned vertex_array_ = 0;

  TraceFingerprint map_trace_;
  SelectedMap map_;
  GlTexture map_texture_;
  GlRenderTarget view_target_;
  struct ViewKey {
    unsigned version = 0;
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    int width = 0, height = 0;
    HeatmapStyle style;
    bool operator==(const ViewKey&) const = default;
  };
  ViewKey view_key_;
  bool view_valid_ = false;

  TraceFingerprint grid_trace_;
  bool grid_per_head_ = true;
  GridAtlas atlas_;
  GlTexture atlas_values_;
  bool atlas_causal_ = false;
  GlRenderTarget atlas_target_;
  int atlas_tile_pixels_ = 0;
  GlRenderTarget preview_target_;
  int preview_layer_ = -1, preview_head_ = -1;
  std::vector<float> scratch_;
};

}  // namespace attnviz::ui

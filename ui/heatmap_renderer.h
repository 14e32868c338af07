// HeatmapRenderer: puts attention maps on the GPU and colours them with shaders/heatmap.*, the
// GPU twin of the heatmap rule (core/view/map_picture.h): a view's map is uploaded once per
// trace and selection as a float texture; its visible window is coloured into an offscreen
// target only when the window, size or style changes, and ImGui shows that target. The model
// grid is one atlas of every head's thumbnail (core/view grid_atlas), coloured once per trace,
// so a frame costs a handful of textured quads at any T.
//
// Legend: T tokens, L layers, H heads; maps are (T, T), rows = queries.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/view/heatmap_values.h"
#include "core/view/map_picture.h"
#include "core/view/view_spec.h"
#include "ui/gl_renderer.h"

namespace attnviz::ui {

using attnviz::map_key;
using attnviz::MapKey;

// What a heatmap shows, kept on the CPU and on the GPU: the whole (T, T) map, a pooled
// overview or an exact region (core/view/heatmap_values.h), for a map key and a plan.
struct SelectedMap {
  MapKey key;
  HeatmapPlan plan;
  int tokens = 0;
  HeatmapValues values;
  unsigned version = 0;  // bumped on every rebuild
  float max_value() const { return values.max_value; }
};

// The grid's atlas on the GPU: where each head's thumbnail sits, its values and colours.
struct GridAtlas {
  MapAtlas values;              // core/view grid_atlas: texels of every head
  std::vector<float> head_max;  // (L, H) largest weight of each head
  int layers = 0, heads = 0;
  int tile_pixels = 0;      // framebuffer pixels per tile side in the coloured texture
  void* texture = nullptr;  // ImTextureID of the coloured atlas (rows bottom-up)
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

  // The overview of the map for `key` (heatmap_overview), computed by `compute` only when the
  // key changed; kept while the picture shows a region of it.
  const HeatmapValues& overview(const MapKey& key, int tokens,
                                const std::function<HeatmapValues()>& compute);
  // The values the picture shows for `key` and `plan`, computed by `compute` and uploaded only
  // when either changed.
  const SelectedMap& selected_map(const MapKey& key, const HeatmapPlan& plan, int tokens,
                                  const std::function<HeatmapValues()>& compute);
  // The plan of the values on the GPU when they are of a text of `tokens` (else the default).
  HeatmapPlan shown_plan(int tokens) const {
    return map_.version != 0 && map_.tokens == tokens ? map_.plan : HeatmapPlan{};
  }
  // Colours the window of the selected map into the view target at `pixel_width` x
  // `pixel_height`; returns its ImTextureID, or nullptr on error.
  void* render_view(const MapWindow& window, int pixel_width, int pixel_height,
                    const MapStyle& style);

  // The grid atlas of a trace: values rebuilt when the trace or the contrast change (from
  // `computed` when the engine made them, else here), colours re-rendered when the tile size
  // (framebuffer pixels per thumbnail side) changes.
  const GridAtlas& grid_atlas(uint64_t trace_id, const AttentionReader& reader,
                              bool per_head_contrast, int tile_pixels, const MapStyle& style,
                              const MapAtlas* computed = nullptr,
                              const std::vector<float>* computed_head_max = nullptr);
  // One head of the atlas coloured at `pixels` x `pixels` (the hover preview); nullptr on error.
  void* render_grid_preview(int layer, int head, int pixels);

  // Colours a window of an atlas into `target` at its size (the self test uses it).
  Status render_to(GlRenderTarget& target, const MapAtlas& atlas, const MapWindow& window,
                   const MapStyle& style);

 private:
  struct Pass;  // one draw of the heatmap program
  Status draw(const Pass& pass);

  bool initialized_ = false;
  std::string error_;
  ShaderProgram program_;
  GlTexture colormap_;
  unsigned vertex_array_ = 0;

  MapKey overview_key_;
  bool has_overview_ = false;
  int overview_tokens_ = 0;
  HeatmapValues overview_;
  SelectedMap map_;
  GlTexture map_texture_;
  GlRenderTarget view_target_;
  struct ViewKey {
    unsigned version = 0;
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    int width = 0, height = 0;
    float value_max = 0, gamma = 0;
    Rgba masked, outside;
    bool causal = false;
    std::vector<int> windows;
    Rgba window_masked;
    bool operator==(const ViewKey&) const = default;
  };
  ViewKey view_key_;
  bool view_valid_ = false;

  uint64_t grid_trace_ = 0;
  bool grid_per_head_ = true;
  GridAtlas atlas_;
  MapStyle atlas_style_;
  GlTexture atlas_values_;
  GlRenderTarget atlas_target_;
  int atlas_tile_pixels_ = 0;
  GlRenderTarget preview_target_;
  int preview_layer_ = -1, preview_head_ = -1;
};

}  // namespace attnviz::ui

#include "core/view/map_picture.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace attnviz {

namespace {

constexpr int kMaxTaps = 12;  // texels read per axis at most; larger footprints are strided

}  // namespace

MaskKind texel_mask(const MapAtlas& atlas, const MapStyle& style, int x, int y) {
  const int tile = atlas.tile_texels, block = atlas.block;
  const int first_key = atlas.origin_x + (x % tile) * block, last_key = first_key + block - 1;
  const int first_query = atlas.origin_y + (y % tile) * block,
            last_query = first_query + block - 1;
  if (style.causal && first_key > last_query) return MaskKind::kCausal;
  const size_t row = static_cast<size_t>(y / tile);
  const int window = row < style.windows.size() && row < static_cast<size_t>(kMaxWindowRows)
                         ? style.windows[row]
                         : 0;
  // Query q sees keys q − W < k (and k < q + W when bidirectional): ScoreRule::visible.
  if (window > 0 &&
      (last_key <= first_query - window || (!style.causal && first_key >= last_query + window)))
    return MaskKind::kOutsideWindow;
  return MaskKind::kNone;
}

MapAtlas single_map_atlas(std::vector<float> map, int tokens) {
  assert(map.size() == static_cast<size_t>(tokens) * tokens && "single_map_atlas: not (T, T)");
  MapAtlas atlas;
  atlas.width = atlas.height = atlas.tile_texels = tokens;
  atlas.values = std::move(map);
  return atlas;
}

MapAtlas grid_atlas(const AttentionReader& reader, bool per_head_contrast, int max_texels,
                    std::vector<float>& head_max) {
  const int layers = reader.layers(), heads = reader.heads();
  MapAtlas atlas;
  head_max.assign(static_cast<size_t>(layers) * heads, 0.0f);
  if (layers == 0 || heads == 0 || reader.tokens_count() == 0) return atlas;
  const Thumbnail layout = thumbnail_layout(reader.tokens_count(), max_texels);
  const int n = layout.texels;
  atlas.width = heads * n;
  atlas.height = layers * n;
  atlas.tile_texels = n;
  atlas.block = layout.block;
  atlas.values.assign(static_cast<size_t>(atlas.width) * atlas.height, 0.0f);
  std::vector<float> tile(static_cast<size_t>(n) * n);  // (n, n)
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < heads; ++h) {
      downsample_max(reader, l, h, layout, 1.0f, tile);
      const float largest = map_max(tile);
      head_max[static_cast<size_t>(l) * heads + h] = largest;
      const float divide = per_head_contrast && largest > 0.0f ? largest : 1.0f;
      for (int r = 0; r < n; ++r) {
        float* dst = atlas.values.data() + static_cast<size_t>(l * n + r) * atlas.width + h * n;
        const float* src = tile.data() + static_cast<size_t>(r) * n;
        for (int c = 0; c < n; ++c) dst[c] = src[c] / divide;
      }
    }
  }
  return atlas;
}

Rgba map_value_colour(float value, const MapStyle& style) {
  float t = std::clamp(value / std::max(style.value_max, 1e-20f), 0.0f, 1.0f);
  t = std::pow(t, style.gamma);
  return viridis(t);
}

MapWindow tile_window(const MapAtlas& atlas, int layer, int head) {
  const float n = static_cast<float>(atlas.tile_texels);
  return {head * n, layer * n, (head + 1) * n, (layer + 1) * n};
}

std::vector<Rgba> paint_map(const MapAtlas& atlas, const MapWindow& window, const MapStyle& style,
                            int width, int height) {
  std::vector<Rgba> pixels(static_cast<size_t>(std::max(width, 0)) * std::max(height, 0),
                           style.outside);
  if (width <= 0 || height <= 0 || atlas.tile_texels <= 0) return pixels;
  // The footprint of one pixel in texels, as shaders/heatmap.frag's u_texels_per_pixel.
  const float per_pixel_x = (window.x1 - window.x0) / static_cast<float>(width);
  const float per_pixel_y = (window.y1 - window.y0) / static_cast<float>(height);
  const bool pooled = per_pixel_x > 1.0f || per_pixel_y > 1.0f;
  const int tile = atlas.tile_texels;
  for (int row = 0; row < height; ++row) {
    // The pixel's centre in texel space (the vertex shader interpolates the same way).
    const float cy = window.y0 + (window.y1 - window.y0) * ((row + 0.5f) / height);
    for (int column = 0; column < width; ++column) {
      const float cx = window.x0 + (window.x1 - window.x0) * ((column + 0.5f) / width);
      if (cx < 0.0f || cy < 0.0f || cx >= atlas.width || cy >= atlas.height) continue;
      const int tx = static_cast<int>(std::floor(cx)), ty = static_cast<int>(std::floor(cy));
      int low_x = tx, low_y = ty, high_x = tx, high_y = ty;
      if (pooled) {
        const int origin_x = (tx / tile) * tile, origin_y = (ty / tile) * tile;
        low_x = std::max(static_cast<int>(std::floor(cx - 0.5f * per_pixel_x)), origin_x);
        low_y = std::max(static_cast<int>(std::floor(cy - 0.5f * per_pixel_y)), origin_y);
        // Inside the tile and the atlas (a region's tile may be wider than it is tall).
        high_x = std::min({static_cast<int>(std::ceil(cx + 0.5f * per_pixel_x)) - 1,
                           origin_x + tile - 1, atlas.width - 1});
        high_y = std::min({static_cast<int>(std::ceil(cy + 0.5f * per_pixel_y)) - 1,
                           origin_y + tile - 1, atlas.height - 1});
        high_x = std::max(high_x, low_x);
        high_y = std::max(high_y, low_y);
      }
      const int step_x = std::max((high_x - low_x + kMaxTaps) / kMaxTaps, 1);
      const int step_y = std::max((high_y - low_y + kMaxTaps) / kMaxTaps, 1);
      float value = -1.0f;  // stays negative when every texel of the footprint is masked
      bool any_causal = false;
      for (int y = low_y; y <= high_y; y += step_y) {
        for (int x = low_x; x <= high_x; x += step_x) {
          const MaskKind mask = texel_mask(atlas, style, x, y);
          if (mask == MaskKind::kNone)
            value = std::max(value, atlas.values[static_cast<size_t>(y) * atlas.width + x]);
          any_causal |= mask == MaskKind::kCausal;
        }
      }
      Rgba& pixel = pixels[static_cast<size_t>(row) * width + column];
      if (value >= 0.0f) {
        pixel = map_value_colour(value, style);
      } else {
        pixel = any_causal ? style.masked : style.window_masked;
      }
    }
  }
  return pixels;
}

}  // namespace attnviz

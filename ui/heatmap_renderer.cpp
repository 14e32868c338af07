#include "ui/heatmap_renderer.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace attnviz::ui {

TraceFingerprint fingerprint(const AttentionTrace& trace) {
  TraceFingerprint print;
  print.address = &trace;
  print.tokens = trace.tokens_count();
  print.layers = trace.layers();
  print.heads = trace.heads();
  print.forward_ms = trace.timings.forward_ms;
  if (print.tokens > 0 && print.layers > 0 && print.heads > 0) {
    // A handful of weights spread over layers, heads and the last query row.
    const int last = print.tokens - 1;
    for (int i = 0; i < 8; ++i) {
      const int layer = (i * 5) % print.layers, head = (i * 7) % print.heads;
      const int key = (i * 131) % trace.row_length(last);
      print.sample += trace.weight(layer, head, last, key) * static_cast<float>(i + 1);
    }
  }
  return print;
}

void GridAtlas::uv(int layer, int head, float out_uv0[2], float out_uv1[2]) const {
  const float u0 = static_cast<float>(head) / heads, u1 = static_cast<float>(head + 1) / heads;
  // Tile rows go down from the top in layer order; the texture's rows go bottom-up.
  const float v_top = 1.0f - static_cast<float>(layer) / layers;
  const float v_bottom = 1.0f - static_cast<float>(layer + 1) / layers;
  out_uv0[0] = u0;
  out_uv0[1] = v_top;
  out_uv1[0] = u1;
  out_uv1[1] = v_bottom;
}

struct HeatmapRenderer::Pass {
  GlRenderTarget* target = nullptr;
  const GlTexture* values = nullptr;
  int tile_texels = 1;
  int block = 1;
  Vec2f cell_min, cell_max;  // cell window across the whole target
  HeatmapStyle style;
};

HeatmapRenderer::HeatmapRenderer() = default;

HeatmapRenderer::~HeatmapRenderer() {
  if (vertex_array_ != 0) glDeleteVertexArrays(1, &vertex_array_);
}

bool HeatmapRenderer::ready() {
  if (initialized_) return error_.empty();
  initialized_ = true;
  auto dir = shader_directory();
  if (!dir) {
    error_ = dir.error().message;
    return false;
  }
  auto program = ShaderProgram::from_files(*dir, "heatmap.vert", "heatmap.frag");
  if (!program) {
    error_ = program.error().message;
    return false;
  }
  program_ = std::move(*program);
  const std::vector<uint8_t> lut = viridis_rgba_lut();
  colormap_.upload_rgba8(256, 1, lut, /*nearest=*/true);  // same entries as the exporters
  glGenVertexArrays(1, &vertex_array_);  // core profile draws need one, even without buffers
  if (std::string gl_error = gl_error_text(); !gl_error.empty()) {
    error_ = "heatmap renderer setup: " + gl_error;
    return false;
  }
  return true;
}

Status HeatmapRenderer::draw(const Pass& pass) {
  GlStateGuard guard;
  glBindFramebuffer(GL_FRAMEBUFFER, pass.target->framebuffer());
  glViewport(0, 0, pass.target->width(), pass.target->height());
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);
  program_.use();
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, pass.values->id());
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, colormap_.id());
  glUniform1i(program_.uniform("u_values"), 0);
  glUniform1i(program_.uniform("u_colormap"), 1);
  glUniform2f(program_.uniform("u_cell_min"), pass.cell_min.x, pass.cell_min.y);
  glUniform2f(program_.uniform("u_cell_max"), pass.cell_max.x, pass.cell_max.y);
  glUniform2f(program_.uniform("u_atlas_texels"), static_cast<float>(pass.values->width()),
              static_cast<float>(pass.values->height()));
  glUniform2f(program_.uniform("u_texels_per_pixel"),
              (pass.cell_max.x - pass.cell_min.x) / static_cast<float>(pass.target->width()),
              (pass.cell_max.y - pass.cell_min.y) / static_cast<float>(pass.target->height()));
  glUniform1i(program_.uniform("u_tile_texels"), pass.tile_texels);
  glUniform1i(program_.uniform("u_block"), pass.block);
  glUniform1i(program_.uniform("u_causal"), pass.style.causal ? 1 : 0);
  glUniform1f(program_.uniform("u_value_max"), pass.style.value_max);
  glUniform1f(program_.uniform("u_gamma"), pass.style.gamma);
  glUniform1i(program_.uniform("u_hatch"), pass.style.hatch ? 1 : 0);
  glUniform4f(program_.uniform("u_background"), 0.0f, 0.0f, 0.0f, 0.0f);
  glUniform4f(program_.uniform("u_mask_colour"), 0.16f, 0.16f, 0.18f, 1.0f);
  glUniform4f(program_.uniform("u_hatch_colour"), 0.27f, 0.27f, 0.30f, 1.0f);
  glBindVertexArray(vertex_array_);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  if (std::string gl_error = gl_error_text(); !gl_error.empty())
    return make_error("heatmap draw: " + gl_error);
  return Ok{};
}

const SelectedMap& HeatmapRenderer::selected_map(const AttentionTrace& trace,
                                                 const MapRequest& request) {
  const TraceFingerprint print = fingerprint(trace);
  if (print == map_trace_ && request == map_.request && map_.version != 0) return map_;
  map_trace_ = print;
  map_.request = request;
  map_.tokens = trace.tokens_count();
  build_map(trace, request, map_.values);
  map_.max_value = map_max(map_.values);
  ++map_.version;
  view_valid_ = false;
  if (map_.tokens > 0 && ready()) map_texture_.upload_r32f(map_.tokens, map_.tokens, map_.values);
  return map_;
}

bool HeatmapRenderer::has_map(const AttentionTrace& trace, const MapRequest& request) const {
  return map_.version != 0 && request == map_.request && fingerprint(trace) == map_trace_;
}

void HeatmapRenderer::provide_map(const AttentionTrace& trace, const MapRequest& request,
                                  std::vector<float> values) {
  [[maybe_unused]] const size_t tokens = static_cast<size_t>(trace.tokens_count());
  assert(values.size() == tokens * tokens && "provide_map: the map must be (T, T)");
  map_trace_ = fingerprint(trace);
  map_.request = request;
  map_.tokens = trace.tokens_count();
  map_.values = std::move(values);
  map_.max_value = map_max(map_.values);
  ++map_.version;
  view_valid_ = false;
  if (map_.tokens > 0 && ready()) map_texture_.upload_r32f(map_.tokens, map_.tokens, map_.values);
}

void* HeatmapRenderer::render_view(const HeatmapTransform& transform, int pixel_width,
                                   int pixel_height, const HeatmapStyle& style) {
  if (!ready() || map_.tokens == 0 || pixel_width <= 0 || pixel_height <= 0) return nullptr;
  const Vec2f low = transform.visible_min(), high = transform.visible_max();
  const ViewKey key{map_.version, low.x, low.y, high.x, high.y, pixel_width, pixel_height, style};
  if (view_valid_ && key == view_key_) return view_target_.texture().imgui_id();
  if (Status resized = view_target_.resize(pixel_width, pixel_height); !resized) {
    error_ = resized.error().message;
    return nullptr;
  }
  Pass pass;
  pass.target = &view_target_;
  pass.values = &map_texture_;
  pass.tile_texels = map_.tokens;
  pass.cell_min = low;
  pass.cell_max = high;
  pass.style = style;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return nullptr;
  }
  view_key_ = key;
  view_valid_ = true;
  return view_target_.texture().imgui_id();
}

const GridAtlas& HeatmapRenderer::grid_atlas(const AttentionTrace& trace,
                                             const GridSettings& settings, int tile_pixels) {
  const TraceFingerprint print = fingerprint(trace);
  tile_pixels = std::clamp(tile_pixels, 8, 512);
  const bool values_current =
      print == grid_trace_ && settings.per_head_contrast == grid_per_head_ && atlas_.heads > 0;
  if (values_current && tile_pixels == atlas_tile_pixels_ && atlas_.texture) return atlas_;
  if (!ready() || trace.layers() == 0 || trace.heads() == 0 || trace.tokens_count() == 0) {
    atlas_ = GridAtlas{};
    return atlas_;
  }
  if (!values_current) {
    grid_trace_ = print;
    grid_per_head_ = settings.per_head_contrast;
    upload_atlas_values(trace, settings.per_head_contrast);
    preview_layer_ = preview_head_ = -1;
  }
  atlas_.texture = nullptr;
  const int n = atlas_.thumbnail.texels;
  if (Status resized =
          atlas_target_.resize(atlas_.heads * tile_pixels, atlas_.layers * tile_pixels);
      !resized) {
    error_ = resized.error().message;
    return atlas_;
  }
  Pass pass;
  pass.target = &atlas_target_;
  pass.values = &atlas_values_;
  pass.tile_texels = n;
  pass.block = atlas_.thumbnail.block;
  pass.cell_min = {0.0f, 0.0f};
  pass.cell_max = {static_cast<float>(atlas_.heads * n), static_cast<float>(atlas_.layers * n)};
  pass.style.causal = atlas_causal_;
  pass.style.hatch = false;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return atlas_;
  }
  atlas_tile_pixels_ = tile_pixels;
  atlas_.tile_pixels = tile_pixels;
  atlas_.texture = atlas_target_.texture().imgui_id();
  return atlas_;
}

void HeatmapRenderer::upload_atlas_values(const AttentionTrace& trace, bool per_head_contrast) {
  // (L * n, H * n) texels: tile (layer, head) at rows layer*n, columns head*n.
  const int layers = trace.layers(), heads = trace.heads();
  const Thumbnail layout = thumbnail_layout(trace.tokens_count(), 128);
  const int n = layout.texels;
  const int atlas_width = heads * n, atlas_height = layers * n;
  std::vector<float> atlas(static_cast<size_t>(atlas_width) * atlas_height, 0.0f);
  scratch_.resize(static_cast<size_t>(n) * n);
  atlas_.head_max.assign(static_cast<size_t>(layers) * heads, 0.0f);
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < heads; ++h) {
      downsample_max(trace, l, h, layout, 1.0f, scratch_);
      const float head_max = map_max(scratch_);
      atlas_.head_max[static_cast<size_t>(l) * heads + h] = head_max;
      const float divide = per_head_contrast && head_max > 0.0f ? head_max : 1.0f;
      for (int r = 0; r < n; ++r) {
        float* dst = atlas.data() + static_cast<size_t>(l * n + r) * atlas_width + h * n;
        const float* src = scratch_.data() + static_cast<size_t>(r) * n;
        for (int c = 0; c < n; ++c) dst[c] = src[c] / divide;
      }
    }
  }
  atlas_values_.upload_r32f(atlas_width, atlas_height, atlas);
  atlas_.layers = layers;
  atlas_.heads = heads;
  atlas_.thumbnail = layout;
  atlas_causal_ = trace.causal();
}

void* HeatmapRenderer::render_grid_preview(int layer, int head, int pixels) {
  if (!atlas_.texture || layer < 0 || head < 0 || layer >= atlas_.layers || head >= atlas_.heads ||
      pixels <= 0)
    return nullptr;
  if (layer == preview_layer_ && head == preview_head_ && preview_target_.width() == pixels)
    return preview_target_.texture().imgui_id();
  if (Status resized = preview_target_.resize(pixels, pixels); !resized) {
    error_ = resized.error().message;
    return nullptr;
  }
  const float n = static_cast<float>(atlas_.thumbnail.texels);
  Pass pass;
  pass.target = &preview_target_;
  pass.values = &atlas_values_;
  pass.tile_texels = atlas_.thumbnail.texels;
  pass.block = atlas_.thumbnail.block;
  pass.cell_min = {head * n, layer * n};
  pass.cell_max = {(head + 1) * n, (layer + 1) * n};
  pass.style.causal = atlas_causal_;
  pass.style.hatch = false;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return nullptr;
  }
  preview_layer_ = layer;
  preview_head_ = head;
  return preview_target_.texture().imgui_id();
}

Status HeatmapRenderer::render_map_to(GlRenderTarget& target, int cells,
                                      std::span<const float> values, const HeatmapStyle& style) {
  if (!ready()) return make_error(error_);
  if (cells <= 0 || values.size() < static_cast<size_t>(cells) * cells)
    return make_error("render_map_to: the map has fewer than cells*cells values");
  GlTexture texture;
  texture.upload_r32f(cells, cells, values);
  Pass pass;
  pass.target = &target;
  pass.values = &texture;
  pass.tile_texels = cells;
  pass.cell_min = {0.0f, 0.0f};
  pass.cell_max = {static_cast<float>(cells), static_cast<float>(cells)};
  pass.style = style;
  return draw(pass);
}

}  // namespace attnviz::ui

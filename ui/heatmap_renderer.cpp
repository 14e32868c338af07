#include "ui/heatmap_renderer.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace attnviz::ui {

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
  int origin_x = 0, origin_y = 0;  // cell of each tile's first texel
  MapWindow window;  // texel window across the whole target
  MapStyle style;
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
  // The colour registry's viridis, entry for entry (the shader picks the nearest entry).
  const std::array<uint8_t, 768>& table = viridis_table_rgb8();
  std::vector<uint8_t> lut(256 * 4, 255);
  for (int i = 0; i < 256; ++i)
    for (int c = 0; c < 3; ++c) lut[i * 4 + c] = table[i * 3 + c];
  colormap_.upload_rgba8(256, 1, lut, /*nearest=*/true);
  glGenVertexArrays(1, &vertex_array_);  // core profile draws need one, even without buffers
  if (std::string gl_error = gl_error_text(); !gl_error.empty()) {
    error_ = "heatmap renderer setup: " + gl_error;
    return false;
  }
  return true;
}

Status HeatmapRenderer::draw(const Pass& pass) {
  auto colour = [](Rgba c) {
    return std::array<float, 4>{c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, c.a / 255.0f};
  };
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
  const MapWindow& w = pass.window;
  glUniform1i(program_.uniform("u_values"), 0);
  glUniform1i(program_.uniform("u_colormap"), 1);
  glUniform2f(program_.uniform("u_cell_min"), w.x0, w.y0);
  glUniform2f(program_.uniform("u_cell_max"), w.x1, w.y1);
  glUniform2f(program_.uniform("u_atlas_texels"), static_cast<float>(pass.values->width()),
              static_cast<float>(pass.values->height()));
  glUniform2f(program_.uniform("u_texels_per_pixel"),
              (w.x1 - w.x0) / static_cast<float>(pass.target->width()),
              (w.y1 - w.y0) / static_cast<float>(pass.target->height()));
  glUniform1i(program_.uniform("u_tile_texels"), pass.tile_texels);
  glUniform1i(program_.uniform("u_block"), pass.block);
  glUniform2i(program_.uniform("u_origin"), pass.origin_x, pass.origin_y);
  glUniform1i(program_.uniform("u_causal"), pass.style.causal ? 1 : 0);
  glUniform1f(program_.uniform("u_value_max"), pass.style.value_max);
  glUniform1f(program_.uniform("u_gamma"), pass.style.gamma);
  const auto outside = colour(pass.style.outside), masked = colour(pass.style.masked);
  const auto window_masked = colour(pass.style.window_masked);
  glUniform4f(program_.uniform("u_background"), outside[0], outside[1], outside[2], outside[3]);
  glUniform4f(program_.uniform("u_mask_colour"), masked[0], masked[1], masked[2], masked[3]);
  glUniform4f(program_.uniform("u_window_colour"), window_masked[0], window_masked[1],
              window_masked[2], window_masked[3]);
  const int window_rows = std::min(static_cast<int>(pass.style.windows.size()), kMaxWindowRows);
  glUniform1i(program_.uniform("u_window_rows"), window_rows);
  if (window_rows > 0)
    glUniform1iv(program_.uniform("u_windows"), window_rows, pass.style.windows.data());
  glBindVertexArray(vertex_array_);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  if (std::string gl_error = gl_error_text(); !gl_error.empty())
    return make_error("heatmap draw: " + gl_error);
  return Ok{};
}

const HeatmapValues& HeatmapRenderer::overview(const MapKey& key, int tokens,
                                               const std::function<HeatmapValues()>& compute) {
  if (has_overview_ && key == overview_key_ && overview_tokens_ == tokens) return overview_;
  overview_ = compute();
  overview_key_ = key;
  overview_tokens_ = tokens;
  has_overview_ = true;
  return overview_;
}

const SelectedMap& HeatmapRenderer::selected_map(const MapKey& key, const HeatmapPlan& plan,
                                                 int tokens,
                                                 const std::function<HeatmapValues()>& compute) {
  if (key == map_.key && plan == map_.plan && tokens == map_.tokens && map_.version != 0)
    return map_;
  map_.key = key;
  map_.plan = plan;
  map_.tokens = tokens;
  map_.values = compute();
  const MapAtlas& atlas = map_.values.atlas;
  assert(atlas.values.size() == static_cast<size_t>(atlas.width) * atlas.height &&
         "the map's values must fill its atlas");
  ++map_.version;
  view_valid_ = false;
  if (atlas.width > 0 && atlas.height > 0 && ready())
    map_texture_.upload_r32f(atlas.width, atlas.height, atlas.values);
  return map_;
}

void* HeatmapRenderer::render_view(const MapWindow& window, int pixel_width, int pixel_height,
                                   const MapStyle& style) {
  if (!ready() || map_.values.atlas.width == 0 || pixel_width <= 0 || pixel_height <= 0)
    return nullptr;
  const ViewKey key{map_.version,  window.x0,    window.y0,       window.x1,          window.y1,
                    pixel_width,   pixel_height, style.value_max, style.gamma,        style.masked,
                    style.outside, style.causal, style.windows,   style.window_masked};
  if (view_valid_ && key == view_key_) return view_target_.texture().imgui_id();
  if (Status resized = view_target_.resize(pixel_width, pixel_height); !resized) {
    error_ = resized.error().message;
    return nullptr;
  }
  Pass pass;
  pass.target = &view_target_;
  pass.values = &map_texture_;
  pass.tile_texels = map_.values.atlas.tile_texels;
  pass.block = map_.values.atlas.block;
  pass.origin_x = map_.values.atlas.origin_x;
  pass.origin_y = map_.values.atlas.origin_y;
  pass.window = window;
  pass.style = style;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return nullptr;
  }
  view_key_ = key;
  view_valid_ = true;
  return view_target_.texture().imgui_id();
}

const GridAtlas& HeatmapRenderer::grid_atlas(uint64_t trace_id, const AttentionReader& reader,
                                             bool per_head_contrast, int tile_pixels,
                                             const MapStyle& style, const MapAtlas* computed,
                                             const std::vector<float>* computed_head_max) {
  tile_pixels = std::clamp(tile_pixels, 8, 1024);
  const bool values_current =
      trace_id == grid_trace_ && per_head_contrast == grid_per_head_ && atlas_.heads > 0;
  const bool style_current =
      style.masked == atlas_style_.masked && style.outside == atlas_style_.outside &&
      style.causal == atlas_style_.causal && style.windows == atlas_style_.windows &&
      style.window_masked == atlas_style_.window_masked;
  if (values_current && style_current && tile_pixels == atlas_tile_pixels_ && atlas_.texture)
    return atlas_;
  if (!ready() || reader.layers() == 0 || reader.heads() == 0 || reader.tokens_count() == 0) {
    atlas_ = GridAtlas{};
    return atlas_;
  }
  if (!values_current) {
    grid_trace_ = trace_id;
    grid_per_head_ = per_head_contrast;
    if (computed && computed_head_max) {
      atlas_.values = *computed;
      atlas_.head_max = *computed_head_max;
    } else {
      atlas_.values =
          attnviz::grid_atlas(reader, per_head_contrast, kGridMaxTexels, atlas_.head_max);
    }
    atlas_.layers = reader.layers();
    atlas_.heads = reader.heads();
    atlas_values_.upload_r32f(atlas_.values.width, atlas_.values.height, atlas_.values.values);
    preview_layer_ = preview_head_ = -1;
  }
  atlas_.texture = nullptr;
  atlas_style_ = style;
  if (Status resized =
          atlas_target_.resize(atlas_.heads * tile_pixels, atlas_.layers * tile_pixels);
      !resized) {
    error_ = resized.error().message;
    return atlas_;
  }
  Pass pass;
  pass.target = &atlas_target_;
  pass.values = &atlas_values_;
  pass.tile_texels = atlas_.values.tile_texels;
  pass.block = atlas_.values.block;
  pass.window = {0.0f, 0.0f, static_cast<float>(atlas_.values.width),
                 static_cast<float>(atlas_.values.height)};
  pass.style = style;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return atlas_;
  }
  atlas_tile_pixels_ = tile_pixels;
  atlas_.tile_pixels = tile_pixels;
  atlas_.texture = atlas_target_.texture().imgui_id();
  return atlas_;
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
  Pass pass;
  pass.target = &preview_target_;
  pass.values = &atlas_values_;
  pass.tile_texels = atlas_.values.tile_texels;
  pass.block = atlas_.values.block;
  pass.window = tile_window(atlas_.values, layer, head);
  pass.style = atlas_style_;
  if (Status drawn = draw(pass); !drawn) {
    error_ = drawn.error().message;
    return nullptr;
  }
  preview_layer_ = layer;
  preview_head_ = head;
  return preview_target_.texture().imgui_id();
}

Status HeatmapRenderer::render_to(GlRenderTarget& target, const MapAtlas& atlas,
                                  const MapWindow& window, const MapStyle& style) {
  if (!ready()) return make_error(error_);
  if (atlas.width <= 0 || atlas.height <= 0 ||
      atlas.values.size() < static_cast<size_t>(atlas.width) * atlas.height)
    return make_error("render_to: the atlas has fewer values than its size");
  GlTexture texture;
  texture.upload_r32f(atlas.width, atlas.height, atlas.values);
  Pass pass;
  pass.target = &target;
  pass.values = &texture;
  pass.tile_texels = atlas.tile_texels;
  pass.block = atlas.block;
  pass.origin_x = atlas.origin_x;
  pass.origin_y = atlas.origin_y;
  pass.window = window;
  pass.style = style;
  return draw(pass);
}

}  // namespace attnviz::ui

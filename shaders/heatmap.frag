#version 330 core
// Colours attention weights through a colour-map texture. The value texture is an atlas of
// square tiles (one tile for a single heatmap; layers x heads tiles for the model grid); each
// texel holds the largest weight of a (u_block x u_block) group of cells. When a pixel covers
// several texels (a long text fitted to the panel), it shows their largest weight, so thin
// patterns such as a previous-token diagonal stay visible. Keys after the query (causal mask)
// are drawn in the mask colour, keys before a sliding window in the window's colour; the
// hatches over them are part of the picture's geometry
// (core/view/map_scene.cpp). core/view/map_picture.cpp's paint_map is this rule on the CPU,
// and `attnviz selftest-gl` checks that the two agree.
uniform sampler2D u_values;      // R32F atlas, texel (x = key, y = query)
uniform sampler2D u_colormap;    // 256 x 1 RGBA8 lookup table (viridis), read by entry
uniform vec2 u_atlas_texels;     // atlas size in texels (x, y)
uniform vec2 u_texels_per_pixel; // footprint of one pixel in texels
uniform int u_tile_texels;       // texels per tile side
uniform int u_block;             // cells per texel side (1 = full resolution)
uniform ivec2 u_origin;          // cell (key, query) of each tile's first texel (a region)
uniform int u_causal;            // 1: hide keys after the query
uniform float u_value_max;       // value shown at the top of the colour map
uniform float u_gamma;           // 1 linear, 0.5 square-root contrast for faint weights
uniform vec4 u_background;       // outside the map
uniform vec4 u_mask_colour;      // masked cells (causal)
uniform vec4 u_window_colour;    // cells outside the sliding window
uniform int u_windows[256];      // window of each row of tiles in cells (0: none); kMaxWindowRows
uniform int u_window_rows;       // rows of u_windows set
in vec2 v_cell;
out vec4 frag_colour;

const int kMaxTaps = 12;  // texels read per axis at most; larger footprints are strided

// 0 visible, 1 causal mask (every cell of the texel's block after its query), 2 outside the
// window (every cell before its query's window): map_picture.cpp's texel_mask.
int texel_mask(ivec2 texel) {
  ivec2 local = texel % u_tile_texels;
  int first_key = u_origin.x + local.x * u_block, last_key = first_key + u_block - 1;
  int first_query = u_origin.y + local.y * u_block, last_query = first_query + u_block - 1;
  if (u_causal != 0 && first_key > last_query) return 1;
  int row = texel.y / u_tile_texels;
  int window = row < u_window_rows ? u_windows[row] : 0;
  if (window > 0 && (last_key <= first_query - window ||
                     (u_causal == 0 && first_key >= last_query + window)))
    return 2;
  return 0;
}

void main() {
  if (v_cell.x < 0.0 || v_cell.y < 0.0 || v_cell.x >= u_atlas_texels.x ||
      v_cell.y >= u_atlas_texels.y) {
    frag_colour = u_background;
    return;
  }
  ivec2 texel = ivec2(floor(v_cell));
  ivec2 low = texel, high = texel;
  if (u_texels_per_pixel.x > 1.0 || u_texels_per_pixel.y > 1.0) {
    // The pixel's footprint, kept inside its tile.
    ivec2 tile_origin = (texel / u_tile_texels) * u_tile_texels;
    vec2 half_footprint = 0.5 * u_texels_per_pixel;
    low = max(ivec2(floor(v_cell - half_footprint)), tile_origin);
    high = min(min(ivec2(ceil(v_cell + half_footprint)) - 1, tile_origin + u_tile_texels - 1),
               ivec2(u_atlas_texels) - 1);
    high = max(high, low);
  }
  ivec2 step = max((high - low + kMaxTaps) / kMaxTaps, ivec2(1));
  float value = -1.0;  // stays negative when every texel of the footprint is masked
  bool any_causal = false;
  for (int y = low.y; y <= high.y; y += step.y) {
    for (int x = low.x; x <= high.x; x += step.x) {
      ivec2 at = ivec2(x, y);
      int mask = texel_mask(at);
      if (mask == 0) value = max(value, texelFetch(u_values, at, 0).r);
      if (mask == 1) any_causal = true;
    }
  }
  if (value < 0.0) {
    frag_colour = any_causal ? u_mask_colour : u_window_colour;
    return;
  }
  float t = clamp(value / max(u_value_max, 1e-20), 0.0, 1.0);
  t = pow(t, u_gamma);
  // The nearest of the 256 entries, as core/export/colormap.h's viridis() picks it.
  int entry = clamp(int(floor(t * 255.0 + 0.5)), 0, 255);
  frag_colour = vec4(texelFetch(u_colormap, ivec2(entry, 0), 0).rgb, 1.0);
}

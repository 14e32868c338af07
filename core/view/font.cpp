#include "core/view/font.h"

#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "core/view/text.h"

namespace attnviz {

struct Font::Data {
  std::vector<unsigned char> bytes;
  stbtt_fontinfo info{};        // points into bytes, which never moves after construction
  int ascent = 0, descent = 0;  // font units; descent negative as in the font
};

namespace {

// The missing-glyph box, relative to the em size.
constexpr float kBoxAdvance = 0.72f;
constexpr float kBoxLeft = 0.08f;
constexpr float kBoxWidth = 0.56f;
constexpr float kBoxHeight = 0.72f;

struct GlyphBox {
  int x0, y0, x1, y1;  // pixels relative to the pen on the baseline, y down
};

}  // namespace

bool is_invisible_code_point(char32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || (cp >= 0xE0000 && cp <= 0xE007F) ||
         (cp >= 0xE0100 && cp <= 0xE01EF);
}

Result<Font> Font::load(const std::filesystem::path& ttf_path) {
  std::ifstream in(ttf_path, std::ios::binary);
  if (!in) {
    return make_error(std::string("cannot open the font file '") + ttf_path.string() +
                      "'; install fonts-dejavu-core or set ATTNVIZ_FONT_DIR to a folder with "
                      "DejaVuSans.ttf");
  }
  auto data = std::make_shared<Data>();
  data->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad())
    return make_error(std::string("cannot read the font file '") + ttf_path.string() + "'");
  const int offset =
      data->bytes.size() >= 12 ? stbtt_GetFontOffsetForIndex(data->bytes.data(), 0) : -1;
  if (offset < 0 || !stbtt_InitFont(&data->info, data->bytes.data(), offset)) {
    return make_error(std::string("'") + ttf_path.string() + "' is not a TrueType font");
  }
  int line_gap = 0;
  stbtt_GetFontVMetrics(&data->info, &data->ascent, &data->descent, &line_gap);
  Font font;
  font.data_ = std::move(data);
  return font;
}

std::filesystem::path Font::default_path() {
  const char* folder = std::getenv("ATTNVIZ_FONT_DIR");
  std::filesystem::path base = (folder && *folder) ? folder : ATTNVIZ_FONT_DIR;
  return base / "DejaVuSans.ttf";
}

Result<Font> Font::load_default() {
  return load(default_path());
}

float Font::ascent(float size) const {
  return data_->ascent * stbtt_ScaleForMappingEmToPixels(&data_->info, size);
}

float Font::descent(float size) const {
  return -data_->descent * stbtt_ScaleForMappingEmToPixels(&data_->info, size);
}

bool Font::has_glyph(char32_t code_point) const {
  return stbtt_FindGlyphIndex(&data_->info, static_cast<int>(code_point)) != 0;
}

std::vector<PlacedGlyph> Font::layout(std::string_view utf8, float size) const {
  const float scale = stbtt_ScaleForMappingEmToPixels(&data_->info, size);
  std::vector<PlacedGlyph> glyphs;
  float pen = 0.0f;
  for (char32_t cp : decode_utf8(utf8)) {
    if (is_invisible_code_point(cp)) continue;
    PlacedGlyph placed;
    placed.code_point = cp;
    placed.glyph = stbtt_FindGlyphIndex(&data_->info, static_cast<int>(cp));
    if (placed.glyph != 0) {
      int advance = 0, bearing = 0;
      stbtt_GetGlyphHMetrics(&data_->info, placed.glyph, &advance, &bearing);
      placed.advance = advance * scale;
    } else {
      placed.advance = kBoxAdvance * size;
    }
    if (!glyphs.empty() && glyphs.back().glyph != 0 && placed.glyph != 0) {
      const float kern =
          stbtt_GetGlyphKernAdvance(&data_->info, glyphs.back().glyph, placed.glyph) * scale;
      glyphs.back().advance += kern;
      pen += kern;
    }
    placed.x = pen;
    pen += placed.advance;
    glyphs.push_back(placed);
  }
  return glyphs;
}

float Font::measure(std::string_view utf8, float size) const {
  const auto glyphs = layout(utf8, size);
  return glyphs.empty() ? 0.0f : glyphs.back().x + glyphs.back().advance;
}

std::string Font::fit(std::string_view utf8, float size, float max_width) const {
  if (measure(utf8, size) <= max_width) return std::string(utf8);
  const std::vector<char32_t> cps = decode_utf8(utf8);
  const float ellipsis = measure("\u2026", size);
  std::string out;
  float width = 0.0f;
  for (char32_t cp : cps) {
    std::string one;
    append_utf8(one, cp);
    const float w = measure(one, size);
    if (width + w + ellipsis > max_width) break;
    out += one;
    width += w;
  }
  return out + "\u2026";
}

TextMask Font::render(std::string_view utf8, float size, float subpixel_x) const {
  const float scale = stbtt_ScaleForMappingEmToPixels(&data_->info, size);
  const std::vector<PlacedGlyph> glyphs = layout(utf8, size);

  // Pass 1: the union of glyph boxes sizes the mask.
  std::vector<GlyphBox> boxes;
  boxes.reserve(glyphs.size());
  GlyphBox all{0, static_cast<int>(std::floor(-ascent(size))), 1,
               static_cast<int>(std::ceil(descent(size)))};
  for (const PlacedGlyph& g : glyphs) {
    const float pen = g.x + subpixel_x;
    GlyphBox box{};
    if (g.glyph != 0) {
      stbtt_GetGlyphBitmapBoxSubpixel(&data_->info, g.glyph, scale, scale, pen - std::floor(pen),
                                      0.0f, &box.x0, &box.y0, &box.x1, &box.y1);
      const int shift = static_cast<int>(std::floor(pen));
      box.x0 += shift;
      box.x1 += shift;
    } else {
      box = {static_cast<int>(std::floor(pen + kBoxLeft * size)),
             static_cast<int>(std::floor(-kBoxHeight * size)),
             static_cast<int>(std::ceil(pen + (kBoxLeft + kBoxWidth) * size)), 0};
    }
    boxes.push_back(box);
    all.x0 = std::min(all.x0, box.x0);
    all.y0 = std::min(all.y0, box.y0);
    all.x1 = std::max(all.x1, box.x1);
    all.y1 = std::max(all.y1, box.y1);
  }

  TextMask mask;
  mask.origin_x = -all.x0;
  mask.baseline = -all.y0;
  mask.width = all.x1 - all.x0;
  mask.height = all.y1 - all.y0;
  mask.coverage.assign(static_cast<size_t>(mask.width) * mask.height, 0);

  // Pass 2: rasterize each glyph and add it (saturating) into the mask.
  std::vector<unsigned char> glyph_pixels;
  const float stroke = std::max(1.0f, size / 14.0f);
  for (size_t i = 0; i < glyphs.size(); ++i) {
    const GlyphBox& box = boxes[i];
    const int w = box.x1 - box.x0, h = box.y1 - box.y0;
    if (w <= 0 || h <= 0) continue;
    const int left = box.x0 + mask.origin_x, top = box.y0 + mask.baseline;
    if (glyphs[i].glyph != 0) {
      glyph_pixels.assign(static_cast<size_t>(w) * h, 0);
      const float pen = glyphs[i].x + subpixel_x;
      stbtt_MakeGlyphBitmapSubpixel(&data_->info, glyph_pixels.data(), w, h, w, scale, scale,
                                    pen - std::floor(pen), 0.0f, glyphs[i].glyph);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          uint8_t& dst = mask.coverage[static_cast<size_t>(top + y) * mask.width + left + x];
          dst = static_cast<uint8_t>(
              std::min(255, dst + glyph_pixels[static_cast<size_t>(y) * w + x]));
        }
      }
    } else {
      // The missing-glyph box: an outline `stroke` pixels wide.
      const int s = static_cast<int>(std::lround(stroke));
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const bool edge = x < s || y < s || x >= w - s || y >= h - s;
          if (edge) mask.coverage[static_cast<size_t>(top + y) * mask.width + left + x] = 255;
        }
      }
    }
  }
  return mask;
}

}  // namespace attnviz

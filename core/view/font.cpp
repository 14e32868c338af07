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

namespace {

// One font file's face. Copies share the bytes, which never move after loading.
struct Face {
  std::shared_ptr<const std::vector<unsigned char>> bytes;
  stbtt_fontinfo info{};        // points into *bytes
  int ascent = 0, descent = 0;  // font units; descent negative as in the font
};

Result<Face> load_face(const std::filesystem::path& path, int index) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(std::string("cannot open the font file '") + path.string() +
                      "'; install fonts-dejavu-core or set ATTNVIZ_FONT_DIR to a folder with "
                      "DejaVuSans.ttf");
  }
  auto bytes = std::make_shared<std::vector<unsigned char>>(std::istreambuf_iterator<char>(in),
                                                            std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(std::string("cannot read the font file '") + path.string() + "'");
  Face face;
  const int offset =
      bytes->size() >= 12 ? stbtt_GetFontOffsetForIndex(bytes->data(), index) : -1;
  if (offset < 0 || !stbtt_InitFont(&face.info, bytes->data(), offset))
    return make_error(std::string("'") + path.string() + "' is not a TrueType font");
  int line_gap = 0;
  stbtt_GetFontVMetrics(&face.info, &face.ascent, &face.descent, &line_gap);
  face.bytes = std::move(bytes);
  return face;
}

}  // namespace

struct Font::Data {
  std::vector<Face> faces;  // [0] the font's own; then fallbacks, tried in order
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
  auto face = load_face(ttf_path, 0);
  if (!face) return face.error();
  auto data = std::make_shared<Data>();
  data->faces.push_back(std::move(face).value());
  Font font;
  font.data_ = std::move(data);
  return font;
}

Result<Font> Font::with_fallback(const std::filesystem::path& path, int index) const {
  auto face = load_face(path, index);
  if (!face) return face.error();
  auto data = std::make_shared<Data>(*data_);
  data->faces.push_back(std::move(face).value());
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
  const Face& face = data_->faces.front();
  return face.ascent * stbtt_ScaleForMappingEmToPixels(&face.info, size);
}

float Font::descent(float size) const {
  const Face& face = data_->faces.front();
  return -face.descent * stbtt_ScaleForMappingEmToPixels(&face.info, size);
}

bool Font::has_glyph(char32_t code_point) const {
  for (const Face& face : data_->faces)
    if (stbtt_FindGlyphIndex(&face.info, static_cast<int>(code_point)) != 0) return true;
  return false;
}

std::vector<PlacedGlyph> Font::layout(std::string_view utf8, float size) const {
  std::vector<PlacedGlyph> glyphs;
  float pen = 0.0f;
  for (char32_t cp : decode_utf8(utf8)) {
    if (is_invisible_code_point(cp)) continue;
    PlacedGlyph placed;
    placed.code_point = cp;
    for (size_t f = 0; f < data_->faces.size() && placed.glyph == 0; ++f) {
      placed.glyph = stbtt_FindGlyphIndex(&data_->faces[f].info, static_cast<int>(cp));
      placed.face = static_cast<int>(f);
    }
    if (placed.glyph == 0) placed.face = 0;
    const stbtt_fontinfo& info = data_->faces[placed.face].info;
    const float scale = stbtt_ScaleForMappingEmToPixels(&info, size);
    if (placed.glyph != 0) {
      int advance = 0, bearing = 0;
      stbtt_GetGlyphHMetrics(&info, placed.glyph, &advance, &bearing);
      placed.advance = advance * scale;
    } else {
      placed.advance = kBoxAdvance * size;
    }
    if (!glyphs.empty() && glyphs.back().glyph != 0 && placed.glyph != 0 &&
        glyphs.back().face == placed.face) {
      const float kern =
          stbtt_GetGlyphKernAdvance(&info, glyphs.back().glyph, placed.glyph) * scale;
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
  const std::vector<PlacedGlyph> glyphs = layout(utf8, size);
  const auto info_of = [&](const PlacedGlyph& g) -> const stbtt_fontinfo& {
    return data_->faces[g.face].info;
  };
  const auto scale_of = [&](const PlacedGlyph& g) {
    return stbtt_ScaleForMappingEmToPixels(&info_of(g), size);
  };

  // Pass 1: the union of glyph boxes sizes the mask.
  std::vector<GlyphBox> boxes;
  boxes.reserve(glyphs.size());
  GlyphBox all{0, static_cast<int>(std::floor(-ascent(size))), 1,
               static_cast<int>(std::ceil(descent(size)))};
  for (const PlacedGlyph& g : glyphs) {
    const float pen = g.x + subpixel_x;
    GlyphBox box{};
    if (g.glyph != 0) {
      stbtt_GetGlyphBitmapBoxSubpixel(&info_of(g), g.glyph, scale_of(g), scale_of(g),
                                      pen - std::floor(pen), 0.0f, &box.x0, &box.y0, &box.x1,
                                      &box.y1);
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
      const float scale = scale_of(glyphs[i]);
      stbtt_MakeGlyphBitmapSubpixel(&info_of(glyphs[i]), glyph_pixels.data(), w, h, w, scale,
                                    scale, pen - std::floor(pen), 0.0f, glyphs[i].glyph);
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

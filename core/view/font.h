// TrueType text for the exporters: measuring and rasterizing UTF-8 labels with stb_truetype.
// Sizes are em sizes in pixels, the same meaning as SVG's font-size, so a PNG and an SVG of one
// figure lay out alike. Code points the font lacks (DejaVu has no CJK or emoji) come from its
// fallback faces (the GUI adds the fonts fontconfig finds), else draw as a box.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace attnviz {

// One glyph of a laid-out line. `glyph` 0 means the font lacks the code point: draw a box.
struct PlacedGlyph {
  char32_t code_point = 0;
  int glyph = 0;
  int face = 0;          // 0: the font's own face; then its fallbacks, in the order added
  float x = 0.0f;        // pen position relative to the start of the line, pixels
  float advance = 0.0f;  // pixels, kerning with the next glyph included
};

// 8-bit coverage of one horizontal line of text. The pen starts at column origin_x (plus the
// sub-pixel shift the mask was rendered with) on row `baseline`.
struct TextMask {
  int width = 0;
  int height = 0;
  int origin_x = 0;
  int baseline = 0;
  std::vector<uint8_t> coverage;  // (height, width) row-major, 0..255
};

class Font {
 public:
  // Reads a .ttf file. Errors name the file: missing, unreadable, or not a TrueType font.
  static Result<Font> load(const std::filesystem::path& ttf_path);
  // DejaVu Sans: $ATTNVIZ_FONT_DIR/DejaVuSans.ttf if that variable is set, else the folder
  // configured at build time (package fonts-dejavu-core).
  static std::filesystem::path default_path();
  static Result<Font> load_default();
  // A copy that takes the code points this font lacks from face `index` of another file (.ttf,
  // .otf, or a .ttc collection). Errors name the file.
  Result<Font> with_fallback(const std::filesystem::path& path, int index = 0) const;

  // Font-wide line metrics at an em size, in pixels; descent is positive (below the baseline).
  float ascent(float size) const;
  float descent(float size) const;

  std::vector<PlacedGlyph> layout(std::string_view utf8, float size) const;
  float measure(std::string_view utf8, float size) const;
  bool has_glyph(char32_t code_point) const;  // in any face

  // Anti-aliased coverage of a line; subpixel_x in [0, 1) shifts the pen right.
  TextMask render(std::string_view utf8, float size, float subpixel_x = 0.0f) const;

  // Longest prefix of `utf8` (with … when cut) that fits in max_width pixels.
  std::string fit(std::string_view utf8, float size, float max_width) const;

 private:
  struct Data;
  std::shared_ptr<const Data> data_;  // shared: copies of a Font are cheap and thread-safe
};

// True for code points that take no space and have no shape (joiners, variation selectors,
// byte-order mark): they are skipped instead of drawn as a missing-glyph box.
bool is_invisible_code_point(char32_t code_point);

}  // namespace attnviz

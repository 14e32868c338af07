// Fonts for the scripts DejaVu Sans lacks (CJK, Arabic, Devanagari, Thai...): for each code
// point of the text that the font on screen has no glyph for, fontconfig names an installed
// font that has one. The GUI merges only those code points into ImGui's atlas, so the atlas
// stays small, and adds the faces to the Font that lays out chips and figures. What no font
// has is listed, so the screen can say so instead of a silent "?".
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/view/font.h"

namespace attnviz {

// One installed font face and the code points of the text it draws.
struct FallbackFace {
  std::string path;
  int index = 0;                      // face in a .ttc collection
  std::vector<char32_t> code_points;  // sorted
};

class FallbackFonts {
 public:
  // Looks up the code points of `utf8` that the atlas's own font lacks (`in_atlas` false) and
  // no earlier call looked up. True when a face gained code points (the atlas and the Font need
  // rebuilding).
  bool add_text(std::string_view utf8, const std::function<bool(char32_t)>& in_atlas);

  const std::vector<FallbackFace>& faces() const { return faces_; }
  // Code points no installed font can show here (none has them, only a colour font has them,
  // or they lie beyond U+FFFF, which ImGui's 16-bit atlas cannot hold).
  const std::set<char32_t>& missing() const { return missing_; }

 private:
  std::set<char32_t> seen_;
  std::set<char32_t> missing_;
  std::vector<FallbackFace> faces_;
};

// "no font here has 日 (U+65E5) and 2 more: install fonts-noto-cjk" style line; empty when
// nothing in `text` is missing.
std::string missing_glyphs_note(const std::set<char32_t>& missing, std::string_view text);

}  // namespace attnviz

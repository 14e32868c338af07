#include "app/gui/fallback_fonts.h"

#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/view/text.h"

namespace attnviz {

namespace {

struct FaceName {
  std::string path;
  int index = 0;
  bool operator==(const FaceName&) const = default;
};

// The installed face fontconfig prefers for a sans-serif text with `code_point`, if one has an
// outline for it (colour bitmap fonts such as Noto Color Emoji are no use to stb_truetype).
std::optional<FaceName> face_for(char32_t code_point) {
  if (!FcInit()) return std::nullopt;
  FcPattern* pattern = FcNameParse(reinterpret_cast<const FcChar8*>("sans-serif"));
  FcCharSet* wanted = FcCharSetCreate();
  FcCharSetAddChar(wanted, code_point);
  FcPatternAddCharSet(pattern, FC_CHARSET, wanted);
  FcPatternAddBool(pattern, FC_COLOR, FcFalse);
  FcConfigSubstitute(nullptr, pattern, FcMatchPattern);
  FcDefaultSubstitute(pattern);
  FcResult result = FcResultNoMatch;
  FcFontSet* sorted = FcFontSort(nullptr, pattern, FcFalse, nullptr, &result);
  std::optional<FaceName> found;
  for (int i = 0; sorted && i < sorted->nfont && !found; ++i) {
    FcPattern* font = sorted->fonts[i];
    FcCharSet* has = nullptr;
    FcBool color = FcFalse;
    FcChar8* file = nullptr;
    FcChar8* format = nullptr;
    int index = 0;
    if (FcPatternGetCharSet(font, FC_CHARSET, 0, &has) != FcResultMatch ||
        !FcCharSetHasChar(has, code_point))
      continue;
    if (FcPatternGetBool(font, FC_COLOR, 0, &color) == FcResultMatch && color) continue;
    if (FcPatternGetString(font, FC_FONTFORMAT, 0, &format) == FcResultMatch) {
      const std::string_view kind(reinterpret_cast<const char*>(format));
      if (kind != "TrueType" && kind != "CFF") continue;
    }
    if (FcPatternGetString(font, FC_FILE, 0, &file) != FcResultMatch) continue;
    FcPatternGetInteger(font, FC_INDEX, 0, &index);
    found = FaceName{reinterpret_cast<const char*>(file), index};
  }
  if (sorted) FcFontSetDestroy(sorted);
  FcCharSetDestroy(wanted);
  FcPatternDestroy(pattern);
  return found;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0); }

}  // namespace

bool FallbackFonts::add_text(std::string_view utf8, const std::function<bool(char32_t)>& in_atlas) {
  bool changed = false;
  for (char32_t cp : decode_utf8(utf8)) {
    if (is_control(cp) || is_invisible_code_point(cp) || !seen_.insert(cp).second) continue;
    if (in_atlas(cp)) continue;
    std::optional<FaceName> face = cp <= 0xFFFF ? face_for(cp) : std::nullopt;
    if (!face) {
      missing_.insert(cp);
      continue;
    }
    auto it = std::find_if(faces_.begin(), faces_.end(), [&](const FallbackFace& f) {
      return f.path == face->path && f.index == face->index;
    });
    if (it == faces_.end()) {
      faces_.push_back({face->path, face->index, {}});
      it = faces_.end() - 1;
    }
    it->code_points.insert(std::upper_bound(it->code_points.begin(), it->code_points.end(), cp),
                           cp);
    changed = true;
  }
  return changed;
}

std::string missing_glyphs_note(const std::set<char32_t>& missing, std::string_view text) {
  std::vector<char32_t> here;
  for (char32_t cp : decode_utf8(text))
    if (missing.count(cp) && std::find(here.begin(), here.end(), cp) == here.end())
      here.push_back(cp);
  if (here.empty()) return {};
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(here.front()));
  std::string note = "Cannot draw " + std::string(code);
  if (here.size() > 1) note += " and " + std::to_string(here.size() - 1) + " more";
  note += " (shown as ?): no outline font on this computer has ";
  note += here.size() > 1 ? "them" : "it";
  note += " (emoji need a colour font ImGui cannot draw)";
  return note;
}

}  // namespace attnviz

#include "core/unicode.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <cassert>

namespace attnviz::unicode {
namespace {

bool in_range(unsigned char byte, unsigned char lo, unsigned char hi) {
  return byte >= lo && byte <= hi;
}

// The allowed range of the second byte for a lead byte (Unicode Table 3-7); later
// continuation bytes are always 80..BF.
struct LeadInfo {
  size_t length;  // 0 = not a lead byte
  unsigned char second_lo;
  unsigned char second_hi;
};

LeadInfo lead_info(unsigned char lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (in_range(lead, 0xC2, 0xDF)) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (in_range(lead, 0xE1, 0xEC) || in_range(lead, 0xEE, 0xEF)) return {3, 0x80, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};  // excludes surrogates D800..DFFF
  if (lead == 0xF0) return {4, 0x90, 0xBF};  // excludes overlong forms
  if (in_range(lead, 0xF1, 0xF3)) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0, 0, 0};
}

std::u32string from_utf16(const UChar* units, int32_t count) {
  std::u32string out;
  for (int32_t i = 0; i < count;) {
    UChar32 c;
    U16_NEXT(units, i, count, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

uint32_t category_mask(char32_t c) {
  return U_GET_GC_MASK(static_cast<UChar32>(c));
}

}  // namespace

DecodeStep decode_one(std::string_view text, size_t pos) {
  assert(pos < text.size());
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {lead, 1, true};
  const LeadInfo info = lead_info(lead);
  if (info.length == 0) return {kReplacementCharacter, 1, false};

  char32_t code_point = lead & (info.length == 2 ? 0x1F : info.length == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < info.length; ++k) {
    if (pos + k >= text.size()) return {kReplacementCharacter, k, false};
    const auto byte = static_cast<unsigned char>(text[pos + k]);
    const bool allowed =
        k == 1 ? in_range(byte, info.second_lo, info.second_hi) : in_range(byte, 0x80, 0xBF);
    if (!allowed) return {kReplacementCharacter, k, false};
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  return {code_point, info.length, true};
}

Result<std::vector<DecodedChar>> decode_utf8(std::string_view text) {
  std::vector<DecodedChar> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const DecodeStep step = decode_one(text, pos);
    if (!step.valid) return make_error("invalid UTF-8 at byte " + std::to_string(pos));
    chars.push_back({step.code_point, pos, pos + step.length});
    pos += step.length;
  }
  return chars;
}

Status validate_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const DecodeStep step = decode_one(text, pos);
    if (!step.valid) return make_error("invalid UTF-8 at byte " + std::to_string(pos));
    pos += step.length;
  }
  return Ok{};
}

std::string replace_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const DecodeStep step = decode_one(bytes, pos);
    if (step.valid) {
      out.append(bytes.substr(pos, step.length));
    } else {
      append_utf8(out, kReplacementCharacter);
    }
    pos += step.length;
  }
  return out;
}

std::string display_bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const DecodeStep step = decode_one(bytes, pos);
    if (step.valid) {
      out.append(bytes.substr(pos, step.length));
    } else {
      for (size_t k = 0; k < step.length; ++k) {
        const auto byte = static_cast<unsigned char>(bytes[pos + k]);
        out += "<0x";
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 15]);
        out.push_back('>');
      }
    }
    pos += step.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  assert(c <= 0x10FFFF && "append_utf8: not a code point");
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string to_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) append_utf8(out, c);
  return out;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return (category_mask(c) & U_GC_L_MASK) != 0;
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return (category_mask(c) & U_GC_N_MASK) != 0;
}

bool is_punctuation(char32_t c) {
  return (category_mask(c) & U_GC_P_MASK) != 0;
}

bool is_other(char32_t c) {
  return (category_mask(c) & U_GC_C_MASK) != 0;
}

bool is_nonspacing_mark(char32_t c) {
  return (category_mask(c) & U_GC_MN_MASK) != 0;
}

bool is_mark(char32_t c) {
  return (category_mask(c) & U_GC_M_MASK) != 0;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

int combining_class(char32_t c) {
  return u_getCombiningClass(static_cast<UChar32>(c));
}

std::u32string canonical_decomposition(char32_t c) {
  if (c < 0xC0) return std::u32string(1, c);  // nothing below U+00C0 decomposes
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
  assert(U_SUCCESS(status) && "ICU has no NFD data");
  UChar buffer[32];  // the longest canonical decomposition is 4 code points
  const int32_t length = unorm2_getDecomposition(nfd, static_cast<UChar32>(c), buffer, 32, &status);
  if (length < 0 || U_FAILURE(status)) return std::u32string(1, c);
  return from_utf16(buffer, length);
}

std::u32string to_lower(char32_t c) {
  if (c < 0x80) return std::u32string(1, c >= 'A' && c <= 'Z' ? c + 32 : c);
  UChar source[2];
  int32_t source_length = 0;
  U16_APPEND_UNSAFE(source, source_length, static_cast<UChar32>(c));
  UChar buffer[16];  // full case mappings expand to at most 3 code points
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length = u_strToLower(buffer, 16, source, source_length, "", &status);
  if (U_FAILURE(status)) return std::u32string(1, c);
  return from_utf16(buffer, length);
}

}  // namespace attnviz::unicode

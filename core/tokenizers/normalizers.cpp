#include "core/tokenizers/normalizers.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <cassert>

namespace attnviz {
namespace {

const UNormalizer2* icu_normalizer(UnicodeForm form) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* n = nullptr;
  switch (form) {
    case UnicodeForm::kNfc:
      n = unorm2_getNFCInstance(&status);
      break;
    case UnicodeForm::kNfd:
      n = unorm2_getNFDInstance(&status);
      break;
    case UnicodeForm::kNfkc:
      n = unorm2_getNFKCInstance(&status);
      break;
    case UnicodeForm::kNfkd:
      n = unorm2_getNFKDInstance(&status);
      break;
  }
  assert(U_SUCCESS(status) && n && "ICU has no normalization data");
  return n;
}

std::u16string to_utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  for (size_t pos = 0; pos < utf8.size();) {
    const unicode::DecodeStep step = unicode::decode_one(utf8, pos);
    const char32_t c = step.code_point;
    if (c >= 0x10000) {
      out.push_back(char16_t(0xD7C0 + (c >> 10)));
      out.push_back(char16_t(0xDC00 | (c & 0x3FF)));
    } else {
      out.push_back(char16_t(c));
    }
    pos += step.length;
  }
  return out;
}

std::string to_utf8(std::u16string_view utf16) {
  std::string out;
  for (size_t i = 0; i < utf16.size(); ++i) {
    char32_t c = utf16[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < utf16.size()) {
      c = 0x10000 + ((c - 0xD800) << 10) + (utf16[++i] - 0xDC00);
    }
    unicode::append_utf8(out, c);
  }
  return out;
}

bool is_ascii(std::string_view bytes) {
  for (char b : bytes) {
    if (static_cast<unsigned char>(b) >= 0x80) return false;
  }
  return true;
}

// BertNormalizer's whitespace and controls (normalizers/bert.rs).
bool is_bert_whitespace(char32_t c) {
  return c == U'\t' || c == U'\n' || c == U'\r' || unicode::is_whitespace(c);
}

bool is_bert_control(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return unicode::is_other(c);
}

void apply_bert(NormalizedText& text, const NormalizerStep& step) {
  if (step.bert_clean_text) {
    remove_chars(
        text, [](char32_t c) { return c == 0 || c == 0xFFFD || is_bert_control(c); }, false);
    map_chars(text, [](char32_t c, std::string& out) {
      if (c == U' ' || !is_bert_whitespace(c)) return false;
      out.push_back(' ');
      return true;
    });
  }
  if (step.bert_handle_chinese_chars) {
    // " c ": the spaces are new (empty spans at either side of c), c keeps its bytes.
    const std::string& bytes = text.text();
    NormalizedText::Builder out(text);
    size_t kept_from = 0;
    bool changed = false;
    for (size_t pos = 0; pos < bytes.size();) {
      const unicode::DecodeStep decoded = unicode::decode_one(bytes, pos);
      if (is_bert_chinese_char(decoded.code_point)) {
        const SourceSpan span = text.token_span(pos, pos + decoded.length);
        out.copy(kept_from, pos);
        out.add(" ", {span.start, span.start});
        out.copy(pos, pos + decoded.length);
        out.add(" ", {span.end, span.end});
        kept_from = pos + decoded.length;
        changed = true;
      }
      pos += decoded.length;
    }
    if (changed) {
      out.copy(kept_from, bytes.size());
      text = out.finish();
    }
  }
  if (step.bert_strip_accents) {
    normalize_unicode(text, UnicodeForm::kNfd);
    remove_chars(text, unicode::is_nonspacing_mark, true);
  }
  if (step.bert_lowercase) lowercase(text);
}

void apply_nmt(NormalizedText& text) {
  remove_chars(
      text,
      [](char32_t c) {
        return (c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
               c == 0x8F || c == 0x9F;
      },
      false);
  map_chars(text, [](char32_t c, std::string& out) {
    const bool space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
                       (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
                       c == 0xFEFF || c == 0xFFFD;
    if (!space) return false;
    out.push_back(' ');
    return true;
  });
}

}  // namespace

bool is_bert_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void normalize_unicode(NormalizedText& text, UnicodeForm form) {
  const std::string& bytes = text.text();
  if (is_ascii(bytes)) return;  // ASCII is invariant under all four forms
  const UNormalizer2* normalizer = icu_normalizer(form);
  UErrorCode status = U_ZERO_ERROR;
  const std::u16string whole = to_utf16(bytes);
  if (unorm2_quickCheck(normalizer, whole.data(), int32_t(whole.size()), &status) == UNORM_YES) {
    return;
  }
  // Normalize chunk by chunk between normalization boundaries (where the result of the whole
  // equals the concatenation of the parts); unchanged chunks keep their exact bytes, a changed
  // chunk maps to its whole original span.
  NormalizedText::Builder out(text);
  std::u16string buffer(64, u'\0');
  size_t kept_from = 0;
  auto flush_chunk = [&](size_t begin, size_t end) {
    if (begin == end) return;
    const std::u16string chunk = to_utf16(std::string_view(bytes).substr(begin, end - begin));
    UErrorCode error = U_ZERO_ERROR;
    int32_t length = unorm2_normalize(normalizer, chunk.data(), int32_t(chunk.size()),
                                      buffer.data(), int32_t(buffer.size()), &error);
    if (error == U_BUFFER_OVERFLOW_ERROR) {
      buffer.resize(size_t(length));
      error = U_ZERO_ERROR;
      length = unorm2_normalize(normalizer, chunk.data(), int32_t(chunk.size()), buffer.data(),
                                int32_t(buffer.size()), &error);
    }
    assert(U_SUCCESS(error) && "unorm2_normalize failed on valid text");
    const std::u16string_view normalized(buffer.data(), size_t(length));
    if (normalized == chunk) return;  // copied later with its neighbours
    out.copy(kept_from, begin);
    out.add(to_utf8(normalized), text.token_span(begin, end));
    kept_from = end;
  };
  size_t chunk_start = 0;
  for (size_t pos = 0; pos < bytes.size();) {
    const unicode::DecodeStep step = unicode::decode_one(bytes, pos);
    if (pos > chunk_start && unorm2_hasBoundaryBefore(normalizer, UChar32(step.code_point))) {
      flush_chunk(chunk_start, pos);
      chunk_start = pos;
    }
    pos += step.length;
  }
  flush_chunk(chunk_start, bytes.size());
  out.copy(kept_from, bytes.size());
  text = out.finish();
}

void lowercase(NormalizedText& text) {
  map_chars(text, [](char32_t c, std::string& out) {
    if (c < 0x80) {
      if (c < U'A' || c > U'Z') return false;
      out.push_back(char(c + 32));
      return true;
    }
    const std::u32string lower = unicode::to_lower(c);
    if (lower.size() == 1 && lower[0] == c) return false;
    out = unicode::to_utf8(lower);
    return true;
  });
}

void prepend(NormalizedText& text, const std::string& prefix) {
  if (text.empty() || prefix.empty()) return;
  NormalizedText::Builder out(text);
  const size_t at = text.source(0).start;
  out.add(prefix, {at, at});
  out.copy(0, text.size());
  text = out.finish();
}

void replace(NormalizedText& text, const TextPattern& pattern, const std::string& content) {
  std::vector<TextRange> matches;
  pattern.find_all(text.text(), matches);
  if (matches.empty()) return;
  NormalizedText::Builder out(text);
  size_t kept_from = 0;
  for (const TextRange& match : matches) {
    out.copy(kept_from, match.begin);
    const SourceSpan span = match.begin == match.end ? text.token_span(match.begin, match.begin)
                                                     : SourceSpan{text.source(match.begin).start,
                                                                  text.source(match.end - 1).end};
    out.add(content, span);
    kept_from = match.end;
  }
  out.copy(kept_from, text.size());
  text = out.finish();
}

void strip_whitespace(NormalizedText& text, bool left, bool right) {
  const std::string& bytes = text.text();
  size_t begin = 0;
  size_t end = bytes.size();
  if (left) {
    while (begin < end) {
      const unicode::DecodeStep step = unicode::decode_one(bytes, begin);
      if (!unicode::is_whitespace(step.code_point)) break;
      begin += step.length;
    }
  }
  if (right) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(bytes[start]) & 0xC0) == 0x80) --start;
      if (!unicode::is_whitespace(unicode::decode_one(bytes, start).code_point)) break;
      end = start;
    }
  }
  if (begin == 0 && end == bytes.size()) return;
  text = text.slice(begin, end);
}

void Normalizer::apply(NormalizedText& text) const {
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::kNfc:
        normalize_unicode(text, UnicodeForm::kNfc);
        break;
      case NormalizerStep::Kind::kNfd:
        normalize_unicode(text, UnicodeForm::kNfd);
        break;
      case NormalizerStep::Kind::kNfkc:
        normalize_unicode(text, UnicodeForm::kNfkc);
        break;
      case NormalizerStep::Kind::kNfkd:
        normalize_unicode(text, UnicodeForm::kNfkd);
        break;
      case NormalizerStep::Kind::kLowercase:
        lowercase(text);
        break;
      case NormalizerStep::Kind::kPrepend:
        prepend(text, step.text);
        break;
      case NormalizerStep::Kind::kReplace:
        replace(text, *step.pattern, step.text);
        break;
      case NormalizerStep::Kind::kStrip:
        strip_whitespace(text, step.strip_left, step.strip_right);
        break;
      case NormalizerStep::Kind::kStripAccents:
        remove_chars(text, unicode::is_mark, true);
        break;
      case NormalizerStep::Kind::kNmt:
        apply_nmt(text);
        break;
      case NormalizerStep::Kind::kBert:
        apply_bert(text, step);
        break;
    }
  }
}

std::string Normalizer::normalize_string(const std::string& content) const {
  NormalizedText text(content, 0);
  apply(text);
  return text.text();
}

}  // namespace attnviz

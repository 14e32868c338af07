#include "core/tokenizers/pattern.h"

#include <unicode/uregex.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

#include <cassert>

#include "core/unicode.h"

namespace attnviz {
namespace {

// The regexes of Llama 3 (digits in runs of up to 3) and Qwen 2/3 (single digits), as their
// tokenizer.json files write them.
constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// ICU's match-engine steps for one search ("on the order of milliseconds" each).
constexpr int32_t kIcuStepLimit = 1000;

enum class CharClass : uint8_t { kLetter, kNumber, kSpace, kOther };

struct ScannedChar {
  size_t start;  // byte offset
  char32_t code_point;
  CharClass cls;
};

CharClass classify(char32_t c) {
  if (unicode::is_whitespace(c)) return CharClass::kSpace;  // \s: White_Space
  if (unicode::is_letter(c)) return CharClass::kLetter;     // \p{L}
  if (unicode::is_number(c)) return CharClass::kNumber;     // \p{N}
  return CharClass::kOther;
}

std::vector<ScannedChar> scan_chars(std::string_view text) {
  std::vector<ScannedChar> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep step = unicode::decode_one(text, pos);
    assert(step.valid && "TextPattern: text must be valid UTF-8");
    chars.push_back({pos, step.code_point, classify(step.code_point)});
    pos += step.length;
  }
  return chars;
}

size_t run_end(const std::vector<ScannedChar>& chars, size_t i, CharClass cls) {
  while (i < chars.size() && chars[i].cls == cls) ++i;
  return i;
}

bool is_line_break(char32_t c) {
  return c == U'\r' || c == U'\n';
}

// 's 't 're 've 'm 'll 'd at i: the length in characters, or 0. Case-insensitive under
// Unicode simple case folding for (?i:...), where U+017F (long s) folds to 's'.
size_t contraction_length(const std::vector<ScannedChar>& chars, size_t i, bool ignore_case) {
  if (chars[i].code_point != U'\'' || i + 1 >= chars.size()) return 0;
  auto fold = [&](size_t k) -> char32_t {
    const char32_t c = chars[k].code_point;
    if (!ignore_case) return c;
    if (c >= U'A' && c <= U'Z') return c + 32;
    return c == 0x17F ? U's' : c;
  };
  const char32_t a = fold(i + 1);
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 >= chars.size()) return 0;
  const char32_t b = fold(i + 2);
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  return 0;
}

// \s+(?!\S)|\s+ on the whitespace run at i: a run followed by a non-space leaves its last
// character to the next match, unless the run is one character.
size_t trailing_space_end(const std::vector<ScannedChar>& chars, size_t i) {
  const size_t run = run_end(chars, i, CharClass::kSpace);
  return (run < chars.size() && run - i >= 2) ? run - 1 : run;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t gpt2_match_end(const std::vector<ScannedChar>& chars, size_t i) {
  if (size_t length = contraction_length(chars, i, false)) return i + length;
  if (chars[i].cls != CharClass::kSpace) return run_end(chars, i, chars[i].cls);
  if (chars[i].code_point == U' ' && i + 1 < chars.size() &&
      chars[i + 1].cls != CharClass::kSpace) {
    return run_end(chars, i + 1, chars[i + 1].cls);  // the optional space of ` ?X+`
  }
  return trailing_space_end(chars, i);
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+   (alternatives tried in order, as a backtracking engine does)
size_t words_match_end(const std::vector<ScannedChar>& chars, size_t i, int max_digits) {
  const size_t n = chars.size();
  const ScannedChar& c = chars[i];
  if (size_t length = contraction_length(chars, i, true)) return i + length;
  if (c.cls == CharClass::kLetter) return run_end(chars, i, CharClass::kLetter);
  const bool may_lead_letters = c.cls != CharClass::kNumber && !is_line_break(c.code_point);
  if (may_lead_letters && i + 1 < n && chars[i + 1].cls == CharClass::kLetter) {
    return run_end(chars, i + 1, CharClass::kLetter);
  }
  if (c.cls == CharClass::kNumber) {
    const size_t run = run_end(chars, i, CharClass::kNumber);
    return run - i > size_t(max_digits) ? i + size_t(max_digits) : run;
  }
  const bool space_then_other =
      c.code_point == U' ' && i + 1 < n && chars[i + 1].cls == CharClass::kOther;
  if (c.cls == CharClass::kOther || space_then_other) {
    size_t end = run_end(chars, space_then_other ? i + 1 : i, CharClass::kOther);
    while (end < n && is_line_break(chars[end].code_point)) ++end;
    return end;
  }
  // A whitespace run: up to its last line break when it has one (\s*[\r\n]+), else as GPT-2.
  const size_t run = run_end(chars, i, CharClass::kSpace);
  for (size_t k = run; k > i; --k) {
    if (is_line_break(chars[k - 1].code_point)) return k;
  }
  return trailing_space_end(chars, i);
}

constexpr const char* kOnigWordSet = R"(\p{Alphabetic}\p{M}\p{Nd}\p{Pc})";
constexpr const char* kLatin1Numbers = R"(\u00B2\u00B3\u00B9\u00BC-\u00BE)";

// Oniguruma's classes in ICU's syntax (inside a [...] set or outside): \s is White_Space (ICU
// leaves out U+000B and U+0085), \w is L|M|N|Pc (ICU's adds Alphabetic and the joiners), \h
// a hex digit (ICU: horizontal space).
std::string onig_to_icu(const std::string& pattern) {
  std::string out;
  out.reserve(pattern.size() + 16);
  int set_depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      const bool in_set = set_depth > 0;
      switch (e) {
        case 's':
          out += R"(\p{White_Space})";
          break;
        case 'S':
          out += R"(\P{White_Space})";
          break;
        case 'w':  // outside a set, Oniguruma's Latin-1 table adds ² ³ ¹ ¼ ½ ¾
          out += in_set ? kOnigWordSet : "[" + std::string(kOnigWordSet) + kLatin1Numbers + "]";
          break;
        case 'W':
          out += in_set ? "[^" + std::string(kOnigWordSet) + "]"
                        : "[^" + std::string(kOnigWordSet) + kLatin1Numbers + "]";
          break;
        case 'h':
          out += in_set ? "0-9a-fA-F" : "[0-9a-fA-F]";
          break;
        case 'H':
          out += "[^0-9a-fA-F]";
          break;
        default:
          out.push_back('\\');
          out.push_back(e);
      }
      continue;
    }
    if (c == '^' && set_depth == 0) {
      // Oniguruma's line start is not the end of a text that ends in a line break.
      out += R"((?:\A|^(?!\z)))";
      continue;
    }
    if (c == '[') ++set_depth;
    if (c == ']' && set_depth > 0) --set_depth;
    out.push_back(c);
  }
  return out;
}

Result<std::shared_ptr<URegularExpression>> compile_icu(const std::string& pattern) {
  const std::string translated = onig_to_icu(pattern);
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strFromUTF8(nullptr, 0, &length, translated.data(), int32_t(translated.size()), &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) {
    return make_error("the regex is not valid UTF-8");
  }
  std::u16string utf16(size_t(length), u'\0');
  status = U_ZERO_ERROR;
  u_strFromUTF8(utf16.data(), length, nullptr, translated.data(), int32_t(translated.size()),
                &status);
  UParseError where{};
  URegularExpression* compiled =
      uregex_open(utf16.data(), length, UREGEX_MULTILINE | UREGEX_UNIX_LINES, &where, &status);
  if (U_FAILURE(status)) {
    return make_error("the regex does not compile (" + std::string(u_errorName(status)) +
                      " near character " + std::to_string(where.offset) + ")");
  }
  return std::shared_ptr<URegularExpression>(compiled, uregex_close);
}

void icu_find_all(URegularExpression* shared, std::string_view text,
                  std::vector<TextRange>& matches) {
  UErrorCode status = U_ZERO_ERROR;
  // A compiled regex holds its matcher state, so each search works on its own clone.
  std::unique_ptr<URegularExpression, void (*)(URegularExpression*)> regex(
      uregex_clone(shared, &status), uregex_close);
  UText* input = utext_openUTF8(nullptr, text.data(), int64_t(text.size()), &status);
  uregex_setUText(regex.get(), input, &status);
  // A regex that backtracks without end (one a file could hold, "(a+)+b") gives up after about
  // a second per search; the rest of the text then counts as not matched.
  uregex_setTimeLimit(regex.get(), kIcuStepLimit, &status);
  bool has_previous = false;
  size_t previous_end = 0;
  while (U_SUCCESS(status) && uregex_findNext(regex.get(), &status)) {
    const auto start = size_t(uregex_start64(regex.get(), 0, &status));
    const auto end = size_t(uregex_end64(regex.get(), 0, &status));
    if (start == end && has_previous && start == previous_end) continue;
    matches.push_back({start, end});
    has_previous = true;
    previous_end = end;
  }
  utext_close(input);
}

}  // namespace

TextPattern TextPattern::literal(std::string text) {
  TextPattern pattern;
  pattern.engine_ = Engine::kLiteral;
  pattern.source_ = std::move(text);
  return pattern;
}

Result<TextPattern> TextPattern::icu_regex(const std::string& source) {
  auto compiled = compile_icu(source);
  if (!compiled.ok()) return compiled.error();
  TextPattern pattern;
  pattern.engine_ = Engine::kIcu;
  pattern.source_ = source;
  pattern.icu_ = std::move(compiled).value();
  return pattern;
}

Result<TextPattern> TextPattern::regex(const std::string& source) {
  auto pattern = icu_regex(source);  // compiled even when a scanner runs it: proves it valid
  if (!pattern.ok()) return pattern;
  if (source == kGpt2Pattern) {
    pattern->engine_ = Engine::kGpt2Scanner;
  } else if (source == kLlama3Pattern || source == kQwen2Pattern) {
    pattern->engine_ = Engine::kWordsScanner;
    pattern->max_digits_ = source == kLlama3Pattern ? 3 : 1;
  }
  return pattern;
}

void TextPattern::find_all(std::string_view text, std::vector<TextRange>& matches) const {
  switch (engine_) {
    case Engine::kLiteral: {
      if (source_.empty()) return;
      for (size_t at = text.find(source_); at != std::string_view::npos;
           at = text.find(source_, at + source_.size())) {
        matches.push_back({at, at + source_.size()});
      }
      return;
    }
    case Engine::kGpt2Scanner:
    case Engine::kWordsScanner: {
      const std::vector<ScannedChar> chars = scan_chars(text);
      auto byte_at = [&](size_t k) { return k < chars.size() ? chars[k].start : text.size(); };
      for (size_t i = 0; i < chars.size();) {
        const size_t end = engine_ == Engine::kGpt2Scanner ? gpt2_match_end(chars, i)
                                                           : words_match_end(chars, i, max_digits_);
        matches.push_back({byte_at(i), byte_at(end)});
        i = end;
      }
      return;
    }
    case Engine::kIcu:
      icu_find_all(icu_.get(), text, matches);
      return;
  }
}

}  // namespace attnviz

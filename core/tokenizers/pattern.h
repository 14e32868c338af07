// The patterns of tokenizer.json's Split pre-tokenizer and Replace normalizer, with the meaning
// HF tokenizers gives them: {"String": s} is a literal, {"Regex": r} an Oniguruma regular
// expression searched with onig's find_iter (leftmost match, then the next one from its end).
//
// Regexes run on ICU's engine with Oniguruma's class meanings translated (\s is Unicode
// White_Space, \w is L|M|Nd|Pc, \h a hex digit; ^ and $ match at line starts and ends). The
// pre-tokenization regexes of GPT-2, Llama 3 and Qwen 2/3 are recognized by their exact text
// and run by hand-written scanners instead, about ten times faster; tests check the scanners
// against ICU on the reference texts and on random text.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct URegularExpression;

namespace attnviz {

// Bytes [begin, end) of a text.
struct TextRange {
  size_t begin = 0;
  size_t end = 0;
  bool operator==(const TextRange&) const = default;
};

class TextPattern {
 public:
  // How a regex is run; kIcu for everything the scanners do not know.
  enum class Engine { kLiteral, kGpt2Scanner, kWordsScanner, kIcu };

  // {"String": text}. An empty literal matches nothing.
  static TextPattern literal(std::string text);
  // {"Regex": pattern}; an Error (quoting the pattern) when ICU cannot compile it.
  static Result<TextPattern> regex(const std::string& pattern);
  // The same regex always run by ICU (for tests of the scanners).
  static Result<TextPattern> icu_regex(const std::string& pattern);

  // Appends the non-overlapping matches in `text` (valid UTF-8), leftmost first. An empty match
  // right where the previous match ended is skipped, as onig's find_iter does. An ICU search
  // that backtracks past its step limit (a catastrophic regex) ends the matches there.
  void find_all(std::string_view text, std::vector<TextRange>& matches) const;

  Engine engine() const { return engine_; }
  const std::string& source() const { return source_; }

 private:
  Engine engine_ = Engine::kLiteral;
  std::string source_;  // the literal text or the regex as written in the file
  int max_digits_ = 0;  // kWordsScanner: \p{N}{1,max_digits_}
  std::shared_ptr<URegularExpression> icu_;
};

// GPT-2's pre-tokenization regex (ByteLevel's use_regex), as HF tokenizers writes it.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace attnviz

// tokenizer.json's "normalizer": the steps HF tokenizers applies to each stretch of text
// between added tokens before pre-tokenization, each keeping the byte alignment of
// NormalizedText (see its header for the rules).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizers/normalized_text.h"
#include "core/tokenizers/pattern.h"

namespace attnviz {

// Which characters HF's BertNormalizer treats as Chinese (normalizers/bert.rs): note the range
// 2B920-2CEAF, where transformers' Python BasicTokenizer has 2B820-2CEAF.
bool is_bert_chinese_char(char32_t c);

struct NormalizerStep {
  enum class Kind {
    kNfc,
    kNfd,
    kNfkc,
    kNfkd,
    kLowercase,
    kPrepend,       // text: the prefix, added to non-empty text
    kReplace,       // pattern -> text
    kStrip,         // strip_left / strip_right: White_Space
    kStripAccents,  // removes \p{M}
    kNmt,           // sentencepiece's NMT cleaning
    kBert,          // BertNormalizer with the bert_* options
  };
  Kind kind = Kind::kNfc;
  std::string text;
  std::shared_ptr<const TextPattern> pattern;
  bool strip_left = false;
  bool strip_right = false;
  bool bert_clean_text = true;
  bool bert_handle_chinese_chars = true;
  bool bert_strip_accents = true;  // already resolved from null (= lowercase)
  bool bert_lowercase = true;
};

// A Sequence of steps; empty = no normalizer.
struct Normalizer {
  std::vector<NormalizerStep> steps;

  void apply(NormalizedText& text) const;
  // HF normalizes the content of added tokens with "normalized": true to match them.
  std::string normalize_string(const std::string& content) const;
};

// The single steps, for tests and for the pre-tokenizers that use them (Metaspace replaces
// spaces and prepends its marker).
enum class UnicodeForm { kNfc, kNfd, kNfkc, kNfkd };
void normalize_unicode(NormalizedText& text, UnicodeForm form);
void lowercase(NormalizedText& text);
void prepend(NormalizedText& text, const std::string& prefix);
void replace(NormalizedText& text, const TextPattern& pattern, const std::string& content);
void strip_whitespace(NormalizedText& text, bool left, bool right);
// Removes characters for which `remove` is true; with attach_to_previous the removed bytes
// join the span of the character written before them (an accent stays with its letter).
template <class Predicate>
void remove_chars(NormalizedText& text, Predicate remove, bool attach_to_previous);

}  // namespace attnviz

#include "core/tokenizers/normalizers_inl.h"

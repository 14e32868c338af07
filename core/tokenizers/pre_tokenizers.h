// tokenizer.json's "pre_tokenizer": the steps that cut each normalized stretch of text into the
// pieces the model tokenizes one by one (HF tokenizers' pre_tokenizers/*.rs). Empty pieces
// are dropped after every step, as PreTokenizedString::split does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizers/normalized_text.h"
#include "core/tokenizers/pattern.h"

namespace attnviz {

// What a split does with the delimiters it finds (HF's SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// A match list covering a text: [begin, end) and whether it is a delimiter.
struct SplitPart {
  TextRange range;
  bool is_match = false;
};

// HF's NormalizedString::split: the pieces of `text` for `parts` under `behavior`, appended
// to `out` (empty ones dropped).
void split_by_parts(const NormalizedText& text, const std::vector<SplitPart>& parts,
                    SplitBehavior behavior, std::vector<NormalizedText>& out);

struct PreTokenizerStep {
  enum class Kind {
    kByteLevel,        // add_prefix_space, use_regex (GPT-2's regex); bytes become the alphabet
    kSplit,            // pattern, behavior, invert
    kMetaspace,        // replacement, prepend_scheme, split
    kDigits,           // individual_digits
    kPunctuation,      // behavior
    kWhitespace,       // \w+|[^\w\s]+ kept, the rest removed
    kWhitespaceSplit,  // split on White_Space, removed
    kBert,             // whitespace removed, punctuation isolated
  };
  enum class PrependScheme { kAlways, kFirst, kNever };

  Kind kind = Kind::kSplit;
  std::shared_ptr<const TextPattern> pattern;  // kSplit, kWhitespace, kByteLevel with use_regex
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // kByteLevel
  std::string replacement;        // kMetaspace: the marker character, as UTF-8
  PrependScheme prepend_scheme = PrependScheme::kAlways;
  bool split = true;               // kMetaspace
  bool individual_digits = false;  // kDigits
};

struct PreTokenizer {
  std::vector<PreTokenizerStep> steps;  // a Sequence; empty = the whole text is one piece

  // Replaces `pieces` by the pieces after every step.
  void apply(std::vector<NormalizedText>& pieces) const;
};

// The Whitespace pre-tokenizer's regex in ICU syntax (Rust regex's Unicode \w and \s).
Result<std::shared_ptr<const TextPattern>> whitespace_pre_tokenizer_pattern();

}  // namespace attnviz

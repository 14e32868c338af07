// tokenizer.json's "added_tokens" (HF tokenizers' tokenizer/added_vocabulary.rs): tokens found
// in the text before the model sees it, leftmost first and longest among those starting at the
// same byte. Tokens with "normalized": false are found in the raw text, the others in each
// normalized stretch between them, spelled as the normalizer spells their content.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizers/pattern.h"

namespace attnviz {

struct AddedTokenSpec {
  std::string content;
  int32_t id = 0;
  bool special = true;
  bool single_word = false;  // only where no \w character touches it on either side
  bool lstrip = false;       // takes the whitespace on its left
  bool rstrip = false;       // takes the whitespace on its right
  bool normalized = false;   // matched in the normalized text
};

// Finds the longest of a set of byte strings starting at each position of a text in linear
// time: Aho-Corasick over the reversed strings, run over the text from its end.
class LongestMatchFinder {
 public:
  LongestMatchFinder() = default;
  explicit LongestMatchFinder(const std::vector<std::string>& patterns);

  bool empty() const { return fail_.size() <= 1; }
  // A position where a pattern starts, with the longest pattern starting there.
  struct Start {
    size_t position;
    int32_t pattern;
    uint32_t length;
  };
  // Every position of `text` where some pattern starts, in increasing order.
  std::vector<Start> find(std::string_view text) const;

 private:
  int32_t child(int32_t state, uint8_t byte) const;

  int32_t root_children_[256];
  std::unordered_map<uint64_t, int32_t> children_;  // (state << 8 | byte) -> state
  std::vector<int32_t> fail_;                       // (states) failure link
  std::vector<int32_t> output_;                     // (states) longest pattern ending here, -1
  std::vector<uint32_t> output_length_;             // (states) its length
};

// A stretch of text: an added token (index into tokens()) or plain text (-1).
struct AddedSplit {
  TextRange range;
  int32_t token = -1;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalized_contents[k]` is tokens[k].content as the normalizer spells it.
  AddedVocabulary(std::vector<AddedTokenSpec> tokens,
                  const std::vector<std::string>& normalized_contents);

  const std::vector<AddedTokenSpec>& tokens() const { return tokens_; }
  // HF's find_matches: `text` cut into added tokens and the plain text between them, with
  // single_word, lstrip and rstrip applied. `normalized_set` picks the tokens matched in
  // normalized text.
  std::vector<AddedSplit> split(std::string_view text, bool normalized_set) const;

 private:
  std::vector<AddedTokenSpec> tokens_;
  LongestMatchFinder raw_;
  LongestMatchFinder normalized_;
  std::vector<int32_t> raw_tokens_;         // pattern index -> token index
  std::vector<int32_t> normalized_tokens_;  // pattern index -> token index
};

}  // namespace attnviz

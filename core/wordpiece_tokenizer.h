// BERT's tokenizer: BasicTokenizer (clean, CJK spacing, lower-case and strip accents, split on
// whitespace and punctuation) then greedy longest-match-first WordPiece, wrapped in
// [CLS] ... [SEP]. Follows HF tokenizers' BertNormalizer + BertPreTokenizer + WordPiece, which
// produced the reference ids (transformers tokenization_bert.py gives the same on real text).
//
// Byte spans point into the ORIGINAL text. Every character the normalizer emits remembers the
// original character it came from, so a word's span is its original bytes even after
// lower-casing and accent stripping ("Café" -> "cafe" spans all 5 bytes; a stripped accent
// typed as its own combining character joins the span of the letter before it). Removed
// characters between words (controls, U+FFFD) belong to no token. A WordPiece boundary
// maps to the original character boundary in front of the first normalized character of the
// next piece. When one original character expands to several normalized ones (a Hangul syllable
// decomposes into jamo, İ lower-cases to i + U+0307) and a boundary falls inside that
// expansion, the whole original character goes to the piece holding its first normalized
// character, and a piece made only of the rest of that expansion gets an empty span at the
// character's end. Spans therefore never overlap and never decrease.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bpe_tokenizer.h"  // AddedToken
#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

struct WordPieceOptions {
  bool lower_case = true;             // BertNormalizer.lowercase / do_lower_case
  std::optional<bool> strip_accents;  // unset: follows lower_case (HF's rule)
  bool handle_chinese_chars = true;   // spaces around CJK ideographs
  bool clean_text = true;             // drop NUL, U+FFFD, controls; whitespace -> space
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string continuing_prefix = "##";
  int max_input_chars_per_word = 100;

  bool strips_accents() const { return strip_accents.value_or(lower_case); }
};

// The characters BERT surrounds with spaces (CJK Unified Ideographs and extensions,
// compatibility ideographs), REFERENCE §4.
bool is_cjk_ideograph(char32_t c);
// BERT's punctuation: ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*.
bool is_bert_punctuation(char32_t c);

class WordPieceTokenizer : public Tokenizer {
 public:
  // `id_to_token` (V): vocab.txt's lines; the special tokens must be in it. Added tokens are
  // matched verbatim in the raw text (HF's added_tokens: [CLS], [MASK], ... typed by the user).
  static Result<std::unique_ptr<WordPieceTokenizer>> create(std::vector<std::string> id_to_token,
                                                            std::vector<AddedToken> added_tokens,
                                                            WordPieceOptions options,
                                                            const std::string& source);

  Result<std::vector<Token>> encode(std::string_view text) const override;
  // Tokens joined with spaces; a piece with the "##" prefix is glued to the previous one.
  std::string decode(std::span<const int32_t> ids) const override;
  std::string token_text(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(id_to_token_.size()); }

  const WordPieceOptions& options() const { return options_; }

 private:
  WordPieceTokenizer() = default;

  // A character after normalization and the original character's bytes it came from.
  struct NormalizedChar {
    char32_t code_point;
    size_t original_start;
    size_t original_end;
  };
  void normalize(std::string_view text, size_t offset, std::vector<NormalizedChar>& out) const;
  void append_word_pieces(std::span<const NormalizedChar> word, std::vector<Token>& out) const;

  std::vector<std::string> id_to_token_;
  std::unordered_map<std::string, int32_t> token_to_id_;
  std::vector<AddedToken> added_tokens_;
  WordPieceOptions options_;
  int32_t unk_id_ = 0;
  int32_t cls_id_ = 0;
  int32_t sep_id_ = 0;
};

}  // namespace attnviz

// A Hugging Face tokenizer.json pipeline, run as HF tokenizers runs it with
// add_special_tokens=True (tokenizer/mod.rs encode_single_sequence):
//   1. added tokens with "normalized": false are cut out of the raw text;
//   2. each stretch between them is normalized on its own, then the other added tokens are
//      cut out of it;
//   3. the pre-tokenizer cuts the rest into pieces, and the model tokenizes each piece;
//   4. the post-processor puts its special tokens (BOS, [CLS] ... [SEP]) around the sequence.
// Every token keeps the bytes of the input it came from (see NormalizedText for the rules).
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "core/tokenizer.h"
#include "core/tokenizers/added_vocabulary.h"
#include "core/tokenizers/normalizers.h"
#include "core/tokenizers/pre_tokenizers.h"
#include "core/tokenizers/token_model.h"

namespace attnviz {

// Everything a tokenizer.json (or vocab.txt, vocab.json + merges.txt) describes.
struct TokenizerPipeline {
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  std::unique_ptr<TokenModel> model;
  std::vector<AddedTokenSpec> added_tokens;  // ids as HF assigns them
  std::vector<int32_t> prefix_ids;           // the post-processor's tokens before the text
  std::vector<int32_t> suffix_ids;           // ... and after it
  SpecialTokenIds special_ids;
  bool byte_level = false;            // vocabulary strings use GPT-2's byte alphabet ("Ġthe")
  bool byte_fallback = false;         // "<0xNN>" vocabulary entries stand for one byte
  std::string space_marker;           // "▁" where the vocabulary spells spaces so
  bool show_vocabulary_text = false;  // WordPiece: tokens show as the vocabulary spells them
  std::string wordpiece_prefix;       // WordPiece: "##", glued to the previous word in decode
};

class HfTokenizer : public Tokenizer {
 public:
  // Checks what the pipeline's parts cannot check alone (added and post-processor ids).
  // `source` names the file(s) in messages.
  static Result<std::unique_ptr<HfTokenizer>> create(TokenizerPipeline pipeline,
                                                     const std::string& source);

  Result<std::vector<Token>> encode(std::string_view text) const override;
  // The ids' text: bytes concatenated (BPE), or WordPiece's words joined by spaces with "##"
  // pieces glued on; invalid UTF-8 becomes U+FFFD.
  std::string decode(std::span<const int32_t> ids) const override;
  std::string token_text(int32_t id) const override;
  int32_t vocab_size() const override { return int32_t(id_bytes_.size()); }
  SpecialTokenIds special_token_ids() const override { return pipeline_.special_ids; }
  bool is_special(int32_t id) const override { return special_.count(id) != 0; }

  const TokenizerPipeline& pipeline() const { return pipeline_; }

 private:
  HfTokenizer() = default;

  // The bytes an id stands for: byte-level characters as bytes, "▁" as a space, <0xNN> as
  // its byte, added tokens as their content.
  std::string bytes_of(int32_t id) const;
  void append_piece(std::string_view input, const NormalizedText& piece,
                    std::vector<PieceToken>& scratch, std::vector<Token>& out) const;

  TokenizerPipeline pipeline_;
  AddedVocabulary added_;
  std::unordered_set<int32_t> special_;
  std::vector<std::string> id_bytes_;    // (V) bytes_of each id
  std::vector<std::string> id_display_;  // (V) token_text of each id
};

}  // namespace attnviz

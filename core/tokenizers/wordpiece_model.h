// HF tokenizers' WordPiece model (models/wordpiece/mod.rs): greedy longest-match-first over
// the piece, later sub-words spelled with the continuing prefix ("##"); a piece longer than
// max_input_chars_per_word characters, or one with a part no entry matches, is one unk token.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "core/tokenizers/token_model.h"

namespace attnviz {

struct WordPieceModelOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPieceModel : public TokenModel {
 public:
  // The unk token must be in the vocabulary.
  static Result<std::unique_ptr<WordPieceModel>> create(StringMap<int32_t> vocab,
                                                        WordPieceModelOptions options);

  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::optional<std::string_view> id_to_token(int32_t id) const override;
  int32_t max_id() const override { return int32_t(id_to_token_.size()) - 1; }

  const WordPieceModelOptions& options() const { return options_; }

 private:
  WordPieceModel() = default;

  StringMap<int32_t> vocab_;
  std::vector<std::string> id_to_token_;  // (max id + 1)
  std::vector<bool> has_token_;
  WordPieceModelOptions options_;
  int32_t unk_id_ = 0;
  size_t longest_entry_ = 0;  // bytes: no longer candidate can match, which bounds the search
};

}  // namespace attnviz

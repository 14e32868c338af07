// HF tokenizers' WordPiece model (models/wordpiece/mod.rs): greedy longest-match-first over
// the piece, later sub-words spelled with the continuing prefix ("##"); a piece longer than
// max_input_chars_per_word characters, or one with a part no entry matches, is one unk token.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/result.h"
#include "core/tokenizers/token_model.h"

namespace attnviz {

// Byte strings with ids, searched for the longest one that begins a text (in time bounded by
// the length of the longest string, whatever the text's length).
class PrefixTrie {
 public:
  PrefixTrie() : ids_(1, -1) {}
  void insert(std::string_view key, int32_t id);
  // The longest key that is a prefix of `text`: its length and id, or (0, -1).
  std::pair<size_t, int32_t> longest_prefix(std::string_view text) const;

 private:
  std::unordered_map<uint64_t, int32_t> children_;  // (node << 8 | byte) -> node
  std::vector<int32_t> ids_;                        // (nodes) id of the key ending here, or -1
};

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
  PrefixTrie words_;          // every entry: the first sub-word of a piece
  PrefixTrie continuations_;  // entries spelled with the prefix, the prefix removed
};

}  // namespace attnviz

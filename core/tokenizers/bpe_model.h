// HF tokenizers' BPE model (models/bpe/model.rs, word.rs): the piece's characters (or, after a
// ByteLevel pre-tokenizer, its bytes) become symbols, unknown ones fall back to <0xNN> byte
// tokens or the unk token (fused or not) or are dropped, then the adjacent pair of lowest merge
// rank is merged until none is left.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/tokenizers/token_model.h"

namespace attnviz {

// GPT-2's byte -> character table: printable bytes map to themselves, the other 68 bytes to
// U+0100, U+0101, ... in increasing order (space -> U+0120 'Ġ', LF -> U+010A 'Ċ').
char32_t gpt2_byte_to_char(uint8_t byte);
// The inverse for one character: the byte, or -1 for a character outside the table.
int gpt2_char_to_byte(char32_t c);
// "Ġthe" -> " the"; nullopt when a character is outside the table.
std::optional<std::string> gpt2_string_to_bytes(std::string_view token);

struct BpeOptions {
  bool byte_level = false;  // symbols are bytes, spelled as GPT-2 characters in the vocabulary
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;  // a piece that is a whole vocabulary entry is one token
};

// One merge rule, viewing the file's text (alive while the model is created).
struct BpeMerge {
  std::string_view left;
  std::string_view right;
};

// A BPE vocabulary has a few merges per entry (Llama 3: 2.2, Gemma 3: 2.0); more than this
// many is a damaged file, refused before anything is built from it.
inline constexpr size_t kMaxMergesPerEntry = 16;

class BpeModel : public TokenModel {
 public:
  // Checks that every merge's parts and result are in the vocabulary and that unk_token is;
  // `where(rank)` names a merge in messages ("line 7", "model.merges[6]").
  static Result<std::unique_ptr<BpeModel>> create(StringMap<int32_t> vocab,
                                                  const std::vector<BpeMerge>& merges,
                                                  BpeOptions options,
                                                  const std::function<std::string(size_t)>& where);

  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::optional<std::string_view> id_to_token(int32_t id) const override;
  int32_t max_id() const override { return int32_t(id_to_token_.size()) - 1; }

  const BpeOptions& options() const { return options_; }

  // SentencePiece-style vocabularies spell spaces as a marker ("▁") that merged tokens only
  // hold at their start: a piece can then be cut before a marker wherever no merged token
  // holds the character before it followed by the marker, without changing the result (no
  // merge can span the cut), and the parts are short enough to cache. Without this a text
  // with no pre-tokenizer (Llama 2, Mistral, Gemma) is one piece of the whole text.
  void set_space_marker(const std::string& marker);

 private:
  BpeModel() = default;

  using Merged = std::vector<PieceToken>;
  Merged merge(std::string_view piece) const;
  // One part of a piece through the cache, appended with its offset.
  void tokenize_part(std::string_view part, uint32_t offset, std::vector<PieceToken>& out) const;
  // The initial symbols of a piece (HF's merge_word before merge_all).
  void initial_symbols(std::string_view piece, Merged& symbols) const;
  // The id of one character (byte) with the prefix/suffix HF adds, or -1.
  int32_t symbol_id(std::string_view unit, bool first, bool last) const;

  StringMap<int32_t> vocab_;
  std::vector<std::string> id_to_token_;  // (max id + 1), "" for ids with no entry
  std::vector<bool> has_token_;
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  BpeOptions options_;
  int32_t unk_id_ = -1;
  int32_t byte_symbol_ids_[256];               // byte_level without prefix/suffix: id of each byte
  int32_t byte_fallback_ids_[256];             // id of "<0xNN>", -1 when missing
  StringMap<int32_t> bytes_to_id_;             // byte_level + ignore_merges: raw bytes -> id
  std::string space_marker_;                   // set_space_marker: where pieces may be cut
  std::unordered_set<char32_t> joins_marker_;  // characters merged tokens hold before it

  // Pieces repeat a lot ("Ġthe"), so short ones are cached; encode() may run on two threads.
  mutable std::mutex cache_mutex_;
  mutable StringMap<Merged> cache_;
};

}  // namespace attnviz

// GPT-2 byte-level BPE (openai/gpt-2 encoder.py; HF tokenizers' BPE model with the ByteLevel
// pre-tokenizer): added tokens are matched in the raw text, the rest is split by GPT-2's
// pre-tokenization regex, each piece's UTF-8 bytes are mapped to printable characters and
// merged by rank.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

// A token matched verbatim in the raw text before any other processing, as HF's added_tokens.
struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = true;
};

// The byte -> character table of GPT-2: printable bytes map to themselves, the other 68
// bytes to U+0100, U+0101, ... in increasing order (space -> U+0120 'Ġ', LF -> U+010A 'Ċ').
char32_t gpt2_byte_to_char(uint8_t byte);

// A byte range [start, end) of a text.
struct ByteSpan {
  size_t start = 0;
  size_t end = 0;
  bool operator==(const ByteSpan&) const = default;
};

// The pieces of GPT-2's pre-tokenization regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as byte spans that tile `text`. `text` must be valid UTF-8 (programmer invariant).
std::vector<ByteSpan> gpt2_pretokenize(std::string_view text);

// Splits text into runs of plain text and matches of added tokens (leftmost, then longest, as
// HF's AddedVocabulary). `added_index` is the index into `added` for a match, -1 for plain text.
struct TextSegment {
  ByteSpan span;
  int added_index = -1;
};
std::vector<TextSegment> split_on_added_tokens(std::string_view text,
                                               const std::vector<AddedToken>& added);

// What a BPE tokenizer is made of, whichever files it came from. Token strings are in GPT-2's
// byte-to-character form ("Ġthe").
struct BpeModelData {
  std::unordered_map<std::string, int32_t> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // rank = index
  std::vector<int> merge_lines;  // optional: the file line of each merge, for error messages
  std::vector<AddedToken> added_tokens;
  bool ignore_merges = false;  // HF option: a piece that is a whole vocab entry is not merged
};

class BpeTokenizer : public Tokenizer {
 public:
  // Checks the data (ids unique and in range, every byte has a token, every merge's parts and
  // result are in the vocabulary). `source` names the file(s) in error messages.
  static Result<std::unique_ptr<BpeTokenizer>> create(BpeModelData data, const std::string& source);

  Result<std::vector<Token>> encode(std::string_view text) const override;
  std::string decode(std::span<const int32_t> ids) const override;
  std::string token_text(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(id_to_bytes_.size()); }

 private:
  BpeTokenizer() = default;

  // One BPE result: ids and how many input bytes each covers.
  struct PieceTokens {
    std::vector<int32_t> ids;
    std::vector<uint32_t> byte_lengths;
  };
  PieceTokens merge_piece(std::string_view piece_bytes) const;
  // Appends the tokens of one pre-tokenized piece at `piece` of `text`, through the cache.
  void append_piece_tokens(std::string_view text, ByteSpan piece, std::vector<Token>& out) const;

  std::vector<std::string> id_to_bytes_;    // (V) the raw bytes of each token
  std::vector<std::string> id_to_display_;  // (V) bytes as valid UTF-8 (U+FFFD for partials)
  std::unordered_map<std::string, int32_t> bytes_to_id_;  // for ignore_merges
  int32_t byte_ids_[256] = {};
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  std::vector<AddedToken> added_tokens_;
  bool ignore_merges_ = false;

  // Pieces repeat a lot in real text ("Ġthe"), so BPE results are cached. encode() is const and
  // may be called from several threads (UI and worker), hence the lock.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, PieceTokens> cache_;
};

}  // namespace attnviz

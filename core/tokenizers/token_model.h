// tokenizer.json's "model": what turns one pre-tokenized piece into vocabulary ids (BPE or
// WordPiece), plus the vocabulary lookups the rest of the pipeline needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnviz {

// One token of a piece: its id and the piece's bytes [begin, end) it covers.
struct PieceToken {
  int32_t id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const PieceToken&) const = default;
};

// std::unordered_map<std::string, V> that can be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class TokenModel {
 public:
  virtual ~TokenModel() = default;

  // Appends the tokens of `piece` (non-empty, valid UTF-8), in order and tiling it, except
  // that characters a BPE without unk_token or byte_fallback cannot spell are dropped, as HF
  // drops them.
  virtual void tokenize(std::string_view piece, std::vector<PieceToken>& out) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // The vocabulary string of an id ("Ġthe", "##ing", "<0x0A>"), or nullopt.
  virtual std::optional<std::string_view> id_to_token(int32_t id) const = 0;
  // The largest id of the vocabulary, -1 when it is empty.
  virtual int32_t max_id() const = 0;
};

}  // namespace attnviz

// Tokens and the Tokenizer interface shared by every tokenizer attnviz reads (GPT-2 byte-level
// BPE, BERT WordPiece, and the tokenizer.json pipelines of today's model families).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace attnviz {

// One token of the input. The byte span lets the UI map a click on the text to a token and
// back; special tokens added by the tokenizer ([CLS], [SEP], <s>) have an empty span. Spans
// never overlap and never go backwards.
struct Token {
  int32_t id = 0;
  // What to show, valid UTF-8: the text the user typed for this token when it holds whole
  // characters (BPE; what it spells when it holds part of a run the normalizer composed), the
  // vocabulary's spelling for WordPiece ("##ing"), what was typed for added tokens, and for a
  // token holding only some bytes of a character those bytes as "<0xE2>".
  std::string text;
  size_t start = 0;      // byte offset of the first byte in the input text
  size_t end = 0;        // one past the last byte; start == end for added special tokens
  bool special = false;  // <|endoftext|>, [CLS], [SEP], <s>, <|im_start|> ...
  // Set when the token holds only some of the UTF-8 bytes of the characters it touches (byte
  // fallback <0xE2>, a byte-level BPE piece of "é"): `bytes` are the bytes it holds, and
  // [char_start, char_end) spans those whole characters in the input, shared with the
  // neighbouring tokens that hold their other bytes, so a view can say "byte 1 of 2 of 'é'"
  // and join the pieces (group_character_pieces, group_text). Empty / 0 otherwise.
  bool partial = false;
  std::string bytes = {};
  size_t char_start = 0;
  size_t char_end = 0;

  bool operator==(const Token&) const = default;
};

// Consecutive tokens [first, end) that together hold whole characters: a token holding whole
// characters is a group of one; tokens holding pieces of the same characters form one group.
struct TokenGroup {
  int first = 0;
  int end = 0;
  bool operator==(const TokenGroup&) const = default;
};
std::vector<TokenGroup> group_character_pieces(std::span<const Token> tokens);

// The text of tokens [first, end) joined, pieces of characters put back together: valid UTF-8,
// with bytes of characters the tokens do not complete shown as <0xNN>.
std::string joined_text(std::span<const Token> tokens, int first, int end);
inline std::string group_text(std::span<const Token> tokens, TokenGroup group) {
  return joined_text(tokens, group.first, group.end);
}

// What a tooltip says under a token's text, one rule for every panel: "id 162, bytes 6..7",
// ", special", and for a piece of a character its share of it: "byte 1 of 3 of "日" (U+65E5)"
// (or "of an incomplete character" when the text ends inside it).
std::string token_details(std::span<const Token> tokens, size_t index);

// Ids of the tokens a model treats specially; -1 when the tokenizer has none.
struct SpecialTokenIds {
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t pad = -1;
  int32_t unk = -1;
  bool operator==(const SpecialTokenIds&) const = default;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Splits `text` (any bytes; invalid UTF-8 is an Error naming the byte offset).
  virtual Result<std::vector<Token>> encode(std::string_view text) const = 0;
  // Concatenates the tokens' bytes; invalid UTF-8 sequences become U+FFFD.
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  // The display text of one id, valid UTF-8: the characters it stands for (" the" for "Ġthe"
  // and "▁the"), bytes that are not whole characters as "<0xE2>", added tokens' content.
  virtual std::string token_text(int32_t id) const = 0;
  // 1 + the largest id the tokenizer can produce (vocabulary, added tokens, post-processor).
  virtual int32_t vocab_size() const = 0;
  // BOS/EOS/pad/unk as the model folder's tokenizer_config.json names them.
  virtual SpecialTokenIds special_token_ids() const { return {}; }
  // True for ids of special tokens (added tokens marked special, post-processor tokens).
  virtual bool is_special(int32_t id) const {
    (void)id;
    return false;
  }
};

}  // namespace attnviz

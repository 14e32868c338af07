// Tokens and the Tokenizer interface shared by GPT-2 byte-level BPE and BERT WordPiece.
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
// back; special tokens added by the tokenizer ([CLS], [SEP]) have an empty span.
struct Token {
  int32_t id = 0;
  std::string text;    // what to show: decoded UTF-8 ("Ġ" shown as a space), valid UTF-8
  size_t start = 0;    // byte offset of the first byte in the input text
  size_t end = 0;      // one past the last byte; start == end for added special tokens
  bool special = false;  // <|endoftext|>, [CLS], [SEP], [UNK]-free added tokens

  bool operator==(const Token&) const = default;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Splits `text` (any bytes; invalid UTF-8 is an Error naming the byte offset).
  virtual Result<std::vector<Token>> encode(std::string_view text) const = 0;
  // Concatenates the tokens' bytes; invalid UTF-8 sequences become U+FFFD.
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  // The display text of one id (as Token::text would show it).
  virtual std::string token_text(int32_t id) const = 0;
  virtual int32_t vocab_size() const = 0;
};

}  // namespace attnviz

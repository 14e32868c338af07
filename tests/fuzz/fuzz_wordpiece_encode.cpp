// libFuzzer harness: BERT WordPiece encoding of arbitrary bytes with the real bert-base-uncased
// vocabulary (tests/data/bert-tiny: 30,522 tokens). Valid UTF-8 must encode within the Token
// contract, starting with [CLS] and ending with [SEP]; anything else must be an error.
#include "core/tokenizer_loader.h"
#include "core/unicode.h"
#include "fuzz_support.h"
#include "fuzz_tokenizer_files.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Tokenizer> tokenizer = [] {
    auto loaded =
        load_tokenizer(fuzz::test_data() / "bert-tiny" / "model", TokenizerKind::kWordPiece);
    if (!loaded) __builtin_trap();
    return std::move(loaded).value();
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tokens = tokenizer->encode(text);
  if (tokens.ok() != unicode::validate_utf8(text).ok()) __builtin_trap();
  if (!tokens) return 0;
  fuzz::check_tokens(*tokenizer, text, *tokens);
  if (tokens->size() < 2 || tokens->front().text != "[CLS]" || tokens->back().text != "[SEP]")
    __builtin_trap();
  return 0;
}

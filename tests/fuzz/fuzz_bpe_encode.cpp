// libFuzzer harness: GPT-2 byte-level BPE encoding of arbitrary bytes with the real GPT-2
// vocabulary (tests/data/gpt2-tiny: 50,257 tokens, 50,000 merges). Valid UTF-8 must encode,
// and decoding the ids must give the text back byte for byte; anything else must be an error.
#include "core/tokenizer_loader.h"
#include "core/unicode.h"
#include "fuzz_support.h"
#include "fuzz_tokenizer_files.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Tokenizer> tokenizer = [] {
    auto loaded =
        load_tokenizer(fuzz::test_data() / "gpt2-tiny" / "model", TokenizerKind::kByteLevelBpe);
    if (!loaded) __builtin_trap();
    return std::move(loaded).value();
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tokens = tokenizer->encode(text);
  const bool valid = unicode::validate_utf8(text).ok();
  if (tokens.ok() != valid) __builtin_trap();
  if (!tokens) return 0;
  fuzz::check_tokens(*tokenizer, text, *tokens);
  std::vector<int32_t> ids;
  for (const Token& token : *tokens) ids.push_back(token.id);
  if (tokenizer->decode(ids) != text) __builtin_trap();
  return 0;
}

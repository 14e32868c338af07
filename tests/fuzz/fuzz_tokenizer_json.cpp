// libFuzzer harness: tokenizer.json (and, after a "\n--8<--\n" line, tokenizer_config.json)
// through load_tokenizer(folder, kind) for each TokenizerKind; a tokenizer that loads encodes
// a few fixed texts.
#include "core/tokenizer_loader.h"
#include "fuzz_support.h"
#include "fuzz_tokenizer_files.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path folder = fuzz::scratch() / "tokenizer";
  fuzz::reset_folder(folder);
  const auto files = fuzz::split_files(data, size);
  fuzz::write_file(folder / "tokenizer.json", files[0]);
  if (files.size() > 1) fuzz::write_file(folder / "tokenizer_config.json", files[1]);
  for (TokenizerKind kind :
       {TokenizerKind::kByteLevelBpe, TokenizerKind::kWordPiece, TokenizerKind::kTokenizerJson}) {
    auto tokenizer = load_tokenizer(folder, kind);
    if (tokenizer) fuzz::encode_samples(**tokenizer);
  }
  return 0;
}

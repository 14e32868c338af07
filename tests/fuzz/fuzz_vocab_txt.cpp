// libFuzzer harness: BERT's vocab.txt (and, after a "\n--8<--\n" line, tokenizer_config.json)
// through load_tokenizer(folder, kWordPiece); a tokenizer that loads encodes a few fixed texts.
#include "core/tokenizer_loader.h"
#include "fuzz_support.h"
#include "fuzz_tokenizer_files.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path folder = fuzz::scratch() / "wordpiece";
  fuzz::reset_folder(folder);
  const auto files = fuzz::split_files(data, size);
  fuzz::write_file(folder / "vocab.txt", files[0]);
  if (files.size() > 1) fuzz::write_file(folder / "tokenizer_config.json", files[1]);
  auto tokenizer = load_tokenizer(folder, TokenizerKind::kWordPiece);
  if (tokenizer) fuzz::encode_samples(**tokenizer);
  return 0;
}

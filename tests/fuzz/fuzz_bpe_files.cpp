// libFuzzer harness: GPT-2's vocab.json and merges.txt (split by a "\n--8<--\n" line) through
// load_tokenizer(folder, kByteLevelBpe); a tokenizer that loads encodes a few fixed texts.
#include "core/tokenizer_loader.h"
#include "fuzz_support.h"
#include "fuzz_tokenizer_files.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path folder = fuzz::scratch() / "bpe";
  fuzz::reset_folder(folder);
  const auto files = fuzz::split_files(data, size);
  fuzz::write_file(folder / "vocab.json", files[0]);
  fuzz::write_file(folder / "merges.txt", files.size() > 1 ? files[1] : "#version: 0.2\n");
  auto tokenizer = load_tokenizer(folder, TokenizerKind::kByteLevelBpe);
  if (tokenizer) fuzz::encode_samples(**tokenizer);
  return 0;
}

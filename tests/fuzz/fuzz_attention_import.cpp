// libFuzzer harness: imported attention with its tokens. The input is the attention file and,
// after a "\n--8<--\n" line, a tokens JSON; the attention bytes are tried as .json, .npy and
// .safetensors (each loader refuses the others' bytes), through load_attention_file.
#include "core/attention_import.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path folder = fuzz::scratch() / "import";
  fuzz::reset_folder(folder);
  const auto files = fuzz::split_files(data, size);
  fs::path tokens;
  if (files.size() > 1) {
    tokens = folder / "tokens.json";
    fuzz::write_file(tokens, files[1]);
  }
  for (const char* name : {"attention.json", "attention.npy", "attention.safetensors"}) {
    fuzz::write_file(folder / name, files[0]);
    auto trace = load_attention_file(folder / name, tokens);
    if (trace && (*trace)->tokens_count() <= 0) __builtin_trap();
  }
  if (!tokens.empty()) (void)load_tokens_json(tokens);
  return 0;
}

// libFuzzer harness: a model folder laid out by a script (fuzz_support.h: links to a tiny
// working GPT-2's files, copies, files of fuzzed bytes, links anywhere, link loops, folders,
// named pipes), then Model::load and classify_model_folder on it. A model that loads runs on a
// few tokens. The script comes first; a line "--8<--" ends it and starts the files' contents.
#include "core/model.h"
#include "core/model_discovery.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, fs::path> good =
      fuzz::make_tiny_gpt2(fuzz::scratch() / "good");
  const fs::path folder = fuzz::scratch() / "model";
  fuzz::reset_folder(folder);
  auto files = fuzz::split_files(data, size);
  const std::string_view script = files.front();
  files.erase(files.begin());
  fuzz::apply_folder_script(folder, script, files, good, /*allow_subfolders=*/false);

  (void)classify_model_folder(folder);
  auto model = Model::load(folder);
  if (!model) return 0;
  auto tokens = (*model)->tokenizer().encode("the the");
  if (!tokens) return 0;
  if (tokens->size() > static_cast<size_t>((*model)->config().max_positions))
    tokens->resize((*model)->config().max_positions);
  RunOptions options;
  (void)(*model)->run(*tokens, options);
  return 0;
}

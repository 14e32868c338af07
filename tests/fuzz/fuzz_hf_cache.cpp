// libFuzzer harness: a Hugging Face hub cache laid out by a script (fuzz_support.h; paths may
// have folders, e.g. "models--org--name/snapshots/abc/config.json", links may point anywhere
// and loop), then scan_hub_cache and discover_models on it. Every row must have a name, and an
// unsupported row a reason. A line "--8<--" ends the script and starts the files' contents.
#include <cstdlib>

#include "core/model_discovery.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, fs::path> good = [] {
    // Keep this machine's own cache out of discover_models.
    fs::create_directories(fuzz::scratch() / "empty_hub");
    setenv("HF_HUB_CACHE", (fuzz::scratch() / "empty_hub").c_str(), 1);
    return fuzz::make_tiny_gpt2(fuzz::scratch() / "good");
  }();
  const fs::path hub = fuzz::scratch() / "hub";
  fuzz::reset_folder(hub);
  auto files = fuzz::split_files(data, size);
  const std::string_view script = files.front();
  files.erase(files.begin());
  fuzz::apply_folder_script(hub, script, files, good, /*allow_subfolders=*/true);

  for (const DiscoveredModel& model : scan_hub_cache(hub))
    if (model.name.empty() || (!model.supported && model.reason.empty())) __builtin_trap();
  const std::vector<fs::path> extra = {hub};
  for (const DiscoveredModel& model : discover_models(extra))
    if (!model.supported && model.reason.empty()) __builtin_trap();
  return 0;
}

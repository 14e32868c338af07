// libFuzzer harness: model.safetensors.index.json of a sharded checkpoint through
// TensorStore::open_folder, beside two valid shards ("a.safetensors" with tensor "w",
// "b.safetensors" with "v"); then every tensor it lists is read.
#include "core/safetensors.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

namespace {

const fs::path& shard_folder() {
  static const fs::path folder = [] {
    const fs::path made = fuzz::scratch() / "sharded";
    fs::create_directories(made);
    const auto one = [](const std::string& name) {
      TensorToWrite tensor{name, DType::kF32, {2}, std::vector<uint8_t>(8, 0)};
      return std::vector<TensorToWrite>{tensor};
    };
    (void)write_safetensors(made / "a.safetensors", one("w"));
    (void)write_safetensors(made / "b.safetensors", one("v"));
    return made;
  }();
  return folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& folder = shard_folder();
  fuzz::write_file(folder / "model.safetensors.index.json",
                   std::string_view(reinterpret_cast<const char*>(data), size));
  auto store = TensorStore::open_folder(folder);
  if (!store) return 0;
  for (const std::string& name : store->names()) {
    const TensorStore::Entry* entry = store->find(name);
    if (!entry || !entry->file->read_floats(*entry->info)) __builtin_trap();
  }
  return 0;
}

// Finds the models a person already has on disk: the Hugging Face hub cache
// (models--ORG--NAME/snapshots/REV/, files symlinked into ../../blobs) and any extra folder,
// and says for each whether attnviz can open it and, if not, why.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace attnviz {

struct DiscoveredModel {
  std::string name;            // "ORG/NAME" for the hub cache, the folder name otherwise
  std::string revision;        // snapshot folder name (a commit hash); empty outside the cache
  std::filesystem::path path;  // the folder Model::load would open
  std::string model_type;      // config.json's model_type, empty when unknown
  bool supported = false;
  std::string reason;  // why not, when !supported ("model_type mamba is not supported")
  // From the model card (config.json and the safetensors headers), when they could be read.
  std::string family;       // "Llama", the architecture table's name
  uint64_t parameters = 0;  // numbers in the tensors attnviz reads
  std::string precision;    // "BF16", "F32", ...
  std::string description;  // "Llama, 1.24 B parameters, BF16, 16 layers, 32 query / 8 kv heads"

};

// The hub cache folder, as huggingface_hub resolves it: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. Empty when none can be formed.
std::filesystem::path default_hub_cache();

// Says whether one model folder can be opened: config.json present and valid JSON, a model_type
// of the architecture table, weights as model.safetensors or model.safetensors.index.json (not
// only pytorch_model.bin), and the family's tokenizer files; describes it from its model card
// when config.json and the weights' headers can be read. Links are followed (hub snapshots are
// symlinks).
DiscoveredModel classify_model_folder(const std::filesystem::path& folder);

// Every model under the hub cache and the extra folders, sorted by name then revision. An extra
// folder may be a hub cache itself (models--* inside), a model folder (config.json inside), or a
// folder of model folders. Missing folders give nothing and are never an error; an entry that
// is a symbolic link loop or a folder that cannot be listed is skipped with an unsupported row
// whose reason says so. Names and revisions with bytes that are not UTF-8 are shown escaped
// ("\xFF"); `path` keeps the real bytes.
std::vector<DiscoveredModel> discover_models(
    std::span<const std::filesystem::path> extra_folders = {});

// The same, for one hub cache folder only.
std::vector<DiscoveredModel> scan_hub_cache(const std::filesystem::path& hub);

}  // namespace attnviz

#include "core/model_discovery.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <tuple>

#include "core/model_card.h"
#include "core/models/architecture.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxConfigBytes = 16 << 20;  // real config.json files are a few KiB

// exists() follows links, so a snapshot link to a blob that was never downloaded is "missing".
bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool is_broken_link(const fs::path& path) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(path, ec)) && !fs::exists(path, ec);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Sorted subfolder names of a folder; none when it cannot be read.
std::vector<fs::path> subfolders(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec))
    if (is_dir(it->path())) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

DiscoveredModel unsupported(DiscoveredModel model, std::string reason) {
  model.supported = false;
  model.reason = std::move(reason);
  return model;
}

}  // namespace

fs::path default_hub_cache() {
  if (std::string hub = env("HF_HUB_CACHE"); !hub.empty()) return hub;
  if (std::string home = env("HF_HOME"); !home.empty()) return fs::path(home) / "hub";
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty())
    return fs::path(xdg) / "huggingface" / "hub";
  if (std::string home = env("HOME"); !home.empty())
    return fs::path(home) / ".cache" / "huggingface" / "hub";
  return {};
}

DiscoveredModel classify_model_folder(const fs::path& folder) {
  DiscoveredModel model;
  model.name = folder.filename().string();
  model.path = folder;
  const fs::path config = folder / "config.json";
  if (!is_file(config))
    return unsupported(model, is_broken_link(config)
                                  ? "config.json was not downloaded (broken link)"
                                  : "no config.json");
  std::error_code ec;
  const uintmax_t size = fs::file_size(config, ec);
  if (ec || size > kMaxConfigBytes) return unsupported(model, "config.json cannot be read");
  std::ifstream in(config, std::ios::binary);
  std::string text(size, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size)))
    return unsupported(model, "config.json cannot be read");
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object())
    return unsupported(model, "config.json is not a valid JSON object");
  auto type = document.find("model_type");
  if (type == document.end() || !type->is_string())
    return unsupported(model, "config.json has no model_type");
  model.model_type = type->get<std::string>();
  const ArchitectureRow* row =
      find_architecture(model.model_type == "gemma3" ? "gemma3_text" : model.model_type);
  if (!row)
    return unsupported(model, "model_type " + model.model_type +
                                  " is not supported (attnviz runs " + supported_model_types() +
                                  ")");

  if (!is_file(folder / "model.safetensors") && !is_file(folder / "model.safetensors.index.json")) {
    if (is_broken_link(folder / "model.safetensors"))
      return unsupported(model, "model.safetensors was not downloaded (broken link)");
    if (is_file(folder / "pytorch_model.bin") || is_file(folder / "pytorch_model.bin.index.json"))
      return unsupported(model, "only pytorch_model.bin, attnviz reads safetensors");
    if (is_file(folder / "tf_model.h5") || is_file(folder / "flax_model.msgpack"))
      return unsupported(model, "only TensorFlow/Flax weights, attnviz reads safetensors");
    return unsupported(model, "no weights (model.safetensors)");
  }
  const bool has_tokenizer =
      is_file(folder / "tokenizer.json") ||
      (row->tokenizer == TokenizerKind::kByteLevelBpe &&
       is_file(folder / "vocab.json") && is_file(folder / "merges.txt")) ||
      (row->tokenizer == TokenizerKind::kWordPiece && is_file(folder / "vocab.txt"));
  if (!has_tokenizer) {
    switch (row->tokenizer) {
      case TokenizerKind::kByteLevelBpe:
        return unsupported(model, "no tokenizer files (tokenizer.json or vocab.json + merges.txt)");
      case TokenizerKind::kWordPiece:
        return unsupported(model, "no tokenizer files (tokenizer.json or vocab.txt)");
      case TokenizerKind::kTokenizerJson:
        return unsupported(model, "no tokenizer.json");
    }
  }
  model.supported = true;
  model.family = row->display_name;
  // The card needs a complete config and readable headers; a listing stays quick and lenient.
  if (auto card = read_model_card(folder); card.ok()) {
    model.parameters = card->parameters;
    model.precision = card->precision;
    model.description = card->family + ", " + format_parameters(card->parameters) +
                        " parameters, " + card->precision + ", " + std::to_string(card->layers) +
                        " layers, " + std::to_string(card->heads) + " query / " +
                        std::to_string(card->kv_heads) + " kv heads";
  }
  return model;
}

std::vector<DiscoveredModel> scan_hub_cache(const fs::path& hub) {
  std::vector<DiscoveredModel> models;
  for (const fs::path& repo : subfolders(hub)) {
    const std::string folder_name = repo.filename().string();
    const std::string prefix = "models--";
    if (folder_name.rfind(prefix, 0) != 0) continue;  // datasets--, spaces--, .locks
    // huggingface_hub names the folder "models--" + repo_id with "/" replaced by "--".
    std::string name;
    for (size_t i = prefix.size(); i < folder_name.size(); ++i) {
      if (folder_name.compare(i, 2, "--") == 0) {
        name += '/';
        ++i;
      } else {
        name += folder_name[i];
      }
    }
    for (const fs::path& snapshot : subfolders(repo / "snapshots")) {
      DiscoveredModel model = classify_model_folder(snapshot);
      model.name = name;
      model.revision = snapshot.filename().string();
      models.push_back(std::move(model));
    }
  }
  return models;
}

std::vector<DiscoveredModel> discover_models(std::span<const fs::path> extra_folders) {
  std::vector<DiscoveredModel> models;
  const auto add = [&](std::vector<DiscoveredModel> found) {
    for (DiscoveredModel& model : found) models.push_back(std::move(model));
  };
  if (fs::path hub = default_hub_cache(); !hub.empty()) add(scan_hub_cache(hub));
  for (const fs::path& folder : extra_folders) {
    if (!is_dir(folder)) continue;
    if (is_file(folder / "config.json")) {
      models.push_back(classify_model_folder(folder));
      continue;
    }
    add(scan_hub_cache(folder));
    for (const fs::path& child : subfolders(folder))
      if (is_file(child / "config.json")) models.push_back(classify_model_folder(child));
  }
  std::sort(models.begin(), models.end(), [](const DiscoveredModel& a, const DiscoveredModel& b) {
    return std::tie(a.name, a.revision, a.path) < std::tie(b.name, b.revision, b.path);
  });
  // The same folder reached twice (an extra folder that is the hub cache) is listed once.
  models.erase(std::unique(models.begin(), models.end(),
                           [](const DiscoveredModel& a, const DiscoveredModel& b) {
                             return a.path == b.path;
                           }),
               models.end());
  return models;
}

}  // namespace attnviz

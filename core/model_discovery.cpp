#include "core/model_discovery.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <tuple>

#include "core/json_read.h"
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

DiscoveredModel skipped(const fs::path& path, std::string reason) {
  DiscoveredModel model;
  model.name = escape_invalid_utf8(path.filename().string());
  model.path = path;
  model.reason = std::move(reason);
  return model;
}

// Why a folder entry cannot be followed ("a symbolic link loop", "cannot be read: Permission
// denied"), or empty when it is a folder that can be listed. Broken links and files are not
// folders and give "not a folder".
std::string unreadable_folder_reason(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec == std::errc::too_many_symbolic_link_levels) return "is a symbolic link loop; skipped";
  if (ec && ec != std::errc::no_such_file_or_directory)
    return "cannot be read (" + ec.message() + "); skipped";
  if (!fs::is_directory(status)) return "not a folder";
  fs::directory_iterator probe(path, ec);
  if (ec) return "cannot be listed (" + ec.message() + "); skipped";
  return {};
}

// The subfolders of a folder, sorted. An entry that is a link loop or a folder that cannot be
// listed goes to `problems` (a row saying why it was skipped); files and broken links are
// left out quietly. A folder that cannot be opened at all gives nothing.
std::vector<fs::path> subfolders(const fs::path& folder, std::vector<DiscoveredModel>* problems) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  if (ec) return out;  // the caller says why when it matters (unreadable_folder_reason)
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string reason = unreadable_folder_reason(path);
    if (reason.empty())
      out.push_back(path);
    else if (reason != "not a folder" && problems)
      problems->push_back(
          skipped(path, escape_invalid_utf8(path.filename().string()) + " " + reason));
  }
  if (ec && problems)
    problems->push_back(skipped(folder, "the folder " + escape_invalid_utf8(folder.string()) +
                                            " could not be read to the end (" + ec.message() +
                                            ")"));
  std::sort(out.begin(), out.end());
  return out;
}

// "ORG/NAME" of a hub cache folder "models--ORG--NAME" (huggingface_hub replaces "/" with
// "--"), shown escaped; empty for anything else (datasets--, spaces--, .locks).
std::string repo_id(const fs::path& repo) {
  const std::string folder_name = repo.filename().string();
  const std::string prefix = "models--";
  if (folder_name.rfind(prefix, 0) != 0) return {};
  std::string name;
  for (size_t i = prefix.size(); i < folder_name.size(); ++i) {
    if (folder_name.compare(i, 2, "--") == 0) {
      name += '/';
      ++i;
    } else {
      name += folder_name[i];
    }
  }
  return escape_invalid_utf8(name);
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
  model.name = escape_invalid_utf8(model_identity_name(ModelConfig{}, folder));
  model.path = folder;
  const fs::path config = folder / "config.json";
  if (!is_file(config)) {
    std::error_code ec;
    (void)fs::status(config, ec);
    if (ec == std::errc::too_many_symbolic_link_levels)
      return unsupported(model, "config.json is a symbolic link loop");
    return unsupported(model, is_broken_link(config)
                                  ? "config.json was not downloaded (broken link)"
                                  : "no config.json");
  }
  std::error_code ec;
  const uintmax_t size = fs::file_size(config, ec);
  if (ec) return unsupported(model, "config.json cannot be read (" + ec.message() + ")");
  if (size > kMaxConfigBytes)
    return unsupported(model, "config.json is " + std::to_string(size) + " bytes, more than the " +
                                  std::to_string(kMaxConfigBytes) + " a config may have");
  std::ifstream in(config, std::ios::binary);
  std::string text(size, '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(size)))
    return unsupported(model, "config.json cannot be read");
  auto parsed = parse_json_bounded(text, "config.json");
  if (!parsed) return unsupported(model, parsed.error().message);
  const nlohmann::json& document = parsed.value();
  if (!document.is_object()) return unsupported(model, "config.json is not a JSON object");
  auto type = document.find("model_type");
  if (type == document.end() || !type->is_string())
    return unsupported(model, "config.json has no model_type");
  model.model_type = escape_invalid_utf8(type->get<std::string>());
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
  std::vector<DiscoveredModel> repo_problems;
  for (const fs::path& repo : subfolders(hub, &repo_problems)) {
    const std::string name = repo_id(repo);
    if (name.empty()) continue;  // datasets--, spaces--, .locks
    std::vector<DiscoveredModel> problems;
    const fs::path snapshots = repo / "snapshots";
    if (std::string reason = unreadable_folder_reason(snapshots);
        !reason.empty() && reason != "not a folder")
      problems.push_back(skipped(snapshots, "snapshots " + reason));
    for (const fs::path& snapshot : subfolders(snapshots, &problems)) {
      DiscoveredModel model = classify_model_folder(snapshot);
      model.name = name;
      model.revision = escape_invalid_utf8(snapshot.filename().string());
      models.push_back(std::move(model));
    }
    for (DiscoveredModel& problem : problems) {
      problem.name = name;
      models.push_back(std::move(problem));
    }
  }
  for (DiscoveredModel& problem : repo_problems) {  // a models--* entry that is a link loop
    problem.name = repo_id(problem.path);
    if (!problem.name.empty()) models.push_back(std::move(problem));
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
    std::vector<DiscoveredModel> problems;
    for (const fs::path& child : subfolders(folder, &problems))
      if (is_file(child / "config.json")) models.push_back(classify_model_folder(child));
    for (DiscoveredModel& problem : problems)  // models--* ones came from scan_hub_cache
      if (repo_id(problem.path).empty()) models.push_back(std::move(problem));
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

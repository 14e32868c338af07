#include "core/model_card.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/models/architecture.h"
#include "core/models/rope.h"
#include "core/safetensors.h"
#include "core/weight_registry.h"

namespace attnviz {
namespace {

std::string rope_text(const RopeConfig& rope, int head_dim) {
  std::string text = describe_rope(rope);
  if (rope.rotary_dims < head_dim)
    text += ", rotates " + std::to_string(rope.rotary_dims) + " of " + std::to_string(head_dim) +
            " dims";
  return text;
}

// "0-4, 6-10" for sorted layer numbers.
std::string ranges(const std::vector<int>& layers) {
  std::string out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(layers[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(layers[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace

ModelCard model_card(const ModelConfig& config, uint64_t parameters, const std::string& precision) {
  ModelCard card;
  card.family = architecture_row(config.architecture).display_name;
  card.model_type = config.model_type;
  card.parameters = parameters;
  card.layers = config.layers;
  card.heads = config.heads;
  card.kv_heads = config.kv_heads;
  card.head_dim = config.head_width;
  card.width = config.width;
  card.vocab_size = config.vocab_size;
  card.context_length = config.max_positions;
  card.positions = config.rotary ? rope_text(config.rope, config.head_width)
                                 : "learned, " + std::to_string(config.max_positions);
  if (config.rope_local) card.local_positions = rope_text(*config.rope_local, config.head_width);
  for (int layer = 0; layer < config.layers; ++layer) card.windows.push_back(config.window(layer));
  card.precision = precision;
  card.attn_softcap = config.attn_softcap;
  card.final_softcap = config.final_softcap;
  card.causal = config.causal();
  return card;
}

Result<ModelCard> read_model_card(const std::filesystem::path& folder) {
  auto config = load_model_config(folder / "config.json");
  if (!config.ok()) return config.error();
  auto store = TensorStore::open_folder(folder);
  if (!store.ok()) return store.error();
  // The dtypes of the tensors the family reads, counted by numbers.
  const ArchitectureRow& row = architecture_row(config->architecture);
  std::map<std::string, bool> wanted;
  for (const WeightSpec& spec : weight_specs(*config)) wanted[spec.name] = true;
  std::map<std::string, uint64_t> numbers;
  uint64_t parameters = 0;
  for (const std::string& name : store->names()) {
    if (!wanted.count(canonical_weight_name(name, row))) continue;
    const TensorStore::Entry* entry = store->find(name);
    numbers[std::string(dtype_name(entry->info->dtype))] += entry->info->elements();
    parameters += entry->info->elements();
  }
  std::string precision;
  uint64_t most = 0;
  for (const auto& [dtype, count] : numbers) {
    if (count > most) {
      precision = dtype;
      most = count;
    }
  }
  for (const auto& [dtype, count] : numbers)
    if (dtype != precision && count * 100 > parameters) precision += " + " + dtype;
  return model_card(*config, parameters ? parameters : weight_parameters(*config), precision);
}

std::string format_parameters(uint64_t parameters) {
  char text[32];
  if (parameters >= 1000000000ull)
    std::snprintf(text, sizeof text, "%.2f B", parameters / 1e9);
  else if (parameters >= 1000000ull)
    std::snprintf(text, sizeof text, "%.0f M", parameters / 1e6);
  else
    std::snprintf(text, sizeof text, "%.0f K", parameters / 1e3);
  return text;
}

namespace {

// "models--org--name" -> "org/name"; "" for any other folder name.
std::string hub_repo_id(const std::string& folder_name) {
  const std::string prefix = "models--";
  if (folder_name.rfind(prefix, 0) != 0 || folder_name.size() == prefix.size()) return {};
  std::string name;
  for (size_t i = prefix.size(); i < folder_name.size(); ++i) {
    if (folder_name.compare(i, 2, "--") == 0) {
      name += '/';
      ++i;
    } else {
      name += folder_name[i];
    }
  }
  return name;
}

bool is_snapshot_hash(const std::string& name) {
  return name.size() == 40 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A repo id names no local path: "gpt2", "org/name", not "/home/x/model" or "./out".
bool looks_like_repo(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.front() == '.' || name.front() == '~') return false;
  if (name.find('\\') != std::string::npos || name.find(':') != std::string::npos) return false;
  return std::count(name.begin(), name.end(), '/') <= 1;
}

}  // namespace

std::string model_identity_name(const ModelConfig& config, const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::path normal = std::filesystem::absolute(folder, ec).lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();  // "…/model/"
  for (const auto& part : normal)
    if (std::string repo = hub_repo_id(part.string()); !repo.empty()) return repo;
  if (looks_like_repo(config.name_or_path)) return config.name_or_path;
  const std::string own = normal.filename().string();
  if ((own == "model" || is_snapshot_hash(own)) && !normal.parent_path().filename().empty())
    return normal.parent_path().filename().string();
  return own.empty() ? config.name : own;
}

std::string model_identity(const ModelConfig& config, const std::filesystem::path& folder,
                           const std::string& name) {
  const std::string shown = name.empty() ? model_identity_name(config, folder) : name;
  return shown + " \u00B7 " + architecture_row(config.architecture).display_name + " \u00B7 " +
         format_parameters(static_cast<uint64_t>(estimated_parameters(config)));
}

std::string describe_windows(const std::vector<int>& windows) {
  std::map<int, std::vector<int>> by_window;
  for (size_t layer = 0; layer < windows.size(); ++layer)
    by_window[windows[layer]].push_back(static_cast<int>(layer));
  if (by_window.size() == 1 && by_window.begin()->first == 0) return "global (full attention)";
  std::string out;
  for (const auto& [window, layers] : by_window) {
    if (window == 0) continue;
    if (!out.empty()) out += "; ";
    out +=
        "window " + std::to_string(window) + " on " +
        (layers.size() == windows.size() ? std::string("every layer") : "layers " + ranges(layers));
  }
  if (by_window.count(0)) out += "; global on " + ranges(by_window[0]);
  return out;
}

std::vector<std::pair<std::string, std::string>> card_lines(const ModelCard& card) {
  std::vector<std::pair<std::string, std::string>> lines;
  lines.push_back({"family", card.family + " (" + card.model_type + ")"});
  lines.push_back({"parameters", format_parameters(card.parameters)});
  lines.push_back({"layers", std::to_string(card.layers)});
  std::string heads =
      std::to_string(card.heads) + " query / " + std::to_string(card.kv_heads) + " key-value";
  if (card.kv_heads < card.heads)
    heads +=
        " (grouped: " + std::to_string(card.heads / card.kv_heads) + " query heads share each)";
  lines.push_back({"heads", heads});
  lines.push_back({"head dim", std::to_string(card.head_dim)});
  lines.push_back({"positions", card.positions});
  if (!card.local_positions.empty()) lines.push_back({"local positions", card.local_positions});
  lines.push_back({"attention", std::string(card.causal ? "causal" : "bidirectional") + ", " +
                                    describe_windows(card.windows)});
  if (card.attn_softcap > 0.0f || card.final_softcap > 0.0f) {
    char text[96];
    std::snprintf(text, sizeof text, "attention %g, final logits %g", card.attn_softcap,
                  card.final_softcap);
    lines.push_back({"soft-capping", text});
  }
  lines.push_back({"precision", card.precision});
  lines.push_back({"context", std::to_string(card.context_length) + " tokens"});
  return lines;
}

}  // namespace attnviz

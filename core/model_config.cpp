// Reads a Hugging Face config.json into ModelConfig through the reader of its family's row in
// the architecture table. Every size is checked against a limit before anything is allocated,
// so a damaged or hostile config cannot make the loader ask for terabytes; the fields a file
// leaves out take the values transformers' config classes give them.
#include "core/model_config.h"

#include <cstdio>

#include "core/json_read.h"
#include "core/models/architecture.h"
#include "core/models/config_fields.h"
#include "core/weight_registry.h"

namespace attnviz {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxConfigBytes = 16 << 20;                 // real configs are a few kilobytes
constexpr double kMaxWeightBytes = 64.0 * 1024 * 1024 * 1024;  // stored, at 2 bytes at least

std::string folder_name(const fs::path& config_json) {
  return fs::absolute(config_json).lexically_normal().parent_path().filename().string();
}

}  // namespace

double estimated_parameters(const ModelConfig& config) {
  return static_cast<double>(weight_parameters(config));
}

std::string family_display_name(Architecture architecture) {
  return architecture_row(architecture).display_name;
}

Result<ModelConfig> load_model_config(const fs::path& config_json) {
  std::error_code ec;
  const uint64_t file_size = fs::file_size(config_json, ec);
  if (ec)
    return make_error(config_json.string() + ": cannot read the model's config (" + ec.message() +
                      "); a Hugging Face model folder has a config.json");
  if (file_size > kMaxConfigBytes)
    return make_error(config_json.string() + ": the file is " + std::to_string(file_size) +
                      " bytes; a config.json is a few kilobytes, this is not one");
  auto root = read_json_file_bounded(config_json, kMaxConfigBytes);
  if (!root.ok()) return root.error();
  if (!root->is_object())
    return make_error(config_json.string() + ": not a JSON object of settings");

  const ConfigFields top(config_json.string(), *root);
  const json* model_type = top.find("model_type");
  if (!model_type || !model_type->is_string())
    return top.error("model_type",
                     "is missing or not a string; attnviz supports " + supported_model_types());
  const std::string& type = model_type->get_ref<const std::string&>();

  // A multimodal Gemma 3 checkpoint: the text model's config is its text_config.
  const ArchitectureRow* row = find_architecture(type);
  const json* object = &*root;
  std::string where = config_json.string();
  if (type == "gemma3") {
    object = top.find("text_config");
    if (!object || !object->is_object())
      return top.error("text_config",
                       "is missing or not an object; a \"gemma3\" config keeps "
                       "its text model's settings there");
    where += " (text_config)";
    row = find_architecture("gemma3_text");
  }
  if (!row)
    return top.error("model_type", "is \"" + type + "\", which attnviz does not support; " +
                                       "supported: " + supported_model_types());

  ModelConfig config;
  config.architecture = row->architecture;
  config.model_type = type;
  const ConfigFields fields(where, *object);
  if (Status read = row->read_config(fields, config); !read) return read.error();

  if (config.kv_heads > config.heads || config.heads % config.kv_heads != 0)
    return fields.error("num_key_value_heads",
                        "is " + std::to_string(config.kv_heads) + ", which does not divide " +
                            "num_attention_heads (" + std::to_string(config.heads) +
                            "); each key/value head serves the same number of query heads");
  const double weight_bytes = estimated_parameters(config) * 2.0;
  if (weight_bytes > kMaxWeightBytes) {
    char gigabytes[32];
    std::snprintf(gigabytes, sizeof gigabytes, "%.0f", weight_bytes / 1e9);
    return make_error(config_json.string() + ": the model would need about " + gigabytes +
                      " GB of memory for its weights even at 16 bits each, more than the 64 GiB "
                      "attnviz allows; the config is damaged or the model is too large");
  }

  if (auto named = top.text("_name_or_path", ""); named) config.name_or_path = named.value();
  config.name = folder_name(config_json);
  if (config.name.empty() || config.name == "." || config.name == "/")
    config.name = config.name_or_path.empty() ? "model" : config.name_or_path;
  return config;
}

}  // namespace attnviz

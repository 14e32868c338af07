// Reads a Hugging Face config.json into ModelConfig. Every size is checked against a limit
// before anything is allocated, so a damaged or hostile config cannot make the loader ask for
// terabytes; the optional switches default to the values transformers uses when they are absent
// (openai-community/gpt2's own config.json has no n_inner or scale_attn_weights).
#include "core/model_config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

namespace attnviz {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxConfigBytes = 16 << 20;  // real configs are a few kilobytes
constexpr double kMaxWeightBytes = 64.0 * 1024 * 1024 * 1024;

// Upper bounds far above any GPT-2 or BERT checkpoint, low enough to reject garbage early.
struct SizeLimits {
  static constexpr int kLayers = 512;
  static constexpr int kHeads = 1024;
  static constexpr int kWidth = 65536;
  static constexpr int kInner = 1 << 20;
  static constexpr int kVocab = 10'000'000;
  static constexpr int kPositions = 1 << 20;
  static constexpr int kTokenTypes = 65536;
};

// Reads typed fields of one config object; every error names the file and the field.
class ConfigFields {
 public:
  ConfigFields(const fs::path& path, const json& root) : path_(path), root_(root) {}

  Error error(const std::string& field, const std::string& problem) const {
    return make_error(path_.string() + ": field \"" + field + "\" " + problem);
  }

  // A required positive integer no larger than `limit`.
  Result<int> size(const std::string& field, int limit) const {
    const auto found = root_.find(field);
    if (found == root_.end()) return error(field, "is missing; the config is incomplete");
    return checked_size(field, *found, limit);
  }

  // An optional positive integer; absent or null gives std::nullopt.
  Result<std::optional<int>> optional_size(const std::string& field, int limit) const {
    const auto found = root_.find(field);
    if (found == root_.end() || found->is_null()) return std::optional<int>{};
    auto value = checked_size(field, *found, limit);
    if (!value) return value.error();
    return std::optional<int>{value.value()};
  }

  Result<bool> flag(const std::string& field, bool fallback) const {
    const auto found = root_.find(field);
    if (found == root_.end() || found->is_null()) return fallback;
    if (!found->is_boolean()) return error(field, "is " + found->dump() + ", not true or false");
    return found->get<bool>();
  }

  // A positive, finite number (layer norm epsilon).
  Result<float> positive_number(const std::string& field, float fallback) const {
    const auto found = root_.find(field);
    if (found == root_.end() || found->is_null()) return fallback;
    if (!found->is_number()) return error(field, "is " + found->dump() + ", not a number");
    const double value = found->get<double>();
    if (!std::isfinite(value) || value <= 0.0 || static_cast<float>(value) <= 0.0f)
      return error(field, "is " + found->dump() + "; it must be a positive number");
    return static_cast<float>(value);
  }

  Result<std::string> text(const std::string& field, const std::string& fallback) const {
    const auto found = root_.find(field);
    if (found == root_.end() || found->is_null()) return fallback;
    if (!found->is_string()) return error(field, "is " + found->dump() + ", not a string");
    return found->get<std::string>();
  }

  bool has(const std::string& field) const { return root_.contains(field); }

 private:
  Result<int> checked_size(const std::string& field, const json& value, int limit) const {
    if (!value.is_number_integer())
      return error(field, "is " + value.dump() + ", not a whole number");
    if (!value.is_number_unsigned() || value.get<uint64_t>() == 0)
      return error(field, "is " + value.dump() + "; it must be positive");
    if (value.get<uint64_t>() > static_cast<uint64_t>(limit))
      return error(field, "is " + value.dump() + ", more than the limit of " +
                              std::to_string(limit) +
                              "; the config is damaged or not a model "
                              "attnviz can load");
    return static_cast<int>(value.get<uint64_t>());
  }

  const fs::path& path_;
  const json& root_;
};

// Assigns a Result's value to `target` or returns its error from the enclosing function.
#define ATTNVIZ_ASSIGN_OR_RETURN(target, expression) \
  do {                                               \
    auto result_ = (expression);                     \
    if (!result_) return result_.error();            \
    target = std::move(result_.value());             \
  } while (false)

Status read_gpt2(const ConfigFields& fields, ModelConfig& config) {
  config.architecture = Architecture::kGpt2;
  ATTNVIZ_ASSIGN_OR_RETURN(config.width, fields.size("n_embd", SizeLimits::kWidth));
  ATTNVIZ_ASSIGN_OR_RETURN(config.layers, fields.size("n_layer", SizeLimits::kLayers));
  ATTNVIZ_ASSIGN_OR_RETURN(config.heads, fields.size("n_head", SizeLimits::kHeads));
  // Very old configs name the context length n_ctx only.
  const char* positions_field =
      !fields.has("n_positions") && fields.has("n_ctx") ? "n_ctx" : "n_positions";
  ATTNVIZ_ASSIGN_OR_RETURN(config.max_positions,
                           fields.size(positions_field, SizeLimits::kPositions));
  ATTNVIZ_ASSIGN_OR_RETURN(config.vocab_size, fields.size("vocab_size", SizeLimits::kVocab));
  std::optional<int> inner;
  ATTNVIZ_ASSIGN_OR_RETURN(inner, fields.optional_size("n_inner", SizeLimits::kInner));
  config.inner = inner ? *inner : 4 * config.width;  // transformers: n_inner None = 4 * n_embd
  ATTNVIZ_ASSIGN_OR_RETURN(config.layer_norm_epsilon,
                           fields.positive_number("layer_norm_epsilon", 1e-5f));
  ATTNVIZ_ASSIGN_OR_RETURN(config.scale_attn_weights, fields.flag("scale_attn_weights", true));
  ATTNVIZ_ASSIGN_OR_RETURN(config.scale_attn_by_inverse_layer_idx,
                           fields.flag("scale_attn_by_inverse_layer_idx", false));
  std::string activation;
  ATTNVIZ_ASSIGN_OR_RETURN(activation, fields.text("activation_function", "gelu_new"));
  // Both names are the tanh approximation of GELU, which is what attnviz computes for GPT-2.
  if (activation != "gelu_new" && activation != "gelu_pytorch_tanh")
    return fields.error("activation_function",
                        "is \"" + activation +
                            "\"; attnviz supports only gelu_new and gelu_pytorch_tanh for GPT-2");
  return Ok{};
}

Status read_bert(const ConfigFields& fields, ModelConfig& config) {
  config.architecture = Architecture::kBert;
  ATTNVIZ_ASSIGN_OR_RETURN(config.width, fields.size("hidden_size", SizeLimits::kWidth));
  ATTNVIZ_ASSIGN_OR_RETURN(config.layers, fields.size("num_hidden_layers", SizeLimits::kLayers));
  ATTNVIZ_ASSIGN_OR_RETURN(config.heads, fields.size("num_attention_heads", SizeLimits::kHeads));
  ATTNVIZ_ASSIGN_OR_RETURN(config.inner, fields.size("intermediate_size", SizeLimits::kInner));
  ATTNVIZ_ASSIGN_OR_RETURN(config.max_positions,
                           fields.size("max_position_embeddings", SizeLimits::kPositions));
  ATTNVIZ_ASSIGN_OR_RETURN(config.vocab_size, fields.size("vocab_size", SizeLimits::kVocab));
  std::optional<int> token_types;
  ATTNVIZ_ASSIGN_OR_RETURN(token_types,
                           fields.optional_size("type_vocab_size", SizeLimits::kTokenTypes));
  config.type_vocab_size = token_types ? *token_types : 2;
  ATTNVIZ_ASSIGN_OR_RETURN(config.layer_norm_epsilon,
                           fields.positive_number("layer_norm_eps", 1e-12f));
  config.scale_attn_weights = true;
  config.scale_attn_by_inverse_layer_idx = false;
  std::string activation;
  ATTNVIZ_ASSIGN_OR_RETURN(activation, fields.text("hidden_act", "gelu"));
  if (activation != "gelu")
    return fields.error("hidden_act", "is \"" + activation +
                                          "\"; attnviz supports only \"gelu\" (exact erf GELU) "
                                          "for BERT");
  // A BERT decoder masks attention causally; attnviz runs BERT as the bidirectional encoder.
  bool decoder = false;
  ATTNVIZ_ASSIGN_OR_RETURN(decoder, fields.flag("is_decoder", false));
  if (decoder)
    return fields.error("is_decoder", "is true; attnviz supports BERT only as an encoder");
  // Relative position embeddings change the attention scores; attnviz computes absolute ones.
  std::string positions;
  ATTNVIZ_ASSIGN_OR_RETURN(positions, fields.text("position_embedding_type", "absolute"));
  if (positions != "absolute")
    return fields.error("position_embedding_type",
                        "is \"" + positions + "\"; attnviz supports only \"absolute\"");
  return Ok{};
}

#undef ATTNVIZ_ASSIGN_OR_RETURN

// Parameters of the checkpoint as the config describes it (biases and norms included).
double estimated_parameters(const ModelConfig& config) {
  const double c = config.width, i = config.inner, layers = config.layers;
  const double embeddings =
      (static_cast<double>(config.vocab_size) + config.max_positions + config.type_vocab_size) * c;
  const double attention = 4 * (c * c + c);  // Q, K, V (fused or not) and the output projection
  const double mlp = c * i + i + i * c + c;
  const double norms = 2 * 2 * c;
  const double pooler = config.architecture == Architecture::kBert ? c * c + c : 0.0;
  return embeddings + layers * (attention + mlp + norms) + 2 * c + pooler;
}

std::string folder_name(const fs::path& config_json) {
  return fs::absolute(config_json).lexically_normal().parent_path().filename().string();
}

}  // namespace

Result<ModelConfig> load_model_config(const fs::path& config_json) {
  std::error_code ec;
  const uint64_t file_size = fs::file_size(config_json, ec);
  if (ec)
    return make_error(config_json.string() + ": cannot read the model's config (" + ec.message() +
                      "); a Hugging Face model folder has a config.json");
  if (file_size > kMaxConfigBytes)
    return make_error(config_json.string() + ": the file is " + std::to_string(file_size) +
                      " bytes; a config.json is a few kilobytes, this is not one");
  std::ifstream in(config_json, std::ios::binary);
  std::string text(file_size, '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(file_size)))
    return make_error(config_json.string() + ": cannot read the file");

  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return make_error(config_json.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object())
    return make_error(config_json.string() + ": not a JSON object of settings");

  const ConfigFields fields(config_json, root);
  const auto model_type = root.find("model_type");
  if (model_type == root.end() || !model_type->is_string())
    return fields.error("model_type",
                        "is missing or not a string; attnviz supports model_type \"gpt2\" and "
                        "\"bert\"");
  const std::string& type = model_type->get_ref<const std::string&>();
  if (type != "gpt2" && type != "bert")
    return fields.error("model_type", "is \"" + type +
                                          "\", which attnviz does not support; supported: "
                                          "\"gpt2\" (GPT-2, DistilGPT2), \"bert\"");
  ModelConfig config;
  const Status read = type == "gpt2" ? read_gpt2(fields, config) : read_bert(fields, config);
  if (!read) return read.error();

  if (config.width % config.heads != 0)
    return make_error(config_json.string() + ": the width (" + std::to_string(config.width) +
                      ") is not divisible by the number of heads (" + std::to_string(config.heads) +
                      ")");
  const double weight_bytes = estimated_parameters(config) * sizeof(float);
  if (weight_bytes > kMaxWeightBytes) {
    char gigabytes[32];
    std::snprintf(gigabytes, sizeof gigabytes, "%.0f", weight_bytes / 1e9);
    return make_error(config_json.string() + ": the model would need about " + gigabytes +
                      " GB of memory for its weights as float32, more than the 64 GiB attnviz "
                      "allows; the config is damaged or the model is too large");
  }

  config.name = folder_name(config_json);
  if (config.name.empty() || config.name == "." || config.name == "/") {
    std::string name_or_path;
    if (auto named = fields.text("_name_or_path", ""); named) name_or_path = named.value();
    config.name = name_or_path.empty() ? "model" : name_or_path;
  }
  return config;
}

}  // namespace attnviz

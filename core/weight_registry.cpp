#include "core/weight_registry.h"

#include <cassert>
#include <sstream>

#include "core/safetensors.h"

namespace attnviz {
namespace {

using Shape = std::vector<uint64_t>;

std::string shape_text(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void add_layer_norm(std::vector<WeightSpec>& specs, const std::string& prefix, uint64_t c) {
  specs.push_back({prefix + ".weight", {c}});
  specs.push_back({prefix + ".bias", {c}});
}

// A dense layer as stored: Conv1D (in, out) for GPT-2, nn.Linear (out, in) for BERT.
void add_dense(std::vector<WeightSpec>& specs, const std::string& prefix, uint64_t rows,
               uint64_t cols, uint64_t out) {
  specs.push_back({prefix + ".weight", {rows, cols}});
  specs.push_back({prefix + ".bias", {out}});
}

bool is_float_dtype(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

// xorshift64*: fast, deterministic, good enough for random benchmark weights.
struct Random {
  uint64_t state;
  float uniform() {  // [-1, 1)
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const uint64_t bits = state * 2685821657736338717ull;
    return static_cast<float>(bits >> 40) / static_cast<float>(1ull << 23) - 1.0f;
  }
};

}  // namespace

std::vector<WeightSpec> gpt2_weight_specs(const ModelConfig& config) {
  const uint64_t v = config.vocab_size, p = config.max_positions, c = config.width,
                 i = config.inner;
  std::vector<WeightSpec> specs;
  specs.push_back({"wte.weight", {v, c}});
  specs.push_back({"wpe.weight", {p, c}});
  for (int layer = 0; layer < config.layers; ++layer) {
    const std::string h = "h." + std::to_string(layer);
    add_layer_norm(specs, h + ".ln_1", c);
    add_dense(specs, h + ".attn.c_attn", c, 3 * c, 3 * c);
    add_dense(specs, h + ".attn.c_proj", c, c, c);
    add_layer_norm(specs, h + ".ln_2", c);
    add_dense(specs, h + ".mlp.c_fc", c, i, i);
    add_dense(specs, h + ".mlp.c_proj", i, c, c);
  }
  add_layer_norm(specs, "ln_f", c);
  return specs;
}

std::vector<WeightSpec> bert_weight_specs(const ModelConfig& config) {
  const uint64_t v = config.vocab_size, p = config.max_positions, c = config.width,
                 i = config.inner, y = config.type_vocab_size;
  std::vector<WeightSpec> specs;
  specs.push_back({"embeddings.word_embeddings.weight", {v, c}});
  specs.push_back({"embeddings.position_embeddings.weight", {p, c}});
  specs.push_back({"embeddings.token_type_embeddings.weight", {y, c}});
  add_layer_norm(specs, "embeddings.LayerNorm", c);
  for (int layer = 0; layer < config.layers; ++layer) {
    const std::string e = "encoder.layer." + std::to_string(layer);
    add_dense(specs, e + ".attention.self.query", c, c, c);
    add_dense(specs, e + ".attention.self.key", c, c, c);
    add_dense(specs, e + ".attention.self.value", c, c, c);
    add_dense(specs, e + ".attention.output.dense", c, c, c);
    add_layer_norm(specs, e + ".attention.output.LayerNorm", c);
    add_dense(specs, e + ".intermediate.dense", i, c, i);
    add_dense(specs, e + ".output.dense", c, i, c);
    add_layer_norm(specs, e + ".output.LayerNorm", c);
  }
  return specs;
}

std::vector<WeightSpec> weight_specs(const ModelConfig& config) {
  return config.architecture == Architecture::kGpt2 ? gpt2_weight_specs(config)
                                                    : bert_weight_specs(config);
}

uint64_t weight_floats(const ModelConfig& config) {
  uint64_t total = 0;
  for (const WeightSpec& spec : weight_specs(config)) {
    uint64_t n = 1;
    for (uint64_t dim : spec.shape) n *= dim;
    total += n;
  }
  return total;
}

std::string canonical_weight_name(std::string_view stored, Architecture architecture) {
  std::string_view name = stored;
  const std::string_view prefix = architecture == Architecture::kGpt2 ? "transformer." : "bert.";
  if (starts_with(name, prefix)) name.remove_prefix(prefix.size());
  if (architecture == Architecture::kGpt2) {
    // Causal-mask buffers of old checkpoints and the tied LM head are not weights we read.
    if (starts_with(name, "lm_head.")) return "";
    if (starts_with(name, "h.") &&
        (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias")))
      return "";
  } else {
    if (starts_with(name, "pooler.") || starts_with(name, "cls.") ||
        ends_with(name, "position_ids"))
      return "";
  }
  std::string canonical(name);
  // Old BERT checkpoints (TensorFlow heritage) call LayerNorm parameters gamma and beta.
  if (ends_with(canonical, ".gamma"))
    canonical.replace(canonical.size() - 5, 5, "weight");
  else if (ends_with(canonical, ".beta"))
    canonical.replace(canonical.size() - 4, 4, "bias");
  return canonical;
}

const std::vector<float>& WeightSet::at(std::string_view name) const {
  auto it = tensors_.find(name);
  assert(it != tensors_.end() && "WeightSet: tensor not in the registry");
  return it->second;
}

std::vector<float>& WeightSet::mutable_at(std::string_view name) {
  auto it = tensors_.find(name);
  assert(it != tensors_.end() && "WeightSet: tensor not in the registry");
  return it->second;
}

void WeightSet::insert(std::string name, std::vector<float> values) {
  tensors_[std::move(name)] = std::move(values);
}

void WeightSet::erase(std::string_view name) {
  auto it = tensors_.find(name);
  if (it != tensors_.end()) tensors_.erase(it);
}

Result<WeightSet> load_weights(const TensorStore& store, const ModelConfig& config) {
  const std::string where = store.description_path().string();
  const std::string kind = config.architecture == Architecture::kGpt2 ? "GPT-2" : "BERT";

  // Stored name of each canonical name; two stored names for one weight is ambiguous.
  std::map<std::string, std::string, std::less<>> stored_names;
  for (const std::string& stored : store.names()) {
    std::string canonical = canonical_weight_name(stored, config.architecture);
    if (canonical.empty()) continue;
    auto [it, inserted] = stored_names.emplace(canonical, stored);
    if (!inserted)
      return make_error(where + ": tensors '" + it->second + "' and '" + stored +
                        "' are both the weight '" + canonical +
                        "'; keep one of them in the checkpoint");
  }

  // Every check before any tensor is read, so a wrong checkpoint costs no memory.
  const std::vector<WeightSpec> specs = weight_specs(config);
  std::vector<const TensorStore::Entry*> entries;
  entries.reserve(specs.size());
  for (const WeightSpec& spec : specs) {
    auto name_it = stored_names.find(spec.name);
    if (name_it == stored_names.end())
      return make_error(where + ": tensor '" + spec.name + "' (shape " + shape_text(spec.shape) +
                        ") is missing; a " + kind + " checkpoint with this config.json needs it");
    const TensorStore::Entry* entry = store.find(name_it->second);
    assert(entry && "TensorStore::names() lists a tensor find() does not know");
    const std::string file = entry->file->path().string();
    if (!is_float_dtype(entry->info->dtype))
      return make_error(file + ": tensor '" + name_it->second + "' has dtype " +
                        std::string(dtype_name(entry->info->dtype)) +
                        "; attnviz reads F32, F16 or BF16 weights");
    if (entry->info->shape != spec.shape)
      return make_error(file + ": tensor '" + name_it->second + "' has shape " +
                        shape_text(entry->info->shape) + ", expected " + shape_text(spec.shape) +
                        " from config.json; the weights and the config do not belong together");
    entries.push_back(entry);
  }

  WeightSet weights;
  for (size_t i = 0; i < specs.size(); ++i) {
    std::vector<float> values(entries[i]->info->elements());
    Status read = entries[i]->file->read_floats(*entries[i]->info, values);
    if (!read.ok()) return read.error();
    weights.insert(specs[i].name, std::move(values));
  }
  return weights;
}

WeightSet random_weights(const ModelConfig& config, uint64_t seed, float spread) {
  Random random{seed * 0x9E3779B97F4A7C15ull + 1};
  WeightSet weights;
  for (const WeightSpec& spec : weight_specs(config)) {
    uint64_t n = 1;
    for (uint64_t dim : spec.shape) n *= dim;
    const bool gain = spec.shape.size() == 1 && ends_with(spec.name, ".weight");
    std::vector<float> values(n);
    for (float& value : values) value = (gain ? 1.0f : 0.0f) + spread * random.uniform();
    weights.insert(spec.name, std::move(values));
  }
  return weights;
}

}  // namespace attnviz

#include "core/weight_registry.h"

#include <algorithm>
#include <cassert>
#include <cstring>
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

// Collects the specs of one family and config in order.
class SpecList {
 public:
  SpecList(const ArchitectureRow& row, const ModelConfig& config) : row_(row), config_(config) {}

  bool has(TensorRole role) const { return !row_.names[static_cast<int>(role)].empty(); }

  void tensor(TensorRole role, int layer, Shape shape, bool with_bias, uint64_t bias_size) {
    if (!has(role)) return;
    const std::string base = tensor_name(row_, role, layer < 0 ? 0 : layer);
    specs_.push_back({base + ".weight", std::move(shape), role, layer, false});
    if (with_bias) specs_.push_back({base + ".bias", {bias_size}, role, layer, true});
  }
  // A dense layer of `out` outputs and `in` inputs as the family stores it.
  void dense(TensorRole role, int layer, uint64_t out, uint64_t in, bool with_bias) {
    tensor(role, layer, row_.conv1d ? Shape{in, out} : Shape{out, in}, with_bias, out);
  }
  void norm(TensorRole role, int layer, uint64_t size) {
    tensor(role, layer, {size}, row_.norm == NormKind::kLayerNorm, size);
  }
  std::vector<WeightSpec> take() { return std::move(specs_); }

 private:
  const ArchitectureRow& row_;
  const ModelConfig& config_;
  std::vector<WeightSpec> specs_;
};

bool is_float_dtype(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

WeightType weight_type(DType dtype) {
  return dtype == DType::kF16    ? WeightType::kF16
         : dtype == DType::kBF16 ? WeightType::kBF16
                                 : WeightType::kF32;
}

// Where an expected shape comes from, for messages.
std::string shape_reason(const WeightSpec& spec, const ModelConfig& c) {
  const std::string heads = "num_attention_heads " + std::to_string(c.heads);
  const std::string kv = "num_key_value_heads " + std::to_string(c.kv_heads);
  const std::string d = "head_dim " + std::to_string(c.head_width);
  const std::string width = "hidden_size " + std::to_string(c.width);
  switch (spec.role) {
    case TensorRole::kQuery:
      return heads + " x " + d + ", " + width;
    case TensorRole::kKey:
    case TensorRole::kValue:
      return kv + " x " + d + ", " + width;
    case TensorRole::kQkv:
    case TensorRole::kAttentionOutput:
      return heads + ", " + kv + ", " + d + ", " + width;
    case TensorRole::kQueryNorm:
    case TensorRole::kKeyNorm:
      return d;
    case TensorRole::kTokenEmbedding:
    case TensorRole::kLmHead:
      return "vocab_size " + std::to_string(c.vocab_size) + ", " + width;
    case TensorRole::kMlpGate:
    case TensorRole::kMlpUp:
    case TensorRole::kMlpGateUp:
    case TensorRole::kMlpIn:
    case TensorRole::kMlpOut:
      return "intermediate_size " + std::to_string(c.inner) + ", " + width;
    default:
      return width;
  }
}

// xorshift64*: fast, deterministic, good enough for random weights.
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

WeightTensor encode(const std::vector<float>& values, Shape shape, WeightType type) {
  WeightTensor tensor{type, std::move(shape), ByteBuffer(values.size() * weight_type_bytes(type))};
  if (type == WeightType::kF32) {
    std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
    return tensor;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t bits =
        type == WeightType::kF16 ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
    std::memcpy(tensor.bytes.data() + 2 * i, &bits, 2);
  }
  return tensor;
}

std::vector<float> widened(const WeightTensor& tensor) {
  std::vector<float> out(tensor.elements());
  widen(out.data(), tensor.data(), out.size(), tensor.type);
  return out;
}

// Concatenates tensors' rows (all (rows_i, cols), the same type) into one.
WeightTensor concatenate_rows(std::vector<const WeightTensor*> parts) {
  Shape shape = parts[0]->shape;
  size_t bytes = 0;
  shape[0] = 0;
  for (const WeightTensor* part : parts) {
    shape[0] += part->shape[0];
    bytes += part->bytes.size();
  }
  WeightTensor out{parts[0]->type, std::move(shape), ByteBuffer(bytes)};
  uint8_t* to = out.bytes.data();
  for (const WeightTensor* part : parts) {
    std::memcpy(to, part->bytes.data(), part->bytes.size());
    to += part->bytes.size();
  }
  return out;
}

// Rows regrouped from GPT-NeoX's per-head [q_h | k_h | v_h] (view(T, H, 3·D)) to [Q | K | V]:
// `out` and `rows` hold 3·H·D rows of row_size elements.
template <class Element>
void regroup_per_head(Element* out, const Element* rows, size_t row_size, int heads, int d) {
  for (int h = 0; h < heads; ++h)
    for (int part = 0; part < 3; ++part)
      for (int i = 0; i < d; ++i) {
        const size_t from = (static_cast<size_t>(h) * 3 * d + part * d + i) * row_size;
        const size_t to = (static_cast<size_t>(part) * heads * d + h * d + i) * row_size;
        std::copy_n(rows + from, row_size, out + to);
      }
}

}  // namespace

uint64_t WeightTensor::elements() const {
  uint64_t n = 1;
  for (uint64_t dim : shape) n *= dim;
  return n;
}

std::vector<WeightSpec> weight_specs(const ModelConfig& c) {
  const ArchitectureRow& row = architecture_row(c.architecture);
  SpecList specs(row, c);
  const uint64_t v = c.vocab_size, width = c.width, q = c.query_width(), kv = c.kv_width(),
                 inner = c.inner;
  specs.tensor(TensorRole::kTokenEmbedding, -1, {v, width}, false, 0);
  specs.tensor(TensorRole::kPositionEmbedding, -1, {static_cast<uint64_t>(c.max_positions), width},
               false, 0);
  specs.tensor(TensorRole::kTokenTypeEmbedding, -1,
               {static_cast<uint64_t>(c.type_vocab_size), width}, false, 0);
  specs.norm(TensorRole::kEmbeddingNorm, -1, width);
  for (int layer = 0; layer < c.layers; ++layer) {
    specs.norm(TensorRole::kAttentionNorm, layer, width);
    switch (row.qkv) {
      case QkvLayout::kSeparate:
        specs.dense(TensorRole::kQuery, layer, q, width, c.qkv_bias);
        specs.dense(TensorRole::kKey, layer, kv, width, c.qkv_bias);
        specs.dense(TensorRole::kValue, layer, kv, width, c.qkv_bias);
        break;
      case QkvLayout::kFused:
      case QkvLayout::kFusedPerHead:
        specs.dense(TensorRole::kQkv, layer, q + 2 * kv, width, c.qkv_bias);
        break;
    }
    specs.tensor(TensorRole::kQueryNorm, layer, {static_cast<uint64_t>(c.head_width)}, false, 0);
    specs.tensor(TensorRole::kKeyNorm, layer, {static_cast<uint64_t>(c.head_width)}, false, 0);
    specs.dense(TensorRole::kAttentionOutput, layer, width, q, c.output_bias);
    specs.norm(TensorRole::kPostAttentionNorm, layer, width);
    specs.norm(TensorRole::kMlpNorm, layer, width);
    specs.norm(TensorRole::kPostMlpNorm, layer, width);
    if (row.mlp == MlpKind::kGated) {
      specs.dense(TensorRole::kMlpGate, layer, inner, width, c.mlp_bias);
      specs.dense(TensorRole::kMlpUp, layer, inner, width, c.mlp_bias);
      specs.dense(TensorRole::kMlpGateUp, layer, 2 * inner, width, c.mlp_bias);
    } else {
      specs.dense(TensorRole::kMlpIn, layer, inner, width, c.mlp_bias);
    }
    specs.dense(TensorRole::kMlpOut, layer, width, inner, c.mlp_bias);
  }
  specs.norm(TensorRole::kFinalNorm, -1, width);
  if (row.lm_head && !c.tie_word_embeddings)
    specs.tensor(TensorRole::kLmHead, -1, {v, width}, false, 0);
  return specs.take();
}

uint64_t weight_parameters(const ModelConfig& config) {
  uint64_t total = 0;
  for (const WeightSpec& spec : weight_specs(config)) {
    uint64_t n = 1;
    for (uint64_t dim : spec.shape) n *= dim;
    total += n;
  }
  return total;
}

std::string canonical_weight_name(std::string_view stored, const ArchitectureRow& row) {
  std::string_view name = stored;
  for (const std::string& prefix : row.prefixes) {
    if (starts_with(name, prefix)) {
      name.remove_prefix(prefix.size());
      break;
    }
  }
  std::string canonical(name);
  // Old BERT checkpoints (TensorFlow heritage) call LayerNorm parameters gamma and beta.
  if (ends_with(canonical, ".gamma"))
    canonical.replace(canonical.size() - 5, 5, "weight");
  else if (ends_with(canonical, ".beta"))
    canonical.replace(canonical.size() - 4, 4, "bias");
  return canonical;
}

std::string checkpoint_name(const WeightSpec& spec, const ModelConfig& config) {
  const ArchitectureRow& row = architecture_row(config.architecture);
  if (spec.role == TensorRole::kLmHead) return spec.name;
  return row.checkpoint_prefix + spec.name;
}

Result<RawWeights> read_weights(const TensorStore& store, const ModelConfig& config) {
  const ArchitectureRow& row = architecture_row(config.architecture);
  const std::string where = store.description_path().string();
  const std::vector<WeightSpec> specs = weight_specs(config);
  std::map<std::string_view, const WeightSpec*> wanted;
  for (const WeightSpec& spec : specs) wanted.emplace(spec.name, &spec);

  // Stored name of each wanted canonical name; two stored names for one weight is ambiguous.
  std::map<std::string, std::string, std::less<>> stored_names;
  for (const std::string& stored : store.names()) {
    std::string canonical = canonical_weight_name(stored, row);
    if (!wanted.count(canonical)) continue;
    auto [it, inserted] = stored_names.emplace(canonical, stored);
    if (!inserted)
      return make_error(where + ": tensors '" + it->second + "' and '" + stored +
                        "' are both the weight '" + canonical +
                        "'; keep one of them in the checkpoint");
  }

  // Every check before any tensor is read, so a wrong checkpoint costs no memory.
  std::vector<const TensorStore::Entry*> entries;
  entries.reserve(specs.size());
  for (const WeightSpec& spec : specs) {
    auto name_it = stored_names.find(spec.name);
    if (name_it == stored_names.end()) {
      std::string hint;
      if (spec.role == TensorRole::kLmHead)
        hint = " (config.json has tie_word_embeddings false, so the LM head is its own tensor)";
      return make_error(where + ": tensor '" + checkpoint_name(spec, config) + "' (shape " +
                        shape_text(spec.shape) + ") is missing" + hint + "; a " + row.display_name +
                        " checkpoint with this config.json needs it");
    }
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
                        " from config.json (" + shape_reason(spec, config) +
                        "); the weights and the config do not belong together");
    entries.push_back(entry);
  }

  RawWeights raw;
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorInfo& info = *entries[i]->info;
    WeightTensor tensor{weight_type(info.dtype), specs[i].shape, ByteBuffer(info.end - info.begin)};
    Status read = entries[i]->file->read_bytes(
        info, std::span<uint8_t>(tensor.bytes.data(), tensor.bytes.size()));
    if (!read) return read.error();
    raw.emplace(specs[i].name, std::move(tensor));
  }
  return raw;
}

RawWeights random_weights(const ModelConfig& config, uint64_t seed, WeightType type, float spread) {
  const ArchitectureRow& row = architecture_row(config.architecture);
  Random random{seed * 0x9E3779B97F4A7C15ull + 1};
  RawWeights raw;
  for (const WeightSpec& spec : weight_specs(config)) {
    uint64_t n = 1;
    for (uint64_t dim : spec.shape) n *= dim;
    const bool gain = spec.shape.size() == 1 && !spec.bias;
    const float center = gain && row.norm != NormKind::kRmsNormPlusOne ? 1.0f : 0.0f;
    std::vector<float> values(n);
    for (float& value : values) value = center + spread * random.uniform();
    raw.emplace(spec.name, encode(values, spec.shape, gain || spec.bias ? WeightType::kF32 : type));
  }
  return raw;
}

ModelWeights bind_weights(RawWeights raw, const ModelConfig& config) {
  const ArchitectureRow& row = architecture_row(config.architecture);
  ModelWeights weights;
  std::map<WeightType, uint64_t> numbers_by_type;
  for (const auto& [name, tensor] : raw) {
    weights.parameters += tensor.elements();
    weights.stored_bytes += tensor.bytes.size();
    numbers_by_type[tensor.type] += tensor.elements();
  }
  weights.stored_type =
      std::max_element(numbers_by_type.begin(), numbers_by_type.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; })
          ->first;

  auto name = [&](TensorRole role, int layer, const char* suffix) {
    return tensor_name(row, role, layer) + suffix;
  };
  auto find = [&](TensorRole role, int layer, const char* suffix = ".weight") -> WeightTensor* {
    if (row.names[static_cast<int>(role)].empty()) return nullptr;
    auto it = raw.find(name(role, layer, suffix));
    return it == raw.end() ? nullptr : &it->second;
  };
  // Moves a tensor into the model's table and returns it.
  auto keep = [&](const std::string& key, WeightTensor tensor) -> const WeightTensor* {
    auto owned = std::make_unique<WeightTensor>(std::move(tensor));
    const WeightTensor* pointer = owned.get();
    weights.tensors[key] = std::move(owned);
    return pointer;
  };
  auto take = [&](TensorRole role, int layer,
                  const char* suffix = ".weight") -> const WeightTensor* {
    WeightTensor* found = find(role, layer, suffix);
    if (!found) return nullptr;
    const std::string key = name(role, layer, suffix);
    return keep(key, std::move(*found));
  };
  auto norm = [&](TensorRole role, int layer) {
    NormWeights out;
    if (const WeightTensor* gain = find(role, layer)) out.gain = widened(*gain);
    if (const WeightTensor* bias = find(role, layer, ".bias")) out.bias = widened(*bias);
    return out;
  };
  auto bias = [&](std::vector<const WeightTensor*> parts) -> const float* {
    std::vector<float> values;
    for (const WeightTensor* part : parts) {
      if (!part) return nullptr;
      const std::vector<float> more = widened(*part);
      values.insert(values.end(), more.begin(), more.end());
    }
    std::vector<uint64_t> shape{values.size()};
    const std::string key = "bias." + std::to_string(weights.tensors.size());
    return static_cast<const float*>(keep(key, encode(values, shape, WeightType::kF32))->data());
  };
  auto dense = [&](const WeightTensor* weight, const float* bias_values, int in, int out) {
    return DenseWeights{weight->data(), bias_values, in, out, !row.conv1d, weight->type};
  };

  const int c = config.width, q = config.query_width(), kv = config.kv_width(),
            inner = config.inner;
  weights.token_embedding = take(TensorRole::kTokenEmbedding, 0);
  weights.position_embedding = take(TensorRole::kPositionEmbedding, 0);
  weights.token_type_embedding = take(TensorRole::kTokenTypeEmbedding, 0);
  weights.embedding_norm = norm(TensorRole::kEmbeddingNorm, 0);
  weights.final_norm = norm(TensorRole::kFinalNorm, 0);
  weights.lm_head = row.lm_head ? (config.tie_word_embeddings ? weights.token_embedding
                                                              : take(TensorRole::kLmHead, 0))
                                : nullptr;
  for (int layer = 0; layer < config.layers; ++layer) {
    LayerWeights bound;
    bound.attention_norm = norm(TensorRole::kAttentionNorm, layer);
    bound.query_norm = norm(TensorRole::kQueryNorm, layer);
    bound.key_norm = norm(TensorRole::kKeyNorm, layer);
    bound.post_attention_norm = norm(TensorRole::kPostAttentionNorm, layer);
    bound.mlp_norm = norm(TensorRole::kMlpNorm, layer);
    bound.post_mlp_norm = norm(TensorRole::kPostMlpNorm, layer);

    const std::string qkv_key = "layers." + std::to_string(layer) + ".qkv";
    switch (row.qkv) {
      case QkvLayout::kSeparate: {
        const WeightTensor* fused =
            keep(qkv_key,
                 concatenate_rows({find(TensorRole::kQuery, layer), find(TensorRole::kKey, layer),
                                   find(TensorRole::kValue, layer)}));
        const float* b = config.qkv_bias ? bias({find(TensorRole::kQuery, layer, ".bias"),
                                                 find(TensorRole::kKey, layer, ".bias"),
                                                 find(TensorRole::kValue, layer, ".bias")})
                                         : nullptr;
        bound.qkv = dense(fused, b, c, q + 2 * kv);
        for (TensorRole role : {TensorRole::kQuery, TensorRole::kKey, TensorRole::kValue})
          raw.erase(name(role, layer, ".weight"));
        break;
      }
      case QkvLayout::kFused: {
        const float* b = config.qkv_bias ? bias({find(TensorRole::kQkv, layer, ".bias")}) : nullptr;
        bound.qkv = dense(take(TensorRole::kQkv, layer), b, c, q + 2 * kv);
        break;
      }
      case QkvLayout::kFusedPerHead: {
        WeightTensor* stored = find(TensorRole::kQkv, layer);
        const size_t element = weight_type_bytes(stored->type);
        WeightTensor regrouped{stored->type, stored->shape, ByteBuffer(stored->bytes.size())};
        regroup_per_head(regrouped.bytes.data(), stored->bytes.data(), c * element, config.heads,
                         config.head_width);
        const float* b = nullptr;
        if (config.qkv_bias) {
          const std::vector<float> stored_bias = widened(*find(TensorRole::kQkv, layer, ".bias"));
          std::vector<float> values(stored_bias.size());
          regroup_per_head(values.data(), stored_bias.data(), 1, config.heads, config.head_width);
          b = static_cast<const float*>(
              keep(qkv_key + ".bias", encode(values, {values.size()}, WeightType::kF32))->data());
        }
        bound.qkv = dense(keep(qkv_key, std::move(regrouped)), b, c, q + 2 * kv);
        raw.erase(name(TensorRole::kQkv, layer, ".weight"));
        break;
      }
    }
    bound.attention_output = dense(
        take(TensorRole::kAttentionOutput, layer),
        config.output_bias ? bias({find(TensorRole::kAttentionOutput, layer, ".bias")}) : nullptr,
        q, c);
    if (row.mlp == MlpKind::kGated) {
      if (find(TensorRole::kMlpGateUp, layer)) {
        const float* b =
            config.mlp_bias ? bias({find(TensorRole::kMlpGateUp, layer, ".bias")}) : nullptr;
        bound.mlp_in = dense(take(TensorRole::kMlpGateUp, layer), b, c, 2 * inner);
      } else {
        const float* b = config.mlp_bias ? bias({find(TensorRole::kMlpGate, layer, ".bias"),
                                                 find(TensorRole::kMlpUp, layer, ".bias")})
                                         : nullptr;
        const WeightTensor* fused = keep(
            "layers." + std::to_string(layer) + ".gate_up",
            concatenate_rows({find(TensorRole::kMlpGate, layer), find(TensorRole::kMlpUp, layer)}));
        bound.mlp_in = dense(fused, b, c, 2 * inner);
        raw.erase(name(TensorRole::kMlpGate, layer, ".weight"));
        raw.erase(name(TensorRole::kMlpUp, layer, ".weight"));
      }
    } else {
      bound.mlp_in = dense(
          take(TensorRole::kMlpIn, layer),
          config.mlp_bias ? bias({find(TensorRole::kMlpIn, layer, ".bias")}) : nullptr, c, inner);
    }
    bound.mlp_out = dense(
        take(TensorRole::kMlpOut, layer),
        config.mlp_bias ? bias({find(TensorRole::kMlpOut, layer, ".bias")}) : nullptr, inner, c);
    weights.layers.push_back(std::move(bound));
  }
  return weights;
}

Result<ModelWeights> load_weights(const TensorStore& store, const ModelConfig& config) {
  auto raw = read_weights(store, config);
  if (!raw.ok()) return raw.error();
  return bind_weights(std::move(raw).value(), config);
}

}  // namespace attnviz

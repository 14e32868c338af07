// The one list of weight names and shapes per family, derived from the architecture table's row
// and the config: the loader checks a checkpoint against it before reading anything large, binds
// the tensors for the forward pass, and the tests and benchmarks write checkpoints from it.
// Weights stay in their stored precision (F32, F16, BF16); only norms and biases, O(C) each,
// are widened to float32.
//
// Legend: V vocabulary, P positions, Y token types, C width, H query heads, G key/value heads,
// D head width, I MLP width, L layers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/big_memory.h"
#include "core/model_config.h"
#include "core/models/architecture.h"
#include "core/ops.h"
#include "core/result.h"

namespace attnviz {

class TensorStore;

struct WeightSpec {
  std::string name;  // as stored, without the family's prefix ("layers.0.mlp.up_proj.weight")
  std::vector<uint64_t> shape;  // as stored
  TensorRole role;
  int layer = -1;  // -1: not a layer's
  bool bias = false;
};

// Every tensor a checkpoint of `config` holds, in a fixed order.
std::vector<WeightSpec> weight_specs(const ModelConfig& config);
// Numbers in all of them (the model card's parameter count).
uint64_t weight_parameters(const ModelConfig& config);

// Maps a stored tensor name to its canonical name: strips the first of the family's prefixes
// that matches ("model.", "transformer.", "language_model.model.", ...), renames LayerNorm
// gamma/beta to weight/bias (old BERT checkpoints). Names no spec has are simply not read.
std::string canonical_weight_name(std::string_view stored, const ArchitectureRow& row);

// A tensor as stored.
struct WeightTensor {
  WeightType type = WeightType::kF32;
  std::vector<uint64_t> shape;
  ByteBuffer bytes;  // little-endian, row-major; big ones on huge pages
  uint64_t elements() const;
  const void* data() const { return bytes.data(); }
};

// A norm's parameters, widened (gain (C) or (D), bias (C) for LayerNorm).
struct NormWeights {
  std::vector<float> gain, bias;
  bool present() const { return !gain.empty(); }
};

// One layer bound for the forward pass, q/k/v and gate/up fused in their canonical order.
struct LayerWeights {
  NormWeights attention_norm, query_norm, key_norm, post_attention_norm, mlp_norm, post_mlp_norm;
  DenseWeights qkv;               // C → (H + 2G)·D, rows [q | k | v]
  DenseWeights attention_output;  // H·D → C
  DenseWeights mlp_in;            // C → 2I [gate | up] (gated) or C → I
  DenseWeights mlp_out;           // I → C
};

// The weights of a checkpoint, bound. Not copyable: the bindings point into the tensors.
class ModelWeights {
 public:
  ModelWeights() = default;
  ModelWeights(const ModelWeights&) = delete;
  ModelWeights& operator=(const ModelWeights&) = delete;
  ModelWeights(ModelWeights&&) = default;
  ModelWeights& operator=(ModelWeights&&) = default;

  const WeightTensor* token_embedding = nullptr;       // (V, C)
  const WeightTensor* position_embedding = nullptr;    // (P, C), learned positions only
  const WeightTensor* token_type_embedding = nullptr;  // (Y, C), BERT
  const WeightTensor* lm_head = nullptr;               // (V, C): the embedding when tied
  NormWeights embedding_norm, final_norm;
  std::vector<LayerWeights> layers;  // (L)

  uint64_t parameters = 0;                    // numbers stored, as in the checkpoint
  uint64_t stored_bytes = 0;                  // bytes they take here
  WeightType stored_type = WeightType::kF32;  // the type most numbers are stored in

  // Tensors by spec name (fused ones under their own names); bindings point into them.
  std::map<std::string, std::unique_ptr<WeightTensor>, std::less<>> tensors;
};

// Stored tensors by spec name, before binding.
using RawWeights = std::map<std::string, WeightTensor, std::less<>>;

// Checks every spec of `config` against the store (present once, shape, dtype F32 / F16 / BF16)
// and only then reads them. Errors name the file, the tensor, the expected and found shape or
// dtype, and the config fields the shape comes from.
Result<RawWeights> read_weights(const TensorStore& store, const ModelConfig& config);

// Spec-shaped weights uniform in ±spread (norm gains around 1, Gemma's around 0), stored as
// `type`, for benchmarks and tests that need a model without files. Deterministic for a seed.
RawWeights random_weights(const ModelConfig& config, uint64_t seed,
                          WeightType type = WeightType::kF32, float spread = 0.05f);

// Binds read or random weights for the forward pass: q/k/v and gate/up fused in canonical order
// (GPT-NeoX's per-head rows regrouped), norms and biases widened. Consumes `raw`.
ModelWeights bind_weights(RawWeights raw, const ModelConfig& config);

// read_weights then bind_weights.
Result<ModelWeights> load_weights(const TensorStore& store, const ModelConfig& config);

// The name transformers writes a spec's tensor under (the family's checkpoint prefix, except for
// the LM head), for writing checkpoints.
std::string checkpoint_name(const WeightSpec& spec, const ModelConfig& config);

}  // namespace attnviz

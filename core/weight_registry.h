// The one list of weight names and shapes per architecture, derived from the config. The
// loader checks a checkpoint against it before reading anything large, the models bind their
// layers by these names, and the tests write variant checkpoints from it.
//
// Legend: V vocabulary, P positions, C width, I MLP width, L layers, Y token types.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/result.h"

namespace attnviz {

class TensorStore;

struct WeightSpec {
  std::string name;             // canonical: no `transformer.`/`bert.` prefix, weight/bias
  std::vector<uint64_t> shape;  // as stored by Hugging Face
};

// GPT-2 (REFERENCE §2): wte (V, C), wpe (P, C), h.N.{ln_1, attn.c_attn (C, 3C), attn.c_proj,
// ln_2, mlp.c_fc (C, I), mlp.c_proj (I, C)}, ln_f. Conv1D weights are (in, out).
std::vector<WeightSpec> gpt2_weight_specs(const ModelConfig& config);
// BERT (REFERENCE §4): embeddings.{word (V, C), position (P, C), token_type (Y, C)}, embeddings
// LayerNorm, encoder.layer.N.{attention.self.{query,key,value}, attention.output.{dense,
// LayerNorm}, intermediate.dense (I, C), output.{dense (C, I), LayerNorm}}. nn.Linear is
// (out, in).
std::vector<WeightSpec> bert_weight_specs(const ModelConfig& config);
std::vector<WeightSpec> weight_specs(const ModelConfig& config);

// Number of floats all weights of the config take (for memory checks and benchmarks).
uint64_t weight_floats(const ModelConfig& config);

// Maps a stored tensor name to its canonical name: strips `transformer.` (GPT-2) or `bert.`
// (BERT), renames LayerNorm `gamma`/`beta` to `weight`/`bias`. Returns "" for tensors attnviz
// does not use (GPT-2 mask buffers h.N.attn.bias / masked_bias, lm_head, BERT pooler.* and
// cls.*, position_ids); unknown names come back unchanged and are simply not looked up.
std::string canonical_weight_name(std::string_view stored, Architecture architecture);

// The weights of a checkpoint as float32, by canonical name.
class WeightSet {
 public:
  // The tensor of a registry name; asserts it exists (the loader guarantees every spec).
  const std::vector<float>& at(std::string_view name) const;
  std::vector<float>& mutable_at(std::string_view name);
  bool contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }
  void insert(std::string name, std::vector<float> values);
  void erase(std::string_view name);
  size_t size() const { return tensors_.size(); }

 private:
  std::map<std::string, std::vector<float>, std::less<>> tensors_;
};

// Checks every registry tensor of `config` against the store (present once, shape, dtype F32 /
// F16 / BF16) and only then reads them, converting to float. Errors name the file, the tensor,
// the expected and found shape or dtype.
Result<WeightSet> load_weights(const TensorStore& store, const ModelConfig& config);

// Registry-shaped weights with values uniform in ±spread (LayerNorm gains around 1), for
// benchmarks and tests that need a model without files. Deterministic for a seed.
WeightSet random_weights(const ModelConfig& config, uint64_t seed, float spread = 0.05f);

}  // namespace attnviz

// ModelConfig: the sizes and switches of a checkpoint, read from a Hugging Face config.json by
// the reader of its family's row in the architecture table (core/models/architecture.h), with
// transformers' defaults (configuration_<family>.py) for every field the file leaves out.
//
// Legend: L layers, H query heads, G key/value heads, D head width, C width, I MLP width,
// V vocabulary, P positions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace attnviz {

// The model families attnviz runs, one row each in the architecture table.
enum class Architecture {
  kGpt2,
  kBert,
  kLlama,
  kMistral,
  kQwen2,
  kQwen3,
  kGemma2,
  kGemma3,
  kPhi3,
  kGptNeox,
};

// The MLP's activation (transformers' ACT2FN names in the comments).
enum class Activation {
  kGeluTanh,  // gelu_new, gelu_pytorch_tanh, gelu_fast: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  kGeluExact,  // gelu: 0.5·x·(1 + erf(x/√2))
  kSilu,       // silu, swish: x·sigmoid(x)
};

// Rotary position embedding of one kind of layer (transformers' modeling_rope_utils.py: one
// compute function per rope_type, each giving inverse frequencies and an attention factor that
// multiplies cos and sin).
struct RopeConfig {
  enum class Type { kDefault, kLinear, kDynamic, kYarn, kLongRope, kLlama3 };
  Type type = Type::kDefault;
  double theta = 10000.0;          // rope_theta, the base
  int rotary_dims = 0;             // int(D · partial_rotary_factor): dims that rotate, even
  double factor = 1.0;             // linear, dynamic, yarn, llama3 (longrope: see below)
  int original_max_positions = 0;  // yarn, longrope, llama3: the pretraining context
  double low_freq_factor = 1.0;    // llama3
  double high_freq_factor = 4.0;   // llama3
  std::optional<double> attention_factor;  // yarn, longrope: multiplies cos and sin
  double beta_fast = 32.0;                 // yarn
  double beta_slow = 1.0;                  // yarn
  std::optional<double> mscale;            // yarn
  std::optional<double> mscale_all_dim;    // yarn
  bool truncate = true;                    // yarn: floor/ceil the correction range
  std::vector<double> short_factor;        // longrope: (rotary_dims / 2), T <= original
  std::vector<double> long_factor;         // longrope: (rotary_dims / 2), T > original
};

// Full (global) attention or a sliding window (local).
enum class LayerKind { kGlobal, kLocal };

struct ModelConfig {
  Architecture architecture = Architecture::kGpt2;
  std::string model_type;  // config.json's model_type ("gemma3" for multimodal checkpoints)
  std::string name;        // folder name or config's _name_or_path, for titles
  std::string name_or_path;  // config.json's "_name_or_path" as written ("" when absent)
  int vocab_size = 0;      // V: rows of the embedding (may exceed the tokenizer's ids)
  int max_positions = 0;   // P: n_positions / max_position_embeddings
  int width = 0;           // C: n_embd / hidden_size
  int layers = 0;          // L
  int heads = 0;           // H: query heads
  int kv_heads = 0;        // G: key/value heads (G divides H; H / G query heads share one)
  int head_width = 0;      // D: may differ from C / H (Qwen 3, Gemma)
  int inner = 0;           // I: MLP width
  float layer_norm_epsilon = 1e-5f;  // of every LayerNorm or RMSNorm of the model

  // Attention.
  bool scale_attn_weights = true;                // GPT-2: divide scores by √D
  bool scale_attn_by_inverse_layer_idx = false;  // GPT-2: also divide by (layer + 1)
  std::optional<double> query_pre_attn_scalar;   // Gemma: scale by its −½ power, not D's
  float attn_softcap = 0.0f;           // > 0: scores become cap·tanh(score / cap) (Gemma 2)
  float final_softcap = 0.0f;          // > 0: logits become cap·tanh(logit / cap) (Gemma 2 and 3)
  int sliding_window = 0;              // W > 0: a local layer's query i sees keys i − W < j ≤ i
  std::vector<LayerKind> layer_kinds;  // (L)
  bool qkv_bias = false;               // q, k and v projections have biases
  bool output_bias = false;            // the attention output projection has a bias
  bool mlp_bias = false;               // the MLP's projections have biases

  // Positions: learned (GPT-2, BERT) or rotary.
  bool rotary = false;
  RopeConfig rope;                       // global layers (all layers but Gemma 3's local ones)
  std::optional<RopeConfig> rope_local;  // Gemma 3's local layers (rope_local_base_freq)

  Activation activation = Activation::kGeluTanh;
  bool parallel_residual = false;   // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x))
  bool tie_word_embeddings = true;  // the LM head is the token embedding
  int type_vocab_size = 0;          // BERT token types

  int head_dim() const { return head_width; }
  int kv_groups() const { return kv_heads > 0 ? heads / kv_heads : 1; }  // query heads per kv head
  int query_width() const { return heads * head_width; }                 // H·D
  int kv_width() const { return kv_heads * head_width; }                 // G·D
  bool causal() const { return architecture != Architecture::kBert; }
  // The window of a layer, 0 for global layers.
  int window(int layer) const {
    return layer_kinds.empty() || layer_kinds[layer] == LayerKind::kGlobal ? 0 : sliding_window;
  }
  const RopeConfig& rope_of(int layer) const {
    return rope_local && window(layer) > 0 ? *rope_local : rope;
  }
};

// Reads and validates config.json with the reader of its model_type's family (sizes positive
// and bounded, H divisible by G, rope_scaling complete, sizes small enough that the weights
// would fit in memory). An unknown model_type or RoPE type is an error naming it and the
// supported list. Errors name the file and the field.
Result<ModelConfig> load_model_config(const std::filesystem::path& config_json);

// Parameters of the checkpoint as the config describes it (the weight registry's count), for
// the memory check before the weights are opened.
double estimated_parameters(const ModelConfig& config);

// "Llama" etc., the family's display name from the architecture table.
std::string family_display_name(Architecture architecture);

}  // namespace attnviz

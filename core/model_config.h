// ModelConfig: the sizes and switches of a checkpoint, read from a Hugging Face config.json.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace attnviz {

enum class Architecture { kGpt2, kBert };

// Legend: L layers, H heads, C width, D = C / H head width, V vocabulary, P positions.
struct ModelConfig {
  Architecture architecture = Architecture::kGpt2;
  std::string name;              // folder name or config's _name_or_path, for titles
  int vocab_size = 0;            // V
  int max_positions = 0;         // P: n_positions / max_position_embeddings
  int width = 0;                 // C: n_embd / hidden_size
  int layers = 0;                // L
  int heads = 0;                 // H
  int inner = 0;                 // MLP width: n_inner (null = 4C) / intermediate_size
  float layer_norm_epsilon = 1e-5f;
  bool scale_attn_weights = true;             // GPT-2: divide scores by sqrt(D)
  bool scale_attn_by_inverse_layer_idx = false;  // GPT-2: also divide by (layer + 1)
  int type_vocab_size = 0;       // BERT token types

  int head_dim() const { return heads > 0 ? width / heads : 0; }
  bool causal() const { return architecture == Architecture::kGpt2; }
};

// Reads and validates config.json (sizes positive, width divisible by heads, sizes small enough
// that the weights would fit in memory). Errors name the file and the field.
Result<ModelConfig> load_model_config(const std::filesystem::path& config_json);

}  // namespace attnviz

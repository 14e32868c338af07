// The model card: what a person wants to know about a checkpoint before and while looking at
// its attention (family, size, heads, positions, windows, precision, context), from the config
// and the weights' headers, for the app, `attnviz models` and HF cache discovery.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model_config.h"
#include "core/result.h"

namespace attnviz {

struct ModelCard {
  std::string family;      // "Llama", from the architecture table
  std::string model_type;  // config.json's
  uint64_t parameters = 0;
  int layers = 0;
  int heads = 0;     // query heads
  int kv_heads = 0;  // key/value heads (grouped-query attention when fewer)
  int head_dim = 0;
  int width = 0;
  int vocab_size = 0;
  int context_length = 0;       // max_position_embeddings
  std::string positions;        // "learned", "RoPE base 500000, llama3 scaling x8 from 8192 ..."
  std::string local_positions;  // Gemma 3's local layers; empty otherwise
  std::vector<int> windows;     // (L) sliding window of each layer, 0 = global
  std::string precision;        // "BF16", "F32", "F16", or "BF16 + F32" when mixed
  float attn_softcap = 0.0f, final_softcap = 0.0f;
  bool causal = true;
};

// The card of a config with the weights' parameter count and precision.
ModelCard model_card(const ModelConfig& config, uint64_t parameters, const std::string& precision);

// The card of a model folder from config.json and the safetensors headers, without reading any
// weight. Errors name the file.
Result<ModelCard> read_model_card(const std::filesystem::path& folder);

// "1.24 B", "494 M", "82 K".
std::string format_parameters(uint64_t parameters);

// Who a model is, for the header, the status bar, the picker and figure titles (issue 11: every
// model was called "model", its folder's name): the Hugging Face repo ("org/name") when the
// folder lies in a hub cache (models--org--name/snapshots/REV), else config.json's
// _name_or_path when it names a repo rather than a local path, else the folder's name (its
// parent's when the folder is called "model" or is a snapshot hash).
std::string model_identity_name(const ModelConfig& config, const std::filesystem::path& folder);
// "NAME · FAMILY · SIZE", e.g. "openai-community/gpt2 · GPT-2 · 124 M"; `name` replaces
// model_identity_name when not empty ("Built-in model").
std::string model_identity(const ModelConfig& config, const std::filesystem::path& folder,
                           const std::string& name = "");
// "global" when no layer slides; else e.g. "window 4096 on layers 0-4, 6-10; global on 5, 11".
std::string describe_windows(const std::vector<int>& windows);
// The card as "label: value" lines for text output.
std::vector<std::pair<std::string, std::string>> card_lines(const ModelCard& card);

}  // namespace attnviz

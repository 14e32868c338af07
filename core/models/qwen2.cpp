// Qwen 2 (transformers models/qwen2/modeling_qwen2.py and configuration_qwen2.py): Llama's
// decoder layer with q/k/v biases (o_proj has none) and a sliding window only when
// use_sliding_window is true, on layer_types' sliding layers (by default layers from
// max_window_layers on).
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

// Qwen 2 and 3: sliding_window = sliding_window if use_sliding_window else None; without
// layer_types, layer i slides when i >= max_window_layers.
Status read_qwen_windows(const ConfigFields& fields, ModelConfig& config) {
  bool use_sliding_window = false;
  ATTNVIZ_ASSIGN_OR_RETURN(use_sliding_window, fields.flag("use_sliding_window", false));
  int window = 0;
  if (use_sliding_window) ATTNVIZ_ASSIGN_OR_RETURN(window, read_window(fields, 4096));
  int max_window_layers = 28;
  ATTNVIZ_ASSIGN_OR_RETURN(max_window_layers,
                           fields.size("max_window_layers", SizeLimits::kLayers + 1, 28));
  return read_layer_types(
      fields, config, window, [](int layer, int from) { return layer >= from; }, max_window_layers);
}

Status read_qwen2_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // Qwen2Config()
  defaults.vocab_size = 151936;
  defaults.intermediate_size = 22016;
  defaults.kv_heads = 32;
  defaults.max_positions = 32768;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  config.qkv_bias = true;  // Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False
  config.output_bias = false;
  config.rotary = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.rope, read_rope_config(fields, RopeFieldNames{},
                                                         config.head_width, config.max_positions));
  return read_qwen_windows(fields, config);
}

}  // namespace attnviz

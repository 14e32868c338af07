// Reading the fields most decoder families share (transformers' Llama-style config classes):
// sizes with the family's defaults, the activation, and which layers use a sliding window.
#pragma once

#include "core/model_config.h"
#include "core/models/config_fields.h"

namespace attnviz {

// A family's defaults for the shared fields (its configuration_<family>.py __init__).
struct DecoderDefaults {
  int vocab_size = 32000;
  int hidden_size = 4096;
  int intermediate_size = 11008;
  int layers = 32;
  int heads = 32;
  int kv_heads = 0;  // 0: num_key_value_heads defaults to num_attention_heads
  int head_dim = 0;  // 0: hidden_size / num_attention_heads
  int max_positions = 2048;
  double norm_eps = 1e-6;
  const char* norm_eps_field = "rms_norm_eps";
  bool tie_word_embeddings = false;
  const char* activation_field = "hidden_act";
  const char* activation = "silu";
};

// hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
// intermediate_size, vocab_size, max_position_embeddings, the norm's epsilon,
// tie_word_embeddings and the activation.
Status read_decoder_fields(const ConfigFields& fields, ModelConfig& config,
                           const DecoderDefaults& defaults);

// An ACT2FN name attnviz computes, or an error naming the field and the supported names.
Result<Activation> read_activation(const ConfigFields& fields, const char* field,
                                   const char* fallback);

// sliding_window: `fallback` when absent, 0 when null (no window), else a positive size.
Result<int> read_window(const ConfigFields& fields, int fallback);

// Every layer local (window > 0) or every layer global (window 0).
void set_uniform_layers(ModelConfig& config, int window);

// layer_types when config.json lists them (checked: one per layer, each "full_attention" or
// "sliding_attention"), else `derived(i)` says whether layer i slides. A sliding layer needs a
// window: `window` 0 with a sliding layer is an error naming the fields.
Status read_layer_types(const ConfigFields& fields, ModelConfig& config, int window,
                        bool (*derived)(int layer, int parameter), int parameter);

}  // namespace attnviz

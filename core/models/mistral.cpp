// Mistral (transformers models/mistral/modeling_mistral.py and configuration_mistral.py):
// Llama's decoder layer with a sliding window on every layer when sliding_window is set
// (MistralModel masks with create_sliding_window_causal_mask: query i sees i − W < j ≤ i).
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_mistral_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // MistralConfig()
  defaults.intermediate_size = 14336;
  defaults.kv_heads = 8;
  defaults.max_positions = 4096 * 32;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  config.rotary = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.rope, read_rope_config(fields, RopeFieldNames{},
                                                         config.head_width, config.max_positions));
  int window = 0;  // sliding_window defaults to 4096; null turns the window off
  ATTNVIZ_ASSIGN_OR_RETURN(window, read_window(fields, 4096));
  set_uniform_layers(config, window);
  return Ok{};
}

}  // namespace attnviz

// Phi-3, Phi-3.5 and Phi-4-mini (transformers models/phi3/modeling_phi3.py and
// configuration_phi3.py): Llama's decoder layer with q, k and v in one qkv_proj (rows
// [q | k | v]) and gate and up in one gate_up_proj (rows [gate | up]), RoPE on the first
// partial_rotary_factor of each head, longrope whose factors switch with the text's length (short
// up to original_max_position_embeddings tokens, long for every position beyond), and a sliding
// window on every layer when sliding_window is set.
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_phi3_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // Phi3Config()
  defaults.vocab_size = 32064;
  defaults.hidden_size = 3072;
  defaults.intermediate_size = 8192;
  defaults.max_positions = 4096;
  defaults.norm_eps = 1e-5;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  config.rotary = true;
  RopeFieldNames names;
  names.phi3 = true;
  names.original_default = 4096;  // Phi3Config(original_max_position_embeddings=4096)
  ATTNVIZ_ASSIGN_OR_RETURN(
      config.rope, read_rope_config(fields, names, config.head_width, config.max_positions));
  int window = 0;
  ATTNVIZ_ASSIGN_OR_RETURN(window, read_window(fields, 0));
  set_uniform_layers(config, window);
  return Ok{};
}

}  // namespace attnviz

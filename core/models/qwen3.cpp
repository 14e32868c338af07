// Qwen 3 (transformers models/qwen3/modeling_qwen3.py and configuration_qwen3.py): Llama's
// decoder layer with an explicit head_dim (128 by default, not hidden / heads), RMSNorm of each
// head's q and k over head_dim before RoPE, optional attention biases, Qwen 2's windows.
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_qwen3_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // Qwen3Config()
  defaults.vocab_size = 151936;
  defaults.intermediate_size = 22016;
  defaults.kv_heads = 32;
  defaults.head_dim = 128;
  defaults.max_positions = 32768;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  bool attention_bias = false;
  ATTNVIZ_ASSIGN_OR_RETURN(attention_bias, fields.flag("attention_bias", false));
  config.qkv_bias = config.output_bias = attention_bias;
  config.rotary = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.rope, read_rope_config(fields, RopeFieldNames{},
                                                         config.head_width, config.max_positions));
  return read_qwen_windows(fields, config);
}

}  // namespace attnviz

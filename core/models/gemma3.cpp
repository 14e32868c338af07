// Gemma 3 (transformers models/gemma3/modeling_gemma3.py and configuration_gemma3.py): Gemma 2's
// layer with (1 + w) RMSNorm of each head's q and k before RoPE, local layers (every layer but
// each sliding_window_pattern-th) with their own RoPE base rope_local_base_freq, unscaled, and
// global layers with rope_theta and rope_scaling. Gemma3Attention does not pass
// attn_logit_softcapping to the attention, so scores are never soft-capped; final logits are
// when final_logit_softcapping is set. Multimodal "gemma3" checkpoints: the text_config part.
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_gemma3_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults = gemma_defaults();  // Gemma3TextConfig()
  defaults.vocab_size = 262208;
  defaults.max_positions = 131072;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  if (Status read = read_gemma_attention(fields, config, std::nullopt, std::nullopt); !read)
    return read;
  config.attn_softcap = 0.0f;  // read for the record, never applied (see above)
  bool bidirectional = false;
  ATTNVIZ_ASSIGN_OR_RETURN(bidirectional, fields.flag("use_bidirectional_attention", false));
  if (bidirectional)
    return fields.error("use_bidirectional_attention",
                        "is true (an embedding model); attnviz runs Gemma 3 as a causal decoder");

  config.rotary = true;
  RopeFieldNames global;
  global.theta_default = 1000000.0;
  ATTNVIZ_ASSIGN_OR_RETURN(
      config.rope, read_rope_config(fields, global, config.head_width, config.max_positions));
  // Local layers: transformers 5 may give them their own rope_parameters entry; before that
  // they rotate with the default RoPE at rope_local_base_freq.
  const nlohmann::json* parameters = fields.find("rope_parameters");
  if (parameters && parameters->is_object() && parameters->contains("sliding_attention")) {
    RopeFieldNames local;
    local.layer_type = "sliding_attention";
    local.theta = "rope_local_base_freq";
    ATTNVIZ_ASSIGN_OR_RETURN(config.rope_local, read_rope_config(fields, local, config.head_width,
                                                                 config.max_positions));
  } else {
    RopeConfig local;
    ATTNVIZ_ASSIGN_OR_RETURN(local.theta, fields.positive_number("rope_local_base_freq", 10000.0));
    local.rotary_dims = config.head_width;
    config.rope_local = local;
  }

  int window = 0, pattern = 6;
  ATTNVIZ_ASSIGN_OR_RETURN(window, read_window(fields, 4096));
  ATTNVIZ_ASSIGN_OR_RETURN(pattern,
                           fields.size("sliding_window_pattern", SizeLimits::kLayers + 1, 6));
  // layer_types default: "sliding_attention" if bool((i + 1) % sliding_window_pattern).
  return read_layer_types(
      fields, config, window, [](int layer, int period) { return (layer + 1) % period != 0; },
      pattern);
}

}  // namespace attnviz

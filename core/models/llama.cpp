// Llama (transformers models/llama/modeling_llama.py and configuration_llama.py): RMSNorm,
// RoPE with every rope_scaling type, grouped-query attention, SwiGLU, tied or untied head.
// Its pre-norm decoder layer is also GPT-2's, Mistral's, Qwen 2's, Qwen 3's and Phi-3's, and
// GPT-NeoX's without parallel residual.
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_llama_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // LlamaConfig()
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  bool attention_bias = false;
  ATTNVIZ_ASSIGN_OR_RETURN(attention_bias, fields.flag("attention_bias", false));
  config.qkv_bias = config.output_bias = attention_bias;
  ATTNVIZ_ASSIGN_OR_RETURN(config.mlp_bias, fields.flag("mlp_bias", false));
  config.rotary = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.rope, read_rope_config(fields, RopeFieldNames{},
                                                         config.head_width, config.max_positions));
  set_uniform_layers(config, 0);
  return Ok{};
}

void embed_tokens_only(ForwardPass& pass) {
  pass.embed_tokens(pass.residual());  // embed_tokens[id]
}

void pre_norm_layer(ForwardPass& pass, int index) {
  const LayerWeights& w = pass.layer(index);
  float* x = pass.residual();  // (N, C)
  float* normed = pass.normed();
  float* attention = pass.attention_branch();
  float* mlp = pass.mlp_branch();
  pass.norm(normed, x, w.attention_norm);         // input_layernorm (GPT-2: ln_1)
  pass.self_attention(attention, normed, index);  // o_proj(attention(rope(q, k), v))
  pass.add(x, attention);
  pass.norm(normed, x, w.mlp_norm);  // post_attention_layernorm (GPT-2: ln_2)
  pass.mlp(mlp, normed, index);      // down_proj(act(gate_proj(·)) · up_proj(·))
  pass.add(x, mlp);
}

const FamilyRecipe kLlamaRecipe{embed_tokens_only, pre_norm_layer};

}  // namespace attnviz

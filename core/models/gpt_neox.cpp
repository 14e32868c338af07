// GPT-NeoX and Pythia (transformers models/gpt_neox/modeling_gpt_neox.py and
// configuration_gpt_neox.py): LayerNorm with biases, one query_key_value layer whose rows are
// grouped per head ([q_h | k_h | v_h], view(T, H, 3·D)), RoPE on the first rotary_pct of each
// head, exact GELU, and with use_parallel_residual x + attn(ln1(x)) + mlp(ln2(x)).
#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"

namespace attnviz {

Status read_gpt_neox_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults;  // GPTNeoXConfig()
  defaults.vocab_size = 50432;
  defaults.hidden_size = 6144;
  defaults.intermediate_size = 24576;
  defaults.layers = 44;
  defaults.heads = 64;
  defaults.norm_eps = 1e-5;
  defaults.norm_eps_field = "layer_norm_eps";
  defaults.activation = "gelu";
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  // GPTNeoXAttention: head_size = hidden_size // num_attention_heads, one kv head per head.
  if (config.width % config.heads != 0)
    return fields.not_divisible("hidden_size", config.width, "num_attention_heads", config.heads);
  config.head_width = config.width / config.heads;
  config.kv_heads = config.heads;
  bool attention_bias = true;
  ATTNVIZ_ASSIGN_OR_RETURN(attention_bias, fields.flag("attention_bias", true));
  config.qkv_bias = config.output_bias = attention_bias;
  config.mlp_bias = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.parallel_residual, fields.flag("use_parallel_residual", true));
  config.rotary = true;
  RopeFieldNames names;
  names.theta = "rotary_emb_base";
  names.partial = "rotary_pct";
  names.partial_default = 0.25;
  ATTNVIZ_ASSIGN_OR_RETURN(
      config.rope, read_rope_config(fields, names, config.head_width, config.max_positions));
  set_uniform_layers(config, 0);
  return Ok{};
}

namespace {

void layer(ForwardPass& pass, int index) {
  // Without use_parallel_residual: attn_output + hidden_states, then the MLP on its norm.
  if (!pass.config().parallel_residual) return pre_norm_layer(pass, index);
  const LayerWeights& w = pass.layer(index);
  float* x = pass.residual();  // (N, C)
  float* normed = pass.normed();
  float* attention = pass.attention_branch();
  float* mlp = pass.mlp_branch();
  pass.norm(normed, x, w.attention_norm);         // input_layernorm
  pass.self_attention(attention, normed, index);  // dense(attention(query_key_value(·)))
  pass.norm(normed, x, w.mlp_norm);               // post_attention_layernorm of the input
  pass.mlp(mlp, normed, index);                   // dense_4h_to_h(gelu(dense_h_to_4h(·)))
  pass.add(mlp, attention);                       // mlp_output + attn_output + hidden_states
  pass.add(x, mlp);
}

}  // namespace

const FamilyRecipe kGptNeoxRecipe{embed_tokens_only, layer};  // embed_in[id]

}  // namespace attnviz

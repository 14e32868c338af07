// GPT-2 (transformers models/gpt2/modeling_gpt2.py and configuration_gpt2.py; REFERENCE §2):
// learned positions, pre-LayerNorm blocks, Conv1D (in, out) weights, gelu_new, an LM head tied
// to the token embedding.
#include "core/models/families.h"

namespace attnviz {

Status read_gpt2_config(const ConfigFields& fields, ModelConfig& config) {
  ATTNVIZ_ASSIGN_OR_RETURN(config.width, fields.size("n_embd", SizeLimits::kWidth));
  ATTNVIZ_ASSIGN_OR_RETURN(config.layers, fields.size("n_layer", SizeLimits::kLayers));
  ATTNVIZ_ASSIGN_OR_RETURN(config.heads, fields.size("n_head", SizeLimits::kHeads));
  if (config.width % config.heads != 0)
    return fields.not_divisible("n_embd", config.width, "n_head", config.heads);
  config.kv_heads = config.heads;
  config.head_width = config.width / config.heads;
  // Very old configs name the context length n_ctx only.
  const char* positions_field =
      !fields.find("n_positions") && fields.find("n_ctx") ? "n_ctx" : "n_positions";
  ATTNVIZ_ASSIGN_OR_RETURN(config.max_positions,
                           fields.size(positions_field, SizeLimits::kPositions));
  ATTNVIZ_ASSIGN_OR_RETURN(config.vocab_size, fields.size("vocab_size", SizeLimits::kVocab));
  std::optional<int> inner;
  ATTNVIZ_ASSIGN_OR_RETURN(inner, fields.optional_size("n_inner", SizeLimits::kInner));
  config.inner = inner ? *inner : 4 * config.width;  // transformers: n_inner None = 4 * n_embd
  double eps = 0.0;
  ATTNVIZ_ASSIGN_OR_RETURN(eps, fields.positive_number("layer_norm_epsilon", 1e-5));
  config.layer_norm_epsilon = static_cast<float>(eps);
  ATTNVIZ_ASSIGN_OR_RETURN(config.scale_attn_weights, fields.flag("scale_attn_weights", true));
  ATTNVIZ_ASSIGN_OR_RETURN(config.scale_attn_by_inverse_layer_idx,
                           fields.flag("scale_attn_by_inverse_layer_idx", false));
  std::string activation;
  ATTNVIZ_ASSIGN_OR_RETURN(activation, fields.text("activation_function", "gelu_new"));
  // Both names are the tanh approximation of GELU, which is what attnviz computes for GPT-2.
  if (activation != "gelu_new" && activation != "gelu_pytorch_tanh")
    return fields.error("activation_function",
                        "is \"" + activation +
                            "\"; attnviz supports only gelu_new and gelu_pytorch_tanh for GPT-2");
  config.activation = Activation::kGeluTanh;
  config.qkv_bias = config.output_bias = config.mlp_bias = true;
  config.tie_word_embeddings = true;  // GPT2LMHeadModel ties lm_head to wte
  config.layer_kinds.assign(config.layers, LayerKind::kGlobal);
  return Ok{};
}

namespace {

void embed(ForwardPass& pass) {
  float* x = pass.residual();                                 // (N, C)
  pass.embed_tokens(x);                                       // wte[id]
  pass.add_positions(x, *pass.weights().position_embedding);  // + wpe[position]
}

}  // namespace

const FamilyRecipe kGpt2Recipe{embed, pre_norm_layer};  // ln_1, attn, ln_2, mlp

}  // namespace attnviz

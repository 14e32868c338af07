// Gemma 2 (transformers models/gemma2/modeling_gemma2.py and configuration_gemma2.py):
// embeddings × √hidden (a float32 constant), RMSNorm with (1 + w), four norms per layer (before
// and after attention and MLP), scores scaled by query_pre_attn_scalar^−½ and soft-capped
// (cap·tanh(s / cap)) before the mask, a sliding window on alternate layers, GeGLU with the tanh
// GELU, soft-capped final logits. Its layer is also Gemma 3's.
#include <cmath>

#include "core/models/decoder_config.h"
#include "core/models/families.h"
#include "core/models/rope.h"
#include "core/ops.h"

namespace attnviz {

// Gemma 2 and 3's shared fields: query_pre_attn_scalar, the soft-caps, the window.
Status read_gemma_attention(const ConfigFields& fields, ModelConfig& config,
                            std::optional<double> attn_softcap,
                            std::optional<double> final_softcap) {
  double scalar = 0.0;
  ATTNVIZ_ASSIGN_OR_RETURN(scalar, fields.positive_number("query_pre_attn_scalar", 256.0));
  config.query_pre_attn_scalar = scalar;
  auto softcap = [&](const char* field, std::optional<double> fallback) -> Result<float> {
    // null turns soft-capping off; an absent field takes the config class's default.
    const nlohmann::json* value = fields.find(field);
    if (value && value->is_null()) return 0.0f;
    std::optional<double> cap = fallback;
    if (value) {
      ATTNVIZ_ASSIGN_OR_RETURN(cap, fields.optional_positive_number(field));
    }
    return cap ? static_cast<float>(*cap) : 0.0f;
  };
  ATTNVIZ_ASSIGN_OR_RETURN(config.attn_softcap, softcap("attn_logit_softcapping", attn_softcap));
  ATTNVIZ_ASSIGN_OR_RETURN(config.final_softcap, softcap("final_logit_softcapping", final_softcap));
  bool attention_bias = false;
  ATTNVIZ_ASSIGN_OR_RETURN(attention_bias, fields.flag("attention_bias", false));
  config.qkv_bias = config.output_bias = attention_bias;
  return Ok{};
}

DecoderDefaults gemma_defaults() {
  DecoderDefaults defaults;
  defaults.hidden_size = 2304;
  defaults.intermediate_size = 9216;
  defaults.layers = 26;
  defaults.heads = 8;
  defaults.kv_heads = 4;
  defaults.head_dim = 256;
  defaults.tie_word_embeddings = true;
  defaults.activation_field = "hidden_activation";  // Gemma's MLP: ACT2FN[hidden_activation]
  defaults.activation = "gelu_pytorch_tanh";
  return defaults;
}

Status read_gemma2_config(const ConfigFields& fields, ModelConfig& config) {
  DecoderDefaults defaults = gemma_defaults();  // Gemma2Config()
  defaults.vocab_size = 256000;
  defaults.max_positions = 8192;
  if (Status read = read_decoder_fields(fields, config, defaults); !read) return read;
  if (Status read = read_gemma_attention(fields, config, 50.0, 30.0); !read) return read;
  config.rotary = true;
  ATTNVIZ_ASSIGN_OR_RETURN(config.rope, read_rope_config(fields, RopeFieldNames{},
                                                         config.head_width, config.max_positions));
  int window = 0;
  ATTNVIZ_ASSIGN_OR_RETURN(window, read_window(fields, 4096));
  // layer_types default: "sliding_attention" if bool((i + 1) % 2) else "full_attention".
  return read_layer_types(
      fields, config, window, [](int layer, int period) { return (layer + 1) % period != 0; }, 2);
}

namespace {

void embed(ForwardPass& pass) {
  float* x = pass.residual();  // (N, C)
  pass.embed_tokens(x);
  // normalizer = torch.tensor(hidden_size**0.5, dtype=float32)
  const float normalizer = static_cast<float>(std::sqrt(static_cast<double>(pass.width())));
  const size_t n = static_cast<size_t>(pass.rows()) * pass.width();
  for (size_t i = 0; i < n; ++i) x[i] *= normalizer;
}

void layer(ForwardPass& pass, int index) {
  const LayerWeights& w = pass.layer(index);
  float* x = pass.residual();
  float* normed = pass.normed();
  float* attention = pass.attention_branch();
  float* mlp = pass.mlp_branch();
  pass.norm(normed, x, w.attention_norm);                  // input_layernorm
  pass.self_attention(attention, normed, index);           // (q/k norms,) RoPE, soft-cap, window
  pass.norm(attention, attention, w.post_attention_norm);  // post_attention_layernorm
  pass.add(x, attention);
  pass.norm(normed, x, w.mlp_norm);      // pre_feedforward_layernorm
  pass.mlp(mlp, normed, index);          // down(gelu_tanh(gate(·)) · up(·))
  pass.norm(mlp, mlp, w.post_mlp_norm);  // post_feedforward_layernorm
  pass.add(x, mlp);
}

}  // namespace

const FamilyRecipe kGemmaRecipe{embed, layer};

}  // namespace attnviz

// BERT (transformers models/bert/modeling_bert.py and configuration_bert.py; REFERENCE §4):
// embeddings LayerNorm(word + token type 0 + position), post-LayerNorm bidirectional encoder
// layers, exact erf GELU. No LM head: runs have no predictions. [CLS] and [SEP] come from the
// tokenizer.
#include "core/models/families.h"
#include "core/ops.h"

namespace attnviz {

Status read_bert_config(const ConfigFields& fields, ModelConfig& config) {
  ATTNVIZ_ASSIGN_OR_RETURN(config.width, fields.size("hidden_size", SizeLimits::kWidth));
  ATTNVIZ_ASSIGN_OR_RETURN(config.layers, fields.size("num_hidden_layers", SizeLimits::kLayers));
  ATTNVIZ_ASSIGN_OR_RETURN(config.heads, fields.size("num_attention_heads", SizeLimits::kHeads));
  if (config.width % config.heads != 0)
    return fields.not_divisible("hidden_size", config.width, "num_attention_heads", config.heads);
  config.kv_heads = config.heads;
  config.head_width = config.width / config.heads;
  ATTNVIZ_ASSIGN_OR_RETURN(config.inner, fields.size("intermediate_size", SizeLimits::kInner));
  ATTNVIZ_ASSIGN_OR_RETURN(config.max_positions,
                           fields.size("max_position_embeddings", SizeLimits::kPositions));
  ATTNVIZ_ASSIGN_OR_RETURN(config.vocab_size, fields.size("vocab_size", SizeLimits::kVocab));
  ATTNVIZ_ASSIGN_OR_RETURN(config.type_vocab_size,
                           fields.size("type_vocab_size", SizeLimits::kTokenTypes, 2));
  double eps = 0.0;
  ATTNVIZ_ASSIGN_OR_RETURN(eps, fields.positive_number("layer_norm_eps", 1e-12));
  config.layer_norm_epsilon = static_cast<float>(eps);
  std::string activation;
  ATTNVIZ_ASSIGN_OR_RETURN(activation, fields.text("hidden_act", "gelu"));
  if (activation != "gelu")
    return fields.error("hidden_act", "is \"" + activation +
                                          "\"; attnviz supports only \"gelu\" (exact erf GELU) "
                                          "for BERT");
  config.activation = Activation::kGeluExact;
  // A BERT decoder masks attention causally; attnviz runs BERT as the bidirectional encoder.
  bool decoder = false;
  ATTNVIZ_ASSIGN_OR_RETURN(decoder, fields.flag("is_decoder", false));
  if (decoder)
    return fields.error("is_decoder", "is true; attnviz supports BERT only as an encoder");
  // Relative position embeddings change the attention scores; attnviz computes absolute ones.
  std::string positions;
  ATTNVIZ_ASSIGN_OR_RETURN(positions, fields.text("position_embedding_type", "absolute"));
  if (positions != "absolute")
    return fields.error("position_embedding_type",
                        "is \"" + positions + "\"; attnviz supports only \"absolute\"");
  config.qkv_bias = config.output_bias = config.mlp_bias = true;
  config.tie_word_embeddings = false;
  config.layer_kinds.assign(config.layers, LayerKind::kGlobal);
  return Ok{};
}

namespace {

void embed(ForwardPass& pass) {
  const ModelWeights& weights = pass.weights();
  float* x = pass.residual();  // (N, C)
  const size_t c = pass.width();
  std::vector<float> token_type(c);  // row 0: BERT runs use token type 0
  widen(token_type.data(), weights.token_type_embedding->data(), c,
        weights.token_type_embedding->type);
  pass.embed_tokens(x);  // word[id]
  for (int r = 0; r < pass.rows(); ++r) add_in_place(x + r * c, token_type.data(), c);
  pass.add_positions(x, *weights.position_embedding);  // + position[p]
  pass.norm(x, x, weights.embedding_norm);             // embeddings.LayerNorm
}

void layer(ForwardPass& pass, int index) {
  const LayerWeights& w = pass.layer(index);
  float* x = pass.residual();
  float* attention = pass.attention_branch();
  float* mlp = pass.mlp_branch();
  pass.self_attention(attention, x, index);        // attention.output.dense(attention(·))
  pass.add(attention, x);                          // + input
  pass.norm(x, attention, w.post_attention_norm);  // attention.output.LayerNorm
  pass.mlp(mlp, x, index);                         // output.dense(gelu(intermediate.dense(·)))
  pass.add(mlp, x);                                // + input
  pass.norm(x, mlp, w.post_mlp_norm);              // output.LayerNorm
}

}  // namespace

const FamilyRecipe kBertRecipe{embed, layer};

}  // namespace attnviz

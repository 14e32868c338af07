// The families' config readers and forward recipes (one file each in core/models/), for the
// architecture table. Families whose decoder layer is another's (transformers' modular files
// inherit it) share that recipe and differ in their config only.
#pragma once

#include "core/forward_pass.h"
#include "core/model_config.h"
#include "core/models/config_fields.h"
#include "core/models/decoder_config.h"

namespace attnviz {

Status read_gpt2_config(const ConfigFields& fields, ModelConfig& config);
Status read_bert_config(const ConfigFields& fields, ModelConfig& config);
Status read_llama_config(const ConfigFields& fields, ModelConfig& config);
Status read_mistral_config(const ConfigFields& fields, ModelConfig& config);
Status read_qwen2_config(const ConfigFields& fields, ModelConfig& config);
Status read_qwen3_config(const ConfigFields& fields, ModelConfig& config);
Status read_gemma2_config(const ConfigFields& fields, ModelConfig& config);
Status read_gemma3_config(const ConfigFields& fields, ModelConfig& config);
Status read_phi3_config(const ConfigFields& fields, ModelConfig& config);
Status read_gpt_neox_config(const ConfigFields& fields, ModelConfig& config);

// Shared by two families' readers.
Status read_qwen_windows(const ConfigFields& fields, ModelConfig& config);  // Qwen 2 and 3
Status read_gemma_attention(const ConfigFields& fields, ModelConfig& config,
                            std::optional<double> attn_softcap,
                            std::optional<double> final_softcap);  // Gemma 2 and 3

// Gemma 2 and 3's shared config defaults (hidden 2304, 26 layers of 8 query / 4 kv heads of 256,
// tied, gelu_pytorch_tanh through hidden_activation); each sets its vocabulary and context.
DecoderDefaults gemma_defaults();

// Recipe parts several families share.
void embed_tokens_only(ForwardPass& pass);          // embed_tokens[id] (Llama's)
void pre_norm_layer(ForwardPass& pass, int layer);  // x += attn(norm1(x)); x += mlp(norm2(x))

extern const FamilyRecipe kGpt2Recipe;     // learned positions, pre-norm
extern const FamilyRecipe kBertRecipe;     // embedding norm, post-norm
extern const FamilyRecipe kLlamaRecipe;    // pre-norm (Llama, Mistral, Qwen 2 and 3, Phi-3)
extern const FamilyRecipe kGemmaRecipe;    // scaled embeddings, four norms (Gemma 2 and 3)
extern const FamilyRecipe kGptNeoxRecipe;  // parallel residual

}  // namespace attnviz

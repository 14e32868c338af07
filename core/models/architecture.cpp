#include "core/models/architecture.h"

#include <cassert>
#include <cstdio>
#include <utility>

#include "core/models/families.h"

namespace attnviz {
namespace {

using R = TensorRole;
using Names = std::vector<std::pair<TensorRole, const char*>>;

// The tensors of transformers' Llama-style decoders (LlamaForCausalLM and its descendants),
// without the "model." prefix.
const Names kLlamaNames = {
    {R::kTokenEmbedding, "embed_tokens"},
    {R::kAttentionNorm, "layers.%d.input_layernorm"},
    {R::kQuery, "layers.%d.self_attn.q_proj"},
    {R::kKey, "layers.%d.self_attn.k_proj"},
    {R::kValue, "layers.%d.self_attn.v_proj"},
    {R::kAttentionOutput, "layers.%d.self_attn.o_proj"},
    {R::kMlpNorm, "layers.%d.post_attention_layernorm"},
    {R::kMlpGate, "layers.%d.mlp.gate_proj"},
    {R::kMlpUp, "layers.%d.mlp.up_proj"},
    {R::kMlpOut, "layers.%d.mlp.down_proj"},
    {R::kFinalNorm, "norm"},
    {R::kLmHead, "lm_head"},
};

// The roles of `base` with `changes` applied (a nullptr name removes the role).
Names with(const Names& base, const Names& changes) {
  Names out(base);
  for (const auto& [role, name] : changes) {
    std::erase_if(out, [role = role](const auto& entry) { return entry.first == role; });
    if (name) out.push_back({role, name});
  }
  return out;
}

const Names kQkNorms = {{R::kQueryNorm, "layers.%d.self_attn.q_norm"},
                        {R::kKeyNorm, "layers.%d.self_attn.k_norm"}};

// Gemma's four norms: input_layernorm, post_attention_layernorm (on the attention output),
// pre_feedforward_layernorm, post_feedforward_layernorm.
const Names kGemmaNorms = {{R::kPostAttentionNorm, "layers.%d.post_attention_layernorm"},
                           {R::kMlpNorm, "layers.%d.pre_feedforward_layernorm"},
                           {R::kPostMlpNorm, "layers.%d.post_feedforward_layernorm"}};

struct RowSpec {
  Architecture architecture;
  const char* model_type;
  const char* display_name;
  TokenizerKind tokenizer;
  Status (*read_config)(const ConfigFields&, ModelConfig&);
  std::vector<std::string> prefixes;
  const char* checkpoint_prefix;
  Names names;
  bool conv1d;
  NormKind norm;
  QkvLayout qkv;
  MlpKind mlp;
  bool lm_head;
  const FamilyRecipe* recipe;
};

ArchitectureRow make_row(RowSpec spec) {
  ArchitectureRow row{spec.architecture,
                      spec.model_type,
                      spec.display_name,
                      spec.tokenizer,
                      spec.read_config,
                      std::move(spec.prefixes),
                      spec.checkpoint_prefix,
                      {},
                      spec.conv1d,
                      spec.norm,
                      spec.qkv,
                      spec.mlp,
                      spec.lm_head,
                      spec.recipe};
  for (const auto& [role, name] : spec.names) row.names[static_cast<int>(role)] = name;
  return row;
}

const std::vector<ArchitectureRow>& table() {
  using K = TokenizerKind;
  static const std::vector<ArchitectureRow> rows = [] {
    std::vector<ArchitectureRow> out;
    out.push_back(make_row({Architecture::kGpt2,
                            "gpt2",
                            "GPT-2",
                            K::kByteLevelBpe,
                            read_gpt2_config,
                            {"transformer."},
                            "",
                            {{R::kTokenEmbedding, "wte"},
                             {R::kPositionEmbedding, "wpe"},
                             {R::kAttentionNorm, "h.%d.ln_1"},
                             {R::kQkv, "h.%d.attn.c_attn"},
                             {R::kAttentionOutput, "h.%d.attn.c_proj"},
                             {R::kMlpNorm, "h.%d.ln_2"},
                             {R::kMlpIn, "h.%d.mlp.c_fc"},
                             {R::kMlpOut, "h.%d.mlp.c_proj"},
                             {R::kFinalNorm, "ln_f"}},
                            /*conv1d=*/true,
                            NormKind::kLayerNorm,
                            QkvLayout::kFused,
                            MlpKind::kPlain,
                            /*lm_head=*/true,
                            &kGpt2Recipe}));
    out.push_back(make_row({Architecture::kBert,
                            "bert",
                            "BERT",
                            K::kWordPiece,
                            read_bert_config,
                            {"bert."},
                            "",
                            {{R::kTokenEmbedding, "embeddings.word_embeddings"},
                             {R::kPositionEmbedding, "embeddings.position_embeddings"},
                             {R::kTokenTypeEmbedding, "embeddings.token_type_embeddings"},
                             {R::kEmbeddingNorm, "embeddings.LayerNorm"},
                             {R::kQuery, "encoder.layer.%d.attention.self.query"},
                             {R::kKey, "encoder.layer.%d.attention.self.key"},
                             {R::kValue, "encoder.layer.%d.attention.self.value"},
                             {R::kAttentionOutput, "encoder.layer.%d.attention.output.dense"},
                             {R::kPostAttentionNorm, "encoder.layer.%d.attention.output.LayerNorm"},
                             {R::kMlpIn, "encoder.layer.%d.intermediate.dense"},
                             {R::kMlpOut, "encoder.layer.%d.output.dense"},
                             {R::kPostMlpNorm, "encoder.layer.%d.output.LayerNorm"}},
                            false,
                            NormKind::kLayerNorm,
                            QkvLayout::kSeparate,
                            MlpKind::kPlain,
                            /*lm_head=*/false,
                            &kBertRecipe}));
    auto llama_like = [&](Architecture architecture, const char* type, const char* name,
                          Status (*reader)(const ConfigFields&, ModelConfig&),
                          std::vector<std::pair<TensorRole, const char*>> names) {
      out.push_back(make_row({architecture,
                              type,
                              name,
                              K::kTokenizerJson,
                              reader,
                              {"model."},
                              "model.",
                              std::move(names),
                              false,
                              NormKind::kRmsNorm,
                              QkvLayout::kSeparate,
                              MlpKind::kGated,
                              true,
                              &kLlamaRecipe}));
    };
    llama_like(Architecture::kLlama, "llama", "Llama", read_llama_config, kLlamaNames);
    llama_like(Architecture::kMistral, "mistral", "Mistral", read_mistral_config, kLlamaNames);
    llama_like(Architecture::kQwen2, "qwen2", "Qwen 2", read_qwen2_config, kLlamaNames);
    llama_like(Architecture::kQwen3, "qwen3", "Qwen 3", read_qwen3_config,
               with(kLlamaNames, kQkNorms));
    out.push_back(make_row({Architecture::kGemma2,
                            "gemma2",
                            "Gemma 2",
                            K::kTokenizerJson,
                            read_gemma2_config,
                            {"model."},
                            "model.",
                            with(kLlamaNames, kGemmaNorms),
                            false,
                            NormKind::kRmsNormPlusOne,
                            QkvLayout::kSeparate,
                            MlpKind::kGated,
                            true,
                            &kGemmaRecipe}));
    // Multimodal checkpoints keep the text model under language_model (transformers 4.50-4.51:
    // language_model.model.*, language_model.lm_head; 4.52 on: model.language_model.*, lm_head).
    out.push_back(
        make_row({Architecture::kGemma3,
                  "gemma3_text",
                  "Gemma 3",
                  K::kTokenizerJson,
                  read_gemma3_config,
                  {"model.language_model.", "language_model.model.", "language_model.", "model."},
                  "model.",
                  with(with(kLlamaNames, kGemmaNorms), kQkNorms),
                  false,
                  NormKind::kRmsNormPlusOne,
                  QkvLayout::kSeparate,
                  MlpKind::kGated,
                  true,
                  &kGemmaRecipe}));
    out.push_back(make_row({Architecture::kPhi3,
                            "phi3",
                            "Phi-3",
                            K::kTokenizerJson,
                            read_phi3_config,
                            {"model."},
                            "model.",
                            with(kLlamaNames, {{R::kQuery, nullptr},
                                               {R::kKey, nullptr},
                                               {R::kValue, nullptr},
                                               {R::kQkv, "layers.%d.self_attn.qkv_proj"},
                                               {R::kMlpGate, nullptr},
                                               {R::kMlpUp, nullptr},
                                               {R::kMlpGateUp, "layers.%d.mlp.gate_up_proj"}}),
                            false,
                            NormKind::kRmsNorm,
                            QkvLayout::kFused,
                            MlpKind::kGated,
                            true,
                            &kLlamaRecipe}));
    out.push_back(make_row({Architecture::kGptNeox,
                            "gpt_neox",
                            "GPT-NeoX",
                            K::kTokenizerJson,
                            read_gpt_neox_config,
                            {"gpt_neox."},
                            "gpt_neox.",
                            {{R::kTokenEmbedding, "embed_in"},
                             {R::kAttentionNorm, "layers.%d.input_layernorm"},
                             {R::kQkv, "layers.%d.attention.query_key_value"},
                             {R::kAttentionOutput, "layers.%d.attention.dense"},
                             {R::kMlpNorm, "layers.%d.post_attention_layernorm"},
                             {R::kMlpIn, "layers.%d.mlp.dense_h_to_4h"},
                             {R::kMlpOut, "layers.%d.mlp.dense_4h_to_h"},
                             {R::kFinalNorm, "final_layer_norm"},
                             {R::kLmHead, "embed_out"}},
                            false,
                            NormKind::kLayerNorm,
                            QkvLayout::kFusedPerHead,
                            MlpKind::kPlain,
                            true,
                            &kGptNeoxRecipe}));
    return out;
  }();
  return rows;
}

}  // namespace

const ArchitectureRow* find_architecture(std::string_view model_type) {
  for (const ArchitectureRow& row : table())
    if (model_type == row.model_type) return &row;
  return nullptr;
}

const ArchitectureRow& architecture_row(Architecture architecture) {
  for (const ArchitectureRow& row : table())
    if (row.architecture == architecture) return row;
  assert(false && "architecture_row: a family without a row");
  return table().front();
}

std::string supported_model_types() {
  std::string out;
  for (const ArchitectureRow& row : table()) {
    if (!out.empty()) out += ", ";
    out += std::string("\"") + row.model_type + "\" (" + row.display_name + ")";
  }
  return out + ", and \"gemma3\" (the text model of Gemma 3 checkpoints)";
}

std::string tensor_name(const ArchitectureRow& row, TensorRole role, int layer) {
  const std::string& pattern = row.names[static_cast<int>(role)];
  const size_t at = pattern.find("%d");
  if (at == std::string::npos) return pattern;
  return pattern.substr(0, at) + std::to_string(layer) + pattern.substr(at + 2);
}

}  // namespace attnviz

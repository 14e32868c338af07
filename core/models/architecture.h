// The one table of model families (after llama.cpp's src/llama-arch.cpp): a row per family
// naming its config.json model_type, its tensors by role, the kind of each block (norm,
// positions, attention projections, MLP), its tokenizer kind, its config reader and its
// forward recipe. Nothing else in attnviz branches on the family; a new family is a row here
// and a file in core/models/.
//
// Legend: L layers, H query heads, G key/value heads, D head width, C width, I MLP width,
// V vocabulary, P positions, Y token types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/models/config_fields.h"
#include "core/tokenizer_loader.h"

namespace attnviz {

struct FamilyRecipe;  // core/forward_pass.h: the family's forward pass

// What a tensor is for. Per-layer roles have a "%d" in their name pattern.
enum class TensorRole {
  kTokenEmbedding,      // (V, C)
  kPositionEmbedding,   // (P, C) learned positions
  kTokenTypeEmbedding,  // (Y, C)
  kEmbeddingNorm,       // (C) BERT's embedding LayerNorm
  kAttentionNorm,       // (C) before attention
  kQuery,               // (H·D, C)
  kKey,                 // (G·D, C)
  kValue,               // (G·D, C)
  kQkv,                 // q, k and v in one tensor (layout: QkvLayout)
  kAttentionOutput,     // (C, H·D)
  kQueryNorm,           // (D) per-head norm of q before RoPE
  kKeyNorm,             // (D) per-head norm of k before RoPE
  kPostAttentionNorm,   // (C) on the attention output (Gemma) or after the residual (BERT)
  kMlpNorm,             // (C) before the MLP
  kPostMlpNorm,         // (C) on the MLP output (Gemma) or after the residual (BERT)
  kMlpGate,             // (I, C)
  kMlpUp,               // (I, C)
  kMlpGateUp,           // (2I, C) [gate | up] (Phi-3)
  kMlpIn,               // (I, C) an ungated MLP's first layer
  kMlpOut,              // (C, I) the MLP's last layer (down_proj)
  kFinalNorm,           // (C)
  kLmHead,              // (V, C) when not tied to the embedding
};
inline constexpr int kTensorRoles = static_cast<int>(TensorRole::kLmHead) + 1;

enum class NormKind {
  kLayerNorm,       // (x − mean)/√(var + ε)·w + b
  kRmsNorm,         // x/√(mean(x²) + ε)·w                (Llama)
  kRmsNormPlusOne,  // x/√(mean(x²) + ε)·(1 + w)          (Gemma)
};

enum class QkvLayout {
  kSeparate,      // q_proj, k_proj, v_proj
  kFused,         // one (H·D + 2·G·D, C) tensor, rows [q | k | v] (Phi-3)
  kFusedPerHead,  // one (3·H·D, C) tensor, rows per head [q_h | k_h | v_h] (GPT-NeoX)
};

enum class MlpKind {
  kPlain,  // out(act(in(x)))
  kGated,  // down(act(gate(x)) · up(x))
};

struct ArchitectureRow {
  Architecture architecture;
  const char* model_type;  // config.json's model_type
  const char* display_name;
  TokenizerKind tokenizer;
  // Reads the family's fields with transformers' defaults into config (sizes, RoPE, windows).
  Status (*read_config)(const ConfigFields& fields, ModelConfig& config);
  // Stored-name prefixes stripped before matching, first match wins ("model.", "transformer.").
  std::vector<std::string> prefixes;
  // The prefix transformers' *ForCausalLM writes before every name but the LM head's.
  const char* checkpoint_prefix;
  // Name pattern of each role's weight ("layers.%d.self_attn.q_proj"), without ".weight";
  // empty when the family has no such tensor.
  std::string names[kTensorRoles];
  bool conv1d;  // GPT-2: dense weights stored (in, out), not nn.Linear's (out, in)
  NormKind norm;
  QkvLayout qkv;
  MlpKind mlp;
  bool lm_head;  // next-token predictions (tied to the embedding unless config says otherwise)
  const FamilyRecipe* recipe;
};

// The row of a model_type, or nullptr.
const ArchitectureRow* find_architecture(std::string_view model_type);
const ArchitectureRow& architecture_row(Architecture architecture);
// "gpt2, bert, llama, ..." for messages.
std::string supported_model_types();

// A role's name pattern for one layer ("layers.3.self_attn.q_proj"), "" when the family has none.
std::string tensor_name(const ArchitectureRow& row, TensorRole role, int layer = 0);

}  // namespace attnviz

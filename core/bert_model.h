// BERT (REFERENCE §4): post-LN bidirectional encoder blocks with nn.Linear (out, in) weights,
// exact erf GELU, embeddings LN(word + position + token type 0). No LM head: runs have no
// predictions. [CLS] and [SEP] come from the tokenizer.
//
// Legend: L layers, H heads, T tokens, N rows computed, C width, I MLP width, V vocabulary.
#pragma once

#include <memory>

#include "core/forward_pass.h"
#include "core/model.h"
#include "core/ops.h"
#include "core/weight_registry.h"

namespace attnviz {

class BertModel final : public Model {
 public:
  // Takes weights already checked against bert_weight_specs(config) (load_weights does).
  static std::unique_ptr<BertModel> create(ModelConfig config, WeightSet weights,
                                           std::unique_ptr<Tokenizer> tokenizer,
                                           std::filesystem::path folder = {});

  const ModelConfig& config() const override { return config_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }

  Result<std::shared_ptr<const AttentionTrace>> run(std::span<const Token> tokens,
                                                    const RunOptions& options,
                                                    const AttentionTrace* previous = nullptr,
                                                    const ProgressFn& progress = {}) override;

 private:
  // Pointers into weights_ for one encoder layer.
  struct Block {
    DenseWeights attention;         // query, key, value fused: (3C, C)
    DenseWeights attention_output;  // (C, C)
    const float* attention_norm_gain;
    const float* attention_norm_bias;
    DenseWeights intermediate;  // (I, C)
    DenseWeights output;        // (C, I)
    const float* output_norm_gain;
    const float* output_norm_bias;
  };

  BertModel(ModelConfig config, WeightSet weights, std::unique_ptr<Tokenizer> tokenizer);
  // residual (N, C) = LN(word[id] + position[p] + token_type[0]) for positions [p, T).
  void embed(float* residual, std::span<const Token> tokens, const RunPlan& plan) const;
  // One post-LN encoder layer on rows [p, T).
  void run_block(AttentionTrace& trace, int layer, const RunPlan& plan);

  ModelConfig config_;
  WeightSet weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const float* word_embedding_ = nullptr;        // (V, C)
  const float* position_embedding_ = nullptr;    // (P, C)
  const float* token_type_embedding_ = nullptr;  // (types, C); BERT runs use type 0
  const float* embedding_norm_gain_ = nullptr;
  const float* embedding_norm_bias_ = nullptr;
  std::vector<Block> blocks_;
  ForwardScratch scratch_;
  TraceHistory history_;
  TraceStoragePool storage_;
};

}  // namespace attnviz

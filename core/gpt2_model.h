// GPT-2 (REFERENCE §2): pre-LN decoder blocks with Conv1D (in, out) weights, gelu_new, a
// final ln_f and an LM head tied to the token embedding.
//
// Legend: L layers, H heads, T tokens, N rows computed, C width, I MLP width, V vocabulary,
// P positions.
#pragma once

#include <memory>

#include "core/forward_pass.h"
#include "core/model.h"
#include "core/ops.h"
#include "core/weight_registry.h"

namespace attnviz {

class Gpt2Model final : public Model {
 public:
  // Takes weights already checked against gpt2_weight_specs(config) (load_weights does).
  static std::unique_ptr<Gpt2Model> create(ModelConfig config, WeightSet weights,
                                           std::unique_ptr<Tokenizer> tokenizer,
                                           std::filesystem::path folder = {});
  // A model with random registry-shaped weights and no files (benchmarks, tests).
  static std::unique_ptr<Gpt2Model> random(ModelConfig config, uint64_t seed,
                                           std::unique_ptr<Tokenizer> tokenizer);

  const ModelConfig& config() const override { return config_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }

  Result<std::shared_ptr<const AttentionTrace>> run(std::span<const Token> tokens,
                                                    const RunOptions& options,
                                                    const AttentionTrace* previous = nullptr,
                                                    const ProgressFn& progress = {}) override;
  std::shared_ptr<const AttentionTrace> complete_predictions(
      const std::shared_ptr<const AttentionTrace>& trace) override;

 private:
  // Pointers into weights_ for one block.
  struct Block {
    const float* ln_1_gain;
    const float* ln_1_bias;
    DenseWeights attention;             // c_attn (C, 3C)
    DenseWeights attention_projection;  // attn.c_proj (C, C)
    const float* ln_2_gain;
    const float* ln_2_bias;
    DenseWeights mlp_in;   // mlp.c_fc (C, I)
    DenseWeights mlp_out;  // mlp.c_proj (I, C)
  };

  Gpt2Model(ModelConfig config, WeightSet weights, std::unique_ptr<Tokenizer> tokenizer);
  // residual (N, C) = wte[id] + wpe[position] for positions [p, T).
  void embed(float* residual, std::span<const Token> tokens, const RunPlan& plan) const;
  // One pre-LN block on rows [p, T); attention reads keys of all positions from the trace.
  void run_block(AttentionTrace& trace, int layer, const RunPlan& plan);

  ModelConfig config_;
  WeightSet weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const float* token_embedding_ = nullptr;     // wte (V, C), also the LM head
  const float* position_embedding_ = nullptr;  // wpe (P, C)
  const float* final_gain_ = nullptr;          // ln_f
  const float* final_bias_ = nullptr;
  std::vector<Block> blocks_;
  ForwardScratch scratch_;
  TraceHistory history_;
  TraceStoragePool storage_;
};

}  // namespace attnviz

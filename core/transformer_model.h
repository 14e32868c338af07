// TransformerModel: the Model of every family in the architecture table. It owns the config,
// the weights in their stored precision, the tokenizer, and the row cache beside its traces
// (storage pool, RoPE tables, the traces it made, pending predictions); a run embeds, applies
// the family's recipe layer by layer, and finishes with the final norm and the LM head.
//
// Legend: L layers, T tokens, N rows computed, C width, V vocabulary.
#pragma once

#include <memory>
#include <vector>

#include "core/forward_pass.h"
#include "core/model.h"
#include "core/trace_storage.h"
#include "core/weight_registry.h"

namespace attnviz {

class TransformerModel final : public Model {
 public:
  static std::unique_ptr<TransformerModel> create(ModelConfig config, ModelWeights weights,
                                                  std::unique_ptr<Tokenizer> tokenizer,
                                                  std::filesystem::path folder = {});
  // A model with random spec-shaped weights stored as `type` and no files (benchmarks, tests).
  static std::unique_ptr<TransformerModel> random(ModelConfig config, uint64_t seed,
                                                  std::unique_ptr<Tokenizer> tokenizer,
                                                  WeightType type = WeightType::kF32);

  const ModelConfig& config() const override { return config_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  ModelCard card() const override;
  const ModelWeights& weights() const { return weights_; }
  // The LM head's logits (V) of one final hidden state (C), soft-capped as the family does; empty
  // for models without an LM head. The same products the predictions use.
  std::vector<float> next_token_logits(std::span<const float> final_hidden) const;

  Result<std::shared_ptr<const AttentionTrace>> run(std::span<const Token> tokens,
                                                    const RunOptions& options,
                                                    const AttentionTrace* previous = nullptr,
                                                    const ProgressFn& progress = {}) override;
  std::shared_ptr<const AttentionTrace> complete_predictions(
      const std::shared_ptr<const AttentionTrace>& trace) override;
  Result<std::vector<ReadOut>> read_out(std::span<const float> rows, bool normed, int top_k,
                                        std::span<const int32_t> targets = {}) const override;
  bool has_lm_head() const override { return row_.lm_head && weights_.lm_head; }

 private:
  // Final hidden states (after the final norm) of a trace's pending positions.
  struct PendingPredictions {
    std::weak_ptr<const AttentionTrace> trace;
    const AttentionTrace* address = nullptr;
    std::vector<float> final_hidden;  // (T − pending_from, C)
  };

  TransformerModel(ModelConfig config, ModelWeights weights, std::unique_ptr<Tokenizer> tokenizer);
  RunPlan plan_run(std::span<const Token> tokens, const RunOptions& options,
                   const AttentionTrace* previous) const;
  // A trace laid out in the pool's storage with rows [0, p) from `previous`.
  std::shared_ptr<AttentionTrace> start_trace(std::span<const Token> tokens,
                                              const RunOptions& options, const RunPlan& plan,
                                              const AttentionTrace* previous, RunStorage& storage);
  void store_hidden_state(AttentionTrace& trace, int index, const float* rows,
                          const RunPlan& plan) const;
  bool produced(const AttentionTrace* trace) const;
  void remember(const std::shared_ptr<const AttentionTrace>& trace);

  ModelConfig config_;
  const ArchitectureRow& row_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  ForwardScratch scratch_;
  RopeTables rope_;
  TraceStoragePool storage_;
  // The traces this model produced that are still alive, so a `previous` from another model
  // (or one already freed and its address reused) is never taken for a cache.
  std::vector<std::weak_ptr<const AttentionTrace>> history_;
  std::vector<PendingPredictions> pending_;
};

}  // namespace attnviz

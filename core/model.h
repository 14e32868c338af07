// Model: a loaded checkpoint (config, weights, tokenizer) that turns tokens into an
// AttentionTrace. One implementation (core/transformer_model.h) runs every family of the
// architecture table.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>

#include "core/attention_trace.h"
#include "core/model_card.h"
#include "core/model_config.h"
#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

// Called during a run with the fraction done; returning false cancels the run.
using ProgressFn = std::function<bool(float fraction)>;

struct LoadOptions {
  // false: a folder whose tokenizer cannot be read still loads, with a tokenizer that names
  // ids ("#42") and refuses to encode text, saying why (tests that feed reference ids).
  bool require_tokenizer = true;
};

// One row of the residual stream read through the model's LM head (Model::read_out).
struct ReadOut {
  std::vector<Prediction> top;      // the top-k next tokens, most likely first
  std::vector<float> target_probabilities;  // of the row's target tokens, when asked
};

class Model {
 public:
  virtual ~Model() = default;

  // Loads a Hugging Face model folder: config.json, model.safetensors (or shards with
  // model.safetensors.index.json) and the tokenizer files. The family comes from config.json's
  // model_type through the architecture table. Errors name the file and the problem; nothing
  // large is allocated before the config and the tensor shapes have been checked.
  static Result<std::shared_ptr<Model>> load(const std::filesystem::path& folder,
                                             const LoadOptions& options = {});

  virtual const ModelConfig& config() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  // Family, sizes, positions, windows, precision: what the model card shows.
  virtual ModelCard card() const = 0;
  const std::filesystem::path& folder() const { return folder_; }

  // Runs the forward pass on tokens (at most config().max_positions; the caller truncates).
  // `previous` is an earlier trace of this model; for causal runs with the same math options,
  // the keys and values of the shared token prefix are reused and only new positions are
  // computed, with results identical to a full run. Not thread-safe: one run at a time (the
  // model owns its scratch buffers).
  virtual Result<std::shared_ptr<const AttentionTrace>> run(
      std::span<const Token> tokens, const RunOptions& options,
      const AttentionTrace* previous = nullptr, const ProgressFn& progress = {}) = 0;

  // For a trace run with RunOptions::defer_predictions: the same trace (sharing its attention
  // storage) with the pending next-token predictions filled in, as a full run would have them.
  // Traces with nothing pending come back as they are. Not thread-safe, like run().
  virtual std::shared_ptr<const AttentionTrace> complete_predictions(
      const std::shared_ptr<const AttentionTrace>& trace) {
    return trace;
  }

  // Whether read_out can read next-token probabilities (a language-model head; BERT has none).
  virtual bool has_lm_head() const { return false; }

  // The LM head on rows of a residual stream (issue 14: the logit lens, the probability of the
  // token that actually follows): each row of `rows` (C floats) through the final norm (unless
  // `normed`: the rows already are final hidden states, as hidden_states[L] of a trace), the
  // unembedding (soft-capped as the model does) and a softmax over the vocabulary; the top_k
  // tokens and, when `targets` (M ids per row, row after row) is given, their probabilities.
  // The (rows, V) logits never exist whole. An error for a model without an LM head. Const and
  // independent of run(): callable from any one thread at a time.
  virtual Result<std::vector<ReadOut>> read_out(std::span<const float> rows, bool normed,
                                                int top_k,
                                                std::span<const int32_t> targets = {}) const;

 protected:
  std::filesystem::path folder_;
};

// A tokenizer that names ids ("#42") and refuses to encode text, giving `reason` (models loaded
// without their tokenizer, benchmarks).
std::unique_ptr<Tokenizer> ids_only_tokenizer(int32_t vocab, std::string reason);

// The folder of the built-in model: $ATTNVIZ_MODEL_DIR, else assets/model beside the executable
// (installed or build tree), else the source tree's assets/model.
std::filesystem::path builtin_model_folder();

}  // namespace attnviz

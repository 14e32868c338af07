#include "core/gpt2_model.h"

#include <cassert>
#include <chrono>

namespace attnviz {

Gpt2Model::Gpt2Model(ModelConfig config, WeightSet weights, std::unique_ptr<Tokenizer> tokenizer)
    : config_(std::move(config)), weights_(std::move(weights)), tokenizer_(std::move(tokenizer)) {
  assert(tokenizer_ && "Gpt2Model needs a tokenizer");
  const int c = config_.width, i = config_.inner;
  auto data = [this](const std::string& name) { return weights_.at(name).data(); };
  auto conv1d = [&](const std::string& prefix, int in, int out) {
    return DenseWeights{data(prefix + ".weight"), data(prefix + ".bias"), in, out,
                        /*out_major=*/false};
  };
  token_embedding_ = data("wte.weight");
  position_embedding_ = data("wpe.weight");
  final_gain_ = data("ln_f.weight");
  final_bias_ = data("ln_f.bias");
  for (int layer = 0; layer < config_.layers; ++layer) {
    const std::string h = "h." + std::to_string(layer);
    Block block;
    block.ln_1_gain = data(h + ".ln_1.weight");
    block.ln_1_bias = data(h + ".ln_1.bias");
    block.attention = conv1d(h + ".attn.c_attn", c, 3 * c);
    block.attention_projection = conv1d(h + ".attn.c_proj", c, c);
    block.ln_2_gain = data(h + ".ln_2.weight");
    block.ln_2_bias = data(h + ".ln_2.bias");
    block.mlp_in = conv1d(h + ".mlp.c_fc", c, i);
    block.mlp_out = conv1d(h + ".mlp.c_proj", i, c);
    blocks_.push_back(block);
  }
}

std::unique_ptr<Gpt2Model> Gpt2Model::create(ModelConfig config, WeightSet weights,
                                             std::unique_ptr<Tokenizer> tokenizer,
                                             std::filesystem::path folder) {
  std::unique_ptr<Gpt2Model> model(
      new Gpt2Model(std::move(config), std::move(weights), std::move(tokenizer)));
  model->folder_ = std::move(folder);
  return model;
}

std::unique_ptr<Gpt2Model> Gpt2Model::random(ModelConfig config, uint64_t seed,
                                             std::unique_ptr<Tokenizer> tokenizer) {
  WeightSet weights = random_weights(config, seed);
  return create(std::move(config), std::move(weights), std::move(tokenizer));
}

void Gpt2Model::embed(float* residual, std::span<const Token> tokens, const RunPlan& plan) const {
  const size_t c = static_cast<size_t>(config_.width);
  for (int position = plan.first; position < plan.tokens; ++position) {
    const float* word = token_embedding_ + static_cast<size_t>(tokens[position].id) * c;
    const float* where = position_embedding_ + static_cast<size_t>(position) * c;
    float* out = residual + static_cast<size_t>(position - plan.first) * c;
    for (size_t k = 0; k < c; ++k) out[k] = word[k] + where[k];
  }
}

void Gpt2Model::run_block(AttentionTrace& trace, int layer, const RunPlan& plan) {
  const Block& block = blocks_[layer];
  const int n = plan.rows(), c = config_.width;
  const float eps = config_.layer_norm_epsilon;
  float* x = scratch_.residual.data();  // (N, C)
  float* normed = scratch_.normed.data();
  float* qkv = layer_qkv(trace, scratch_, layer);  // (T, 3C), rows [p, T) computed here

  layer_norm(normed, x, block.ln_1_gain, block.ln_1_bias, n, c, eps);
  dense(qkv + static_cast<size_t>(plan.first) * 3 * c, normed, n, block.attention);
  attend_layer(scratch_.context.data(), trace, qkv, layer, config_, plan, scratch_);
  dense_accumulate(x, scratch_.context.data(), n, block.attention_projection);

  layer_norm(normed, x, block.ln_2_gain, block.ln_2_bias, n, c, eps);
  dense(scratch_.mlp.data(), normed, n, block.mlp_in);
  gelu_new(scratch_.mlp.data(), static_cast<size_t>(n) * config_.inner);
  dense_accumulate(x, scratch_.mlp.data(), n, block.mlp_out);
}

Result<std::shared_ptr<const AttentionTrace>> Gpt2Model::run(std::span<const Token> tokens,
                                                             const RunOptions& options,
                                                             const AttentionTrace* previous,
                                                             const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (Status valid = validate_run(config_, tokens, options); !valid.ok()) return valid.error();
  const AttentionTrace* ours = history_.produced(previous) ? previous : nullptr;
  const RunPlan plan = plan_run(config_, tokens, options, ours);
  const ThreadLimit thread_limit(plan.threads);
  std::shared_ptr<AttentionTrace> trace =
      start_trace(config_, tokens, options, plan, ours, storage_);
  scratch_.reserve(config_, plan.tokens, plan.rows(), !options.keep_qkv, options.top_predictions);

  float* x = scratch_.residual.data();  // (N, C)
  embed(x, tokens, plan);
  store_hidden_state(*trace, 0, x, config_, plan);
  for (int layer = 0; layer < config_.layers; ++layer) {
    run_block(*trace, layer, plan);
    // The last block's output is replaced by ln_f's, as Hugging Face reports hidden states.
    if (layer + 1 < config_.layers) store_hidden_state(*trace, layer + 1, x, config_, plan);
    if (progress && !progress(static_cast<float>(layer + 1) / config_.layers))
      return make_error("cancelled");
  }
  float* final_hidden = scratch_.normed.data();  // (N, C) after ln_f
  layer_norm(final_hidden, x, final_gain_, final_bias_, plan.rows(), config_.width,
             config_.layer_norm_epsilon);
  store_hidden_state(*trace, config_.layers, final_hidden, config_, plan);
  if (options.defer_predictions && !trace->predictions.empty()) {
    trace->pending_from = plan.first;
    trace->pending_hidden.assign(final_hidden,
                                 final_hidden + static_cast<size_t>(plan.rows()) * config_.width);
  } else {
    predict_next_tokens(*trace, final_hidden, token_embedding_, config_, *tokenizer_, plan,
                        scratch_);
  }

  trace->timings.forward_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  trace->mark_rows_final();
  std::shared_ptr<const AttentionTrace> published = std::move(trace);
  history_.remember(published);
  return published;
}

std::shared_ptr<const AttentionTrace> Gpt2Model::complete_predictions(
    const std::shared_ptr<const AttentionTrace>& pending) {
  if (!pending || !pending->predictions_pending()) return pending;
  const auto start = std::chrono::steady_clock::now();
  auto trace = std::make_shared<AttentionTrace>(*pending);  // shares the attention storage
  RunPlan plan;
  plan.tokens = trace->tokens_count();
  plan.first = trace->pending_from;
  plan.causal = trace->causal();
  const ThreadLimit thread_limit(threads_for_work(
      config_, static_cast<double>(plan.rows()) * config_.vocab_size * config_.width));
  scratch_.reserve(config_, plan.tokens, plan.rows(), !trace->has_qkv(),
                   trace->options.top_predictions);
  predict_next_tokens(*trace, trace->pending_hidden.data(), token_embedding_, config_, *tokenizer_,
                      plan, scratch_);
  trace->pending_from = -1;
  trace->pending_hidden = {};
  trace->timings.predictions_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::shared_ptr<const AttentionTrace> completed = std::move(trace);
  history_.remember(completed);
  return completed;
}

}  // namespace attnviz

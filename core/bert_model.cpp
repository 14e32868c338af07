#include "core/bert_model.h"

#include <cassert>
#include <chrono>

namespace attnviz {
namespace {

// Stacks query, key and value (each (C, C) out-major, bias (C)) into one (3C, C) layer whose
// output is [Q | K | V], the layout the attention and the trace use; drops the originals.
void fuse_qkv(WeightSet& weights, const std::string& prefix) {
  std::vector<float> weight, bias;
  for (const char* part : {".query", ".key", ".value"}) {
    const std::vector<float>& w = weights.at(prefix + part + ".weight");
    const std::vector<float>& b = weights.at(prefix + part + ".bias");
    weight.insert(weight.end(), w.begin(), w.end());
    bias.insert(bias.end(), b.begin(), b.end());
    weights.erase(prefix + part + ".weight");
    weights.erase(prefix + part + ".bias");
  }
  weights.insert(prefix + ".qkv.weight", std::move(weight));
  weights.insert(prefix + ".qkv.bias", std::move(bias));
}

}  // namespace

BertModel::BertModel(ModelConfig config, WeightSet weights, std::unique_ptr<Tokenizer> tokenizer)
    : config_(std::move(config)), weights_(std::move(weights)), tokenizer_(std::move(tokenizer)) {
  assert(tokenizer_ && "BertModel needs a tokenizer");
  const int c = config_.width, i = config_.inner;
  auto data = [this](const std::string& name) { return weights_.at(name).data(); };
  auto linear = [&](const std::string& prefix, int in, int out) {
    return DenseWeights{data(prefix + ".weight"), data(prefix + ".bias"), in, out,
                        /*out_major=*/true};
  };
  word_embedding_ = data("embeddings.word_embeddings.weight");
  position_embedding_ = data("embeddings.position_embeddings.weight");
  token_type_embedding_ = data("embeddings.token_type_embeddings.weight");
  embedding_norm_gain_ = data("embeddings.LayerNorm.weight");
  embedding_norm_bias_ = data("embeddings.LayerNorm.bias");
  for (int layer = 0; layer < config_.layers; ++layer) {
    const std::string e = "encoder.layer." + std::to_string(layer);
    fuse_qkv(weights_, e + ".attention.self");
    Block block;
    block.attention = linear(e + ".attention.self.qkv", c, 3 * c);
    block.attention_output = linear(e + ".attention.output.dense", c, c);
    block.attention_norm_gain = data(e + ".attention.output.LayerNorm.weight");
    block.attention_norm_bias = data(e + ".attention.output.LayerNorm.bias");
    block.intermediate = linear(e + ".intermediate.dense", c, i);
    block.output = linear(e + ".output.dense", i, c);
    block.output_norm_gain = data(e + ".output.LayerNorm.weight");
    block.output_norm_bias = data(e + ".output.LayerNorm.bias");
    blocks_.push_back(block);
  }
}

std::unique_ptr<BertModel> BertModel::create(ModelConfig config, WeightSet weights,
                                             std::unique_ptr<Tokenizer> tokenizer,
                                             std::filesystem::path folder) {
  std::unique_ptr<BertModel> model(
      new BertModel(std::move(config), std::move(weights), std::move(tokenizer)));
  model->folder_ = std::move(folder);
  return model;
}

void BertModel::embed(float* residual, std::span<const Token> tokens, const RunPlan& plan) const {
  const size_t c = static_cast<size_t>(config_.width);
  for (int position = plan.first; position < plan.tokens; ++position) {
    const float* word = word_embedding_ + static_cast<size_t>(tokens[position].id) * c;
    const float* where = position_embedding_ + static_cast<size_t>(position) * c;
    float* out = residual + static_cast<size_t>(position - plan.first) * c;
    for (size_t k = 0; k < c; ++k) out[k] = word[k] + token_type_embedding_[k] + where[k];
  }
  layer_norm(residual, residual, embedding_norm_gain_, embedding_norm_bias_, plan.rows(),
             config_.width, config_.layer_norm_epsilon);
}

void BertModel::run_block(AttentionTrace& trace, int layer, const RunPlan& plan) {
  const Block& block = blocks_[layer];
  const int n = plan.rows(), c = config_.width;
  const size_t n_c = static_cast<size_t>(n) * c;
  const float eps = config_.layer_norm_epsilon;
  float* x = scratch_.residual.data();             // (N, C)
  float* branch = scratch_.normed.data();          // (N, C) a sublayer's output before the residual
  float* qkv = layer_qkv(trace, scratch_, layer);  // (T, 3C)

  dense(qkv + static_cast<size_t>(plan.first) * 3 * c, x, n, block.attention);
  attend_layer(scratch_.context.data(), trace, qkv, layer, config_, plan, scratch_);
  dense(branch, scratch_.context.data(), n, block.attention_output);
  add_in_place(branch, x, n_c);
  layer_norm(x, branch, block.attention_norm_gain, block.attention_norm_bias, n, c, eps);

  dense(scratch_.mlp.data(), x, n, block.intermediate);
  gelu_exact(scratch_.mlp.data(), static_cast<size_t>(n) * config_.inner);
  dense(branch, scratch_.mlp.data(), n, block.output);
  add_in_place(branch, x, n_c);
  layer_norm(x, branch, block.output_norm_gain, block.output_norm_bias, n, c, eps);
}

Result<std::shared_ptr<const AttentionTrace>> BertModel::run(std::span<const Token> tokens,
                                                             const RunOptions& options,
                                                             const AttentionTrace* previous,
                                                             const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (Status valid = validate_run(config_, tokens, options); !valid.ok()) return valid.error();
  // Only a causal what-if run can reuse a prefix; the planner checks that.
  const AttentionTrace* ours = history_.produced(previous) ? previous : nullptr;
  const RunPlan plan = plan_run(config_, tokens, options, ours);
  const ThreadLimit thread_limit(plan.threads);
  std::shared_ptr<AttentionTrace> trace =
      start_trace(config_, tokens, options, plan, ours, storage_);
  scratch_.reserve(config_, plan.tokens, plan.rows(), !options.keep_qkv, 0);

  float* x = scratch_.residual.data();  // (N, C)
  embed(x, tokens, plan);
  store_hidden_state(*trace, 0, x, config_, plan);
  for (int layer = 0; layer < config_.layers; ++layer) {
    run_block(*trace, layer, plan);
    store_hidden_state(*trace, layer + 1, x, config_, plan);
    if (progress && !progress(static_cast<float>(layer + 1) / config_.layers))
      return make_error("cancelled");
  }

  trace->timings.forward_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  trace->mark_rows_final();
  std::shared_ptr<const AttentionTrace> published = std::move(trace);
  history_.remember(published);
  return published;
}

}  // namespace attnviz

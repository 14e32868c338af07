#include "core/transformer_model.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "core/ops.h"

namespace attnviz {
namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

const char* type_name(WeightType type) {
  switch (type) {
    case WeightType::kF32:
      return "F32";
    case WeightType::kF16:
      return "F16";
    case WeightType::kBF16:
      return "BF16";
  }
  return "F32";
}

}  // namespace

TransformerModel::TransformerModel(ModelConfig config, ModelWeights weights,
                                   std::unique_ptr<Tokenizer> tokenizer)
    : config_(std::move(config)),
      row_(architecture_row(config_.architecture)),
      weights_(std::move(weights)),
      tokenizer_(std::move(tokenizer)) {
  assert(tokenizer_ && "TransformerModel needs a tokenizer");
  assert(static_cast<int>(weights_.layers.size()) == config_.layers && "weights of another config");
}

std::unique_ptr<TransformerModel> TransformerModel::create(ModelConfig config, ModelWeights weights,
                                                           std::unique_ptr<Tokenizer> tokenizer,
                                                           std::filesystem::path folder) {
  std::unique_ptr<TransformerModel> model(
      new TransformerModel(std::move(config), std::move(weights), std::move(tokenizer)));
  model->folder_ = std::move(folder);
  return model;
}

std::unique_ptr<TransformerModel> TransformerModel::random(ModelConfig config, uint64_t seed,
                                                           std::unique_ptr<Tokenizer> tokenizer,
                                                           WeightType type) {
  ModelWeights weights = bind_weights(random_weights(config, seed, type), config);
  return create(std::move(config), std::move(weights), std::move(tokenizer));
}

ModelCard TransformerModel::card() const {
  return model_card(config_, weights_.parameters, type_name(weights_.stored_type));
}

std::vector<float> TransformerModel::next_token_logits(std::span<const float> final_hidden) const {
  if (!weights_.lm_head || final_hidden.size() != static_cast<size_t>(config_.width)) return {};
  const WeightTensor& head = *weights_.lm_head;
  std::vector<float> logits(config_.vocab_size);
  dense(logits.data(), final_hidden.data(), 1,
        DenseWeights{head.data(), nullptr, config_.width, config_.vocab_size, true, head.type});
  if (config_.final_softcap > 0.0f)
    softcap_in_place(logits.data(), logits.size(), config_.final_softcap);
  return logits;
}

bool TransformerModel::produced(const AttentionTrace* trace) const {
  if (!trace) return false;
  for (const auto& weak : history_) {
    auto live = weak.lock();
    if (live && live.get() == trace) return true;
  }
  return false;
}

void TransformerModel::remember(const std::shared_ptr<const AttentionTrace>& trace) {
  std::erase_if(history_, [](const auto& weak) { return weak.expired(); });
  std::erase_if(pending_, [](const PendingPredictions& p) { return p.trace.expired(); });
  history_.push_back(trace);
}

RunPlan TransformerModel::plan_run(std::span<const Token> tokens, const RunOptions& options,
                                   const AttentionTrace* previous) const {
  RunPlan plan;
  plan.tokens = static_cast<int>(tokens.size());
  plan.causal = options.causal_mask.value_or(config_.causal());
  plan.rules = score_rules(config_, options, plan.causal);
  plan.rope_variant = rope_variant(config_, plan.tokens);
  plan.ablations = options.ablations;
  if (previous &&
      (previous->layers() != config_.layers || previous->heads() != config_.heads ||
       previous->kv_heads() != config_.kv_heads || previous->head_dim() != config_.head_width))
    previous = nullptr;
  const bool same_rope =
      previous && rope_variant(config_, previous->tokens_count()) == plan.rope_variant;
  // Weights stored, or recomputed on demand from q, k and the lse (which then must be kept).
  const TraceShape shape{config_.layers, config_.heads, config_.kv_heads, config_.head_width,
                         plan.causal};
  switch (options.weights) {
    case RunOptions::Weights::kStored: plan.stores_weights = true; break;
    case RunOptions::Weights::kOnDemand: plan.stores_weights = false; break;
    case RunOptions::Weights::kAuto:
      plan.stores_weights = AttentionTrace::weight_buffer_floats(shape, plan.tokens) *
                                sizeof(float) <= kStoredWeightsBudget;
      break;
  }
  plan.keeps_qkv = options.keep_qkv || !plan.stores_weights;
  RunOptions effective = options;
  effective.keep_qkv = plan.keeps_qkv;
  plan.first = reusable_prefix(tokens, effective, plan.causal, previous, same_rope);
  // q/k before RoPE, for the inspector: not for weights on demand (a long text), nor when the
  // reused prefix comes from a run that did not keep them (typing that shortens a long text).
  plan.keeps_pre_rope = config_.rotary && options.keep_qkv && plan.stores_weights &&
                        (plan.first == 0 || previous->has_pre_rope());
  // Multiply-adds: projections and MLP per row and layer, attention per row, the LM head.
  const double c = config_.width, q = config_.query_width(), kv = config_.kv_width();
  const double mlp = (row_.mlp == MlpKind::kGated ? 3.0 : 2.0) * c * config_.inner;
  const double per_row_layer = c * (q + 2 * kv) + q * c + mlp + 2.0 * plan.tokens * q;
  const double lm_head = row_.lm_head ? static_cast<double>(config_.vocab_size) * c : 0.0;
  const double work = plan.rows() * (config_.layers * per_row_layer + lm_head);
  plan.threads = threads_for_work(static_cast<double>(weights_.stored_bytes), work, plan.rows());
  return plan;
}

std::shared_ptr<AttentionTrace> TransformerModel::start_trace(std::span<const Token> tokens,
                                                              const RunOptions& options,
                                                              const RunPlan& plan,
                                                              const AttentionTrace* previous,
                                                              RunStorage& run) {
  TraceShape shape{config_.layers, config_.heads, config_.kv_heads, config_.head_width,
                   plan.causal};
  shape.stores_weights = plan.stores_weights;
  // q/k before RoPE serve the inspector only: not kept when only the recomputation asked for q/k,
  // nor when the weights are recomputed on demand (a long text: at T = 8192 they would add
  // 755 MB to SmolLM2-135M's 944 MB of q/k/v; the inspector then says they were not kept).
  run = take_run_storage(storage_, tokens, shape, options, plan.keeps_qkv,
                         plan.keeps_pre_rope, plan.rope_variant, plan.first);
  auto trace = std::make_shared<AttentionTrace>(std::vector<Token>(tokens.begin(), tokens.end()),
                                                shape, run.storage);
  trace->model_name = config_.name;
  trace->options = options;
  trace->set_rules(plan.rules);
  std::vector<int> rotary(config_.layers, 0);
  if (config_.rotary)
    for (int layer = 0; layer < config_.layers; ++layer)
      rotary[layer] = config_.rope_of(layer).rotary_dims;
  trace->set_rotary_dims(std::move(rotary));
  const size_t t = static_cast<size_t>(plan.tokens), c = static_cast<size_t>(config_.width);
  if (options.keep_hidden_states) trace->hidden_states.assign((config_.layers + 1) * t * c, 0.0f);
  const size_t heads = static_cast<size_t>(config_.layers) * config_.heads;
  trace->value_norms.assign(heads * t, 0.0f);
  const bool predicts = row_.lm_head && options.top_predictions > 0;
  if (predicts) trace->predictions.resize(t);
  trace->timings.reused_positions = plan.first;
  if (plan.first == 0) return trace;

  assert(previous && "a reused prefix needs the previous trace");
  const size_t p = static_cast<size_t>(plan.first);
  const size_t previous_t = static_cast<size_t>(previous->tokens_count());
  trace->timings.copied_positions = plan.first - run.kept_rows;  // kept <= plan.first
  copy_prefix(*trace, *previous, run.kept_rows, plan.first);
  if (options.keep_hidden_states) {
    for (int index = 0; index <= config_.layers; ++index)
      std::copy_n(previous->hidden_states.begin() + index * previous_t * c, p * c,
                  trace->hidden_states.begin() + index * t * c);
  }
  if (predicts) std::copy_n(previous->predictions.begin(), p, trace->predictions.begin());
  if (previous->has_value_norms())
    for (size_t lh = 0; lh < heads; ++lh)
      std::copy_n(previous->value_norms.begin() + lh * previous_t, p,
                  trace->value_norms.begin() + lh * t);
  return trace;
}

void TransformerModel::store_hidden_state(AttentionTrace& trace, int index, const float* rows,
                                          const RunPlan& plan) const {
  if (trace.hidden_states.empty()) return;
  const size_t c = static_cast<size_t>(config_.width);
  std::copy_n(
      rows, static_cast<size_t>(plan.rows()) * c,
      trace.hidden_states.begin() + (static_cast<size_t>(index) * plan.tokens + plan.first) * c);
}

Result<std::shared_ptr<const AttentionTrace>> TransformerModel::run(std::span<const Token> tokens,
                                                                    const RunOptions& options,
                                                                    const AttentionTrace* previous,
                                                                    const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (Status valid = validate_run(config_, tokens, options); !valid.ok()) return valid.error();
  const AttentionTrace* ours = produced(previous) ? previous : nullptr;
  const RunPlan plan = plan_run(tokens, options, ours);
  const ThreadLimit thread_limit(plan.threads);
  if (config_.rotary) {
    build_rope_table(rope_.global,
                     rope_frequencies(config_.rope, config_.max_positions, plan.tokens),
                     plan.tokens);
    if (config_.rope_local)
      build_rope_table(rope_.local,
                       rope_frequencies(*config_.rope_local, config_.max_positions, plan.tokens),
                       plan.tokens);
  }
  RunStorage storage;
  std::shared_ptr<AttentionTrace> trace = start_trace(tokens, options, plan, ours, storage);
  scratch_.reserve(config_, plan.tokens, plan.rows(), !plan.keeps_qkv);

  ForwardPass pass(config_, weights_, plan, *trace, scratch_, rope_, tokens);
  row_.recipe->embed(pass);
  store_hidden_state(*trace, 0, pass.residual(), plan);
  // transformers reports the last layer's output after the final norm, when there is one.
  const bool final_norm = weights_.final_norm.present();
  for (int layer = 0; layer < config_.layers; ++layer) {
    row_.recipe->layer(pass, layer);
    if (!final_norm || layer + 1 < config_.layers)
      store_hidden_state(*trace, layer + 1, pass.residual(), plan);
    if (progress && !progress(static_cast<float>(layer + 1) / config_.layers))
      return make_error("cancelled");
  }
  const float* final_hidden = pass.residual();  // (N, C)
  if (final_norm) {
    // The layers are done with `normed`: the final norm's output reuses it.
    pass.norm(scratch_.normed.data(), pass.residual(), weights_.final_norm);
    final_hidden = scratch_.normed.data();
    store_hidden_state(*trace, config_.layers, final_hidden, plan);
  }
  std::vector<float> deferred;
  if (!trace->predictions.empty()) {
    if (options.defer_predictions) {
      trace->pending_from = plan.first;
      deferred.assign(final_hidden,
                      final_hidden + static_cast<size_t>(plan.rows()) * config_.width);
    } else {
      predict_next_tokens(trace->predictions, plan.first, final_hidden, plan.rows(),
                          *weights_.lm_head, config_, *tokenizer_, options.top_predictions);
    }
  }

  trace->timings.forward_ms = milliseconds_since(start);
  mark_rows_final(storage_, *trace, storage.storage);
  std::shared_ptr<const AttentionTrace> published = std::move(trace);
  remember(published);
  if (published->predictions_pending())
    pending_.push_back({published, published.get(), std::move(deferred)});
  return published;
}

std::shared_ptr<const AttentionTrace> TransformerModel::complete_predictions(
    const std::shared_ptr<const AttentionTrace>& pending) {
  if (!pending || !pending->predictions_pending()) return pending;
  auto entry = std::find_if(pending_.begin(), pending_.end(), [&](const PendingPredictions& p) {
    return p.address == pending.get() && p.trace.lock() == pending;
  });
  if (entry == pending_.end()) return pending;  // not this model's
  const auto start = std::chrono::steady_clock::now();
  auto trace = std::make_shared<AttentionTrace>(*pending);  // shares the attention storage
  const int first = trace->pending_from, rows = trace->tokens_count() - first;
  const ThreadLimit thread_limit(
      threads_for_work(static_cast<double>(weights_.stored_bytes),
                       static_cast<double>(rows) * config_.vocab_size * config_.width, rows));
  predict_next_tokens(trace->predictions, first, entry->final_hidden.data(), rows,
                      *weights_.lm_head, config_, *tokenizer_, trace->options.top_predictions);
  trace->pending_from = -1;
  trace->timings.predictions_ms = milliseconds_since(start);
  pending_.erase(entry);
  std::shared_ptr<const AttentionTrace> completed = std::move(trace);
  remember(completed);
  return completed;
}

Result<std::vector<ReadOut>> TransformerModel::read_out(std::span<const float> rows,
                                                        bool normed, int top_k,
                                                        std::span<const int32_t> targets) const {
  if (!row_.lm_head || !weights_.lm_head)
    return make_error("the model " + config_.name + " (" + row_.display_name +
                      ") has no LM head: there are no next-token probabilities to read");
  const size_t c = static_cast<size_t>(config_.width);
  if (rows.size() % c != 0)
    return make_error("read_out: " + std::to_string(rows.size()) + " floats are not rows of " +
                      std::to_string(c));
  const int n = static_cast<int>(rows.size() / c);
  if (n > 0 && targets.size() % n != 0)
    return make_error("read_out: " + std::to_string(targets.size()) + " targets for " +
                      std::to_string(n) + " rows");
  const size_t per_row = n > 0 ? targets.size() / n : 0;
  for (const int32_t id : targets)
    if (id < 0 || id >= config_.vocab_size)
      return make_error("read_out: target id " + std::to_string(id) + " is outside the vocabulary");
  if (top_k < 0) return make_error("read_out: top_k must be >= 0");
  std::vector<float> normed_rows;
  const float* input = rows.data();
  if (!normed && weights_.final_norm.present()) {
    normed_rows.resize(rows.size());
    norm_rows(normed_rows.data(), rows.data(), n, row_.norm, weights_.final_norm, config_);
    input = normed_rows.data();
  }
  std::vector<std::vector<Prediction>> tops(n);
  std::vector<float> probabilities(targets.size());
  predict_next_tokens(tops, 0, input, n, *weights_.lm_head, config_, *tokenizer_, top_k, targets,
                      probabilities.data());
  std::vector<ReadOut> out(n);
  for (int r = 0; r < n; ++r) {
    out[r].top = std::move(tops[r]);
    out[r].target_probabilities.assign(probabilities.begin() + r * per_row,
                                       probabilities.begin() + (r + 1) * per_row);
  }
  return out;
}

}  // namespace attnviz

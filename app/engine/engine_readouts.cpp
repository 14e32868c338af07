// The engine's read-outs through the LM head (see engine.h): the logit lens of the Logit lens
// tab, and while heads are ablated, the model's own run of the text (the baseline) and the
// before -> after of the Predictions tab's position.
#include <algorithm>
#include <chrono>

#include "app/engine/engine_internal.h"

namespace attnviz {

void Engine::set_lens(std::optional<LensRequest> request) {
  {
    std::lock_guard lock(mutex_);
    if (requests_->lens == request) return;
    requests_->lens = request;
  }
  wake_.notify_all();
}

void Engine::set_changes(std::optional<int> position) {
  {
    std::lock_guard lock(mutex_);
    if (requests_->changes == position) return;
    requests_->changes = position;
  }
  wake_.notify_all();
}

void Engine::rank_heads(const ImportanceRequest& request) {
  {
    std::lock_guard lock(mutex_);
    requests_->importance = request;
    importance_cancel_ = false;
  }
  wake_.notify_all();
}

namespace {

bool same_tokens(const AttentionTrace& a, const AttentionTrace& b) {
  return a.tokens_count() == b.tokens_count() &&
         std::equal(a.tokens().begin(), a.tokens().end(), b.tokens().begin(),
                    [](const Token& x, const Token& y) { return x.id == y.id; });
}

// The ablated trace's own what-ifs without its ablations: what its baseline runs with.
RunOptions without_ablations(const RunOptions& options) {
  RunOptions plain = options;
  plain.ablations.clear();
  return plain;
}

}  // namespace

bool Engine::baseline_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  if (!raw || published_->imported || raw.trace->options.ablations.empty() ||
      raw.trace != worker_->last_trace || !worker_->model)
    return false;
  const RunOptions plain = without_ablations(raw.trace->options);
  const auto fits = [&](const std::shared_ptr<const AttentionTrace>& b) {
    return b && same_tokens(*b, *raw.trace) && b->options.same_math(plain) &&
           b->hidden_states.empty() == raw.trace->hidden_states.empty();
  };
  if (fits(published_->baseline.trace) || worker_->baseline_failed == raw.attention_id)
    return false;
  std::shared_ptr<const AttentionTrace> baseline = worker_->baseline;
  if (!fits(baseline)) {
    std::shared_ptr<Model> model = worker_->model;
    RunOptions options = plain;
    options.keep_hidden_states = !raw.trace->hidden_states.empty();
    options.keep_qkv = false;
    const uint64_t generation = run_generation_.load();
    lock.unlock();
    auto run = model->run(raw.trace->tokens(), options, nullptr, [this, generation](float) {
      return run_generation_.load() == generation && !load_waiting_ && !stopping_;
    });
    lock.lock();
    if (!run) {
      // Cancelled by a newer request: tried again after it. Failed: not again for this trace.
      if (run_generation_.load() == generation && !load_waiting_ && !stopping_)
        worker_->baseline_failed = raw.attention_id;
      return true;
    }
    baseline = std::move(run).value();
    worker_->baseline = baseline;
  }
  publish([&, id = next_id()](EngineState& s) { s.baseline = {id, id, baseline}; });
  return true;
}

bool Engine::changes_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  const TraceRef baseline = published_->baseline;
  if (!requests_->changes || !raw || !baseline || raw.trace->options.ablations.empty() ||
      !same_tokens(*baseline.trace, *raw.trace) || raw.trace != worker_->last_trace ||
      !worker_->model)
    return false;
  const int position = std::clamp(*requests_->changes, 0, raw.trace->tokens_count() - 1);
  if (published_->changes_for(position)) return false;
  auto result = std::make_shared<ChangesResult>();
  result->attention_id = raw.attention_id;
  result->position = position;
  if (!worker_->model->has_lm_head()) {
    result->note = "this model has no language-model head";
  } else if (raw.trace->hidden_states.empty()) {
    result->note = "the text is too long to keep its residual stream, which before -> after reads";
  } else {
    std::shared_ptr<Model> model = worker_->model;
    lock.unlock();
    auto changes = prediction_changes(*model, *baseline.trace, *raw.trace, position, position, 10);
    lock.lock();
    if (changes) result->changes = std::move(changes->front());
    if (!changes) result->note = changes.error().message;
  }
  publish([&](EngineState& s) { s.changes = std::move(result); });
  return true;
}

bool Engine::importance_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  if (!requests_->importance || !raw || published_->running) return false;
  const ImportanceRequest request = *requests_->importance;
  requests_->importance.reset();
  auto result = std::make_shared<ImportanceResult>();
  result->attention_id = raw.attention_id;
  result->request = request;
  if (published_->imported || raw.trace != worker_->last_trace || !worker_->model) {
    result->note = "it runs the model: imported attention has none";
  } else {
    std::shared_ptr<Model> model = worker_->model;
    const std::vector<Token> tokens = raw.trace->tokens();
    const uint64_t generation = run_generation_.load();
    importance_done_ = 0;
    importance_total_ = model->config().layers * model->config().heads;
    lock.unlock();
    if (wake_ui_) wake_ui_();
    const auto start = std::chrono::steady_clock::now();
    auto heads = head_importance(
        *model, tokens, request.position, request.target, request.kind,
        [this, generation](int done, int) {
          importance_done_ = done;
          if (wake_ui_) wake_ui_();  // the progress bar moves
          return !importance_cancel_ && run_generation_.load() == generation && !load_waiting_ &&
                 !stopping_;
        });
    result->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    importance_total_ = 0;
    if (heads) result->heads = std::move(heads).value();
    if (!heads) result->note = heads.error().message;
  }
  publish([&](EngineState& s) { s.importance = std::move(result); });
  return true;
}

bool Engine::lens_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  if (!requests_->lens || !raw) return false;
  const LensRequest request = *requests_->lens;
  if (published_->lens_for(request)) return false;
  auto result = std::make_shared<LensResult>();
  result->attention_id = raw.attention_id;
  result->request = request;
  if (published_->imported) {
    result->note = "imported attention has no model to read its residual stream through";
  } else if (raw.trace != worker_->last_trace || !worker_->model) {
    return false;  // a new model's run is coming
  } else if (!worker_->model->has_lm_head()) {
    result->note = "this model has no language-model head (" + raw.trace->model_name +
                   "): there is no next token to read the residual stream as";
  } else {
    std::shared_ptr<Model> model = worker_->model;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    const auto [first, last] = lens_window(raw.trace->tokens_count(), request.position, request.width);
    auto lens = logit_lens(*model, *raw.trace, first, last, request.top_k);
    result->ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count();
    lock.lock();
    if (lens) result->lens = std::move(lens).value();
    if (!lens) result->note = lens.error().message;
  }
  publish([&](EngineState& s) { s.lens = std::move(result); });
  return true;
}

}  // namespace attnviz

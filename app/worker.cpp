#include "app/worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "core/analysis/head_roles.h"

namespace attnviz {

ComputeWorker::ComputeWorker(std::function<void()> wake_ui)
    : wake_ui_(std::move(wake_ui)), thread_([this] { loop(); }) {}

ComputeWorker::~ComputeWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    stopping_ = true;
  }
  wake_worker_.notify_all();
  thread_.join();
}

void ComputeWorker::load_model(const std::filesystem::path& folder) {
  {
    std::lock_guard lock(mutex_);
    pending_load_ = folder;
    load_waiting_ = true;
  }
  wake_worker_.notify_all();
}

void ComputeWorker::run_text(const std::string& text, const RunOptions& options) {
  {
    std::lock_guard lock(mutex_);
    latest_run_ = RunRequest{text, options};
    run_pending_ = true;
    ++run_generation_;
  }
  wake_worker_.notify_all();
}

void ComputeWorker::run_induction_probe(int repeat_length) {
  {
    std::lock_guard lock(mutex_);
    pending_probe_ = repeat_length;
  }
  wake_worker_.notify_all();
}

WorkerSnapshot ComputeWorker::snapshot() const {
  std::lock_guard lock(mutex_);
  WorkerSnapshot copy = published_;
  copy.progress = progress_.load();
  return copy;
}

void ComputeWorker::loop() {
  // Below the UI thread: a long run or role table must not slow the frames drawn meanwhile.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_worker_.wait(lock, [this] {
      return stop_ || pending_load_ || (model_ && (run_pending_ || pending_probe_));
    });
    if (stop_) return;
    if (pending_load_) {
      const std::filesystem::path folder = *pending_load_;
      pending_load_.reset();
      load_waiting_ = false;
      do_load(folder, lock);
    } else if (run_pending_) {
      run_pending_ = false;
      do_run(run_generation_.load(), lock);
    } else {
      const int repeat_length = *pending_probe_;
      pending_probe_.reset();
      do_probe(repeat_length, lock);
    }
    if (wake_ui_) wake_ui_();
  }
}

void ComputeWorker::do_load(const std::filesystem::path& folder,
                            std::unique_lock<std::mutex>& lock) {
  published_.loading_folder = folder;
  lock.unlock();
  if (wake_ui_) wake_ui_();
  auto loaded = Model::load(folder);
  lock.lock();
  published_.loading_folder.clear();
  if (!loaded) {
    published_.model_error = loaded.error().message;
    ++published_.model_error_generation;
    return;
  }
  model_ = std::move(loaded.value());
  last_trace_.reset();
  published_.model = model_;
  published_.model_error.clear();
  ++published_.model_generation;
  // The text on screen belongs to the new model now.
  if (latest_run_) run_pending_ = true;
}

void ComputeWorker::do_run(uint64_t generation, std::unique_lock<std::mutex>& lock) {
  const RunRequest request = *latest_run_;
  std::shared_ptr<Model> model = model_;
  std::shared_ptr<const AttentionTrace> previous = last_trace_;
  published_.running = true;
  published_.run_started = std::chrono::steady_clock::now();
  progress_ = 0.0f;
  lock.unlock();

  auto tokens = model->tokenizer().encode(request.text);
  int truncated_from = 0;
  Result<std::shared_ptr<const AttentionTrace>> result = make_error("");
  if (!tokens) {
    result = tokens.error();
  } else {
    std::vector<Token>& list = tokens.value();
    const int max_positions = model->config().max_positions;
    if (max_positions > 0 && static_cast<int>(list.size()) > max_positions) {
      truncated_from = static_cast<int>(list.size());
      list.resize(max_positions);
    }
    // A stale run stops early: a newer request, a model load, or shutdown is waiting.
    ProgressFn progress = [this, generation](float fraction) {
      progress_ = fraction;
      return run_generation_.load() == generation && !load_waiting_ && !stopping_;
    };
    if (list.empty()) {
      const ModelConfig& config = model->config();
      auto empty = std::make_shared<AttentionTrace>(std::vector<Token>{}, config.layers,
                                                    config.heads, config.causal());
      empty->model_name = config.name;
      empty->options = request.options;
      result = std::shared_ptr<const AttentionTrace>(std::move(empty));
    } else {
      // The attention goes on screen first; the predictions follow (see publish_predictions).
      RunOptions options = request.options;
      options.defer_predictions = true;
      result = model->run(list, options, previous.get(), progress);
    }
  }

  lock.lock();
  published_.running = false;
  if (run_generation_.load() != generation) return;  // stale: a newer request is queued
  if (!result && load_waiting_) {
    run_pending_ = true;  // cancelled for a model load; if the load fails, run again
    return;
  }
  if (!result) {
    published_.run_error = result.error().message;
    return;
  }
  last_trace_ = result.value();
  published_.trace = last_trace_;
  published_.run_error.clear();
  published_.truncated_from = truncated_from;
  ++published_.trace_generation;
  publish_predictions(*model, lock);
  publish_roles(last_trace_, lock);
}

void ComputeWorker::publish_predictions(Model& model, std::unique_lock<std::mutex>& lock) {
  if (!last_trace_->predictions_pending()) return;
  // Not cancelled by newer requests: a few milliseconds, and the next run reuses this trace's
  // prefix only once its predictions are complete.
  std::shared_ptr<const AttentionTrace> pending = last_trace_;
  lock.unlock();
  if (wake_ui_) wake_ui_();
  std::shared_ptr<const AttentionTrace> completed = model.complete_predictions(pending);
  lock.lock();
  last_trace_ = completed;
  if (published_.trace != pending) return;  // a model load replaced it meanwhile
  published_.trace = completed;
  ++published_.trace_generation;
}

void ComputeWorker::publish_roles(std::shared_ptr<const AttentionTrace> trace,
                                  std::unique_lock<std::mutex>& lock) {
  // The trace is on screen first; its roles follow (the UI shows "computing" meanwhile).
  lock.unlock();
  if (wake_ui_) wake_ui_();
  auto roles = std::make_shared<const HeadRoleTable>(compute_head_roles(*trace));
  lock.lock();
  if (published_.trace != trace) return;  // a newer trace replaced it meanwhile
  published_.roles = std::move(roles);
  published_.roles_trace = std::move(trace);
}

void ComputeWorker::do_probe(int repeat_length, std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<Model> model = model_;
  lock.unlock();
  const ModelConfig& config = model->config();
  // The sequence starts the way the model's texts start: <|endoftext|> for GPT-2 (the last id
  // of its vocabulary), [CLS] for BERT (what encoding an empty text begins with).
  int32_t first_id = config.vocab_size - 1;
  if (config.architecture == Architecture::kBert) {
    auto empty = model->tokenizer().encode("");
    if (empty && !empty->empty()) first_id = empty->front().id;
  }
  const int length = std::min(repeat_length, (config.max_positions - 1) / 2);
  std::vector<Token> tokens;
  size_t offset = 0;
  for (int32_t id : make_induction_probe(config.vocab_size, length, /*seed=*/20261130, first_id)) {
    Token token{id, model->tokenizer().token_text(id), offset, offset, false};
    offset += token.text.size();
    token.end = offset;
    tokens.push_back(std::move(token));
  }
  auto result = model->run(tokens, RunOptions{}, nullptr,
                           [this](float) { return !load_waiting_ && !stopping_; });
  lock.lock();
  if (!result || model != model_) return;
  published_.probe_trace = result.value();
  published_.probe_repeat_length = length;
  ++published_.probe_generation;
}

}  // namespace attnviz

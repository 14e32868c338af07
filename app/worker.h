// ComputeWorker: the one thread that loads models and runs them, so the UI never waits on
// compute. The UI posts the latest request (a newer one replaces an older one that has not
// started, and cancels one that has, through Model::run's progress callback); the worker
// publishes the newest finished trace, which the UI picks up with snapshot() each frame.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/analysis/head_roles.h"
#include "core/attention_trace.h"
#include "core/model.h"

namespace attnviz {

// What the worker has published, copied out under its lock (shared pointers, cheap).
struct WorkerSnapshot {
  // The loaded model. The UI reads config() and folder() only; run() belongs to the worker.
  std::shared_ptr<const Model> model;
  uint64_t model_generation = 0;  // +1 per successful load
  std::string model_error;        // last failed load (the previous model stays)
  uint64_t model_error_generation = 0;
  std::filesystem::path loading_folder;  // non-empty while a load runs

  std::shared_ptr<const AttentionTrace> trace;  // newest finished trace
  uint64_t trace_generation = 0;                // +1 per published trace
  std::string run_error;                        // last failed run of the newest request
  int truncated_from = 0;                       // > 0: the text had this many tokens, cut to P
  // Every head's role scores (O(L·H·T²), computed here so the UI never does), published just
  // after the trace they describe: `roles_trace` says which one (null until they are ready).
  std::shared_ptr<const HeadRoleTable> roles;
  std::shared_ptr<const AttentionTrace> roles_trace;

  // The induction probe (first token + R random tokens repeated twice), run on request.
  std::shared_ptr<const AttentionTrace> probe_trace;
  int probe_repeat_length = 0;
  uint64_t probe_generation = 0;

  bool running = false;   // a run is in progress
  float progress = 0.0f;  // of the run in progress, 0..1
  std::chrono::steady_clock::time_point run_started;
};

class ComputeWorker {
 public:
  // wake_ui is called from the worker thread after every publish (glfwPostEmptyEvent), so an
  // idle UI wakes up to draw the new result.
  explicit ComputeWorker(std::function<void()> wake_ui);
  ~ComputeWorker();
  ComputeWorker(const ComputeWorker&) = delete;
  ComputeWorker& operator=(const ComputeWorker&) = delete;

  // Loads a model folder; on success the current text is run again with it.
  void load_model(const std::filesystem::path& folder);
  // Runs `text` with the current model (now, or once a model is loaded). Latest wins.
  void run_text(const std::string& text, const RunOptions& options);
  // Runs the standard induction probe of `repeat_length` random tokens with the current model.
  void run_induction_probe(int repeat_length);
  WorkerSnapshot snapshot() const;

 private:
  struct RunRequest {
    std::string text;
    RunOptions options;
  };

  void loop();
  void do_load(const std::filesystem::path& folder, std::unique_lock<std::mutex>& lock);
  void do_run(uint64_t generation, std::unique_lock<std::mutex>& lock);
  void do_probe(int repeat_length, std::unique_lock<std::mutex>& lock);
  // Fills in the predictions the run deferred and publishes the completed trace.
  void publish_predictions(Model& model, std::unique_lock<std::mutex>& lock);
  void publish_roles(std::shared_ptr<const AttentionTrace> trace,
                     std::unique_lock<std::mutex>& lock);

  std::function<void()> wake_ui_;
  mutable std::mutex mutex_;
  std::condition_variable wake_worker_;
  bool stop_ = false;
  std::optional<std::filesystem::path> pending_load_;
  std::optional<RunRequest> latest_run_;  // the newest text, kept to re-run on a new model
  bool run_pending_ = false;
  std::optional<int> pending_probe_;         // repeat length
  std::atomic<uint64_t> run_generation_{0};  // +1 per request; a stale run cancels itself
  std::atomic<bool> load_waiting_{false};
  std::atomic<bool> stopping_{false};

  std::shared_ptr<Model> model_;                      // worker-owned; runs happen here only
  std::shared_ptr<const AttentionTrace> last_trace_;  // of model_, for the prefix cache
  WorkerSnapshot published_;
  std::atomic<float> progress_{0.0f};
  std::thread thread_;  // last: starts after every member above is constructed
};

}  // namespace attnviz

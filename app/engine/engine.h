// Engine: the one thread that does the app's background work (loading models and attention
// files, running texts, completing predictions, deriving the view's trace, whole-model maps
// such as rollout, head roles, the induction probe, the diff's second run and maps). The UI
// posts requests (the newest of each kind wins; a run in progress is cancelled by a newer run or
// a load) and reads the latest published EngineState, an immutable snapshot with an id, every
// frame. Traces are told apart by the ids the engine gives them, never by address.
//
// Legend: L layers, H heads, T tokens (T' of the derived view).
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

#include "app/engine/engine_state.h"
#include "core/export/exporter.h"
#include "core/model.h"

namespace attnviz {

// Attention computed elsewhere: a .npy, .safetensors or .json file (not a model folder).
bool is_attention_file(const std::filesystem::path& path);
// The tokens file that goes with an attention file: FILE.tokens.json or tokens.json beside it.
// Empty when neither exists: attnviz's own safetensors and JSON files carry their tokens.
std::string tokens_beside(const std::filesystem::path& attention);

class Engine {
 public:
  // wake_ui is called from the engine's thread after every publish (glfwPostEmptyEvent), so an
  // idle UI wakes up to draw the new state.
  explicit Engine(std::function<void()> wake_ui);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A model folder, or an attention file (.npy, .safetensors, .json with its tokens beside it):
  // what is on screen changes once it has loaded; a failure leaves it as it was.
  void open(const std::filesystem::path& path);
  // Attention loaded before the window opened (`attnviz view`).
  void show_imported(std::shared_ptr<const AttentionTrace> trace, const std::string& source);
  // The text to run with the current model, now or once one is loaded. Latest wins.
  void run_text(const std::string& text, const RunOptions& options);
  // What the view draws: words, hidden tokens, and the head mode (a whole-model mode needs its
  // map). Cheap to call every frame; only a change starts work.
  void set_view(const ViewRequest& view);
  // The standard induction probe with the current model; its scores go into the role table.
  void run_probe();
  // The SHA-256 of the loaded model's files, once per model, for sessions: published as
  // EngineState::model_files after everything the views wait for.
  void hash_model_files();
  // The logit lens of a window of the raw trace on screen (the Logit lens tab asks every frame
  // while it is shown; nullopt when it is not). Cheap to call; only a change starts work.
  void set_lens(std::optional<LensRequest> request);
  // The raw token whose predictions the Predictions tab shows: while the run on screen has heads
  // ablated, the engine runs the model's own pass of the text once (EngineState::baseline) and
  // reads both at that position (EngineState::changes_for). nullopt: not shown.
  void set_changes(std::optional<int> position);
  // The head-importance table of the raw trace on screen: L·H runs of its text, each with one
  // head ablated (core/analysis/ablation.h head_importance), published as
  // EngineState::importance. A new text, a load or cancel_rank_heads stops it.
  void rank_heads(const ImportanceRequest& request);
  void cancel_rank_heads() { importance_cancel_ = true; }
  // Runs done and runs in all of the table being computed; total 0 when none is.
  std::pair<int, int> rank_progress() const {
    return {importance_done_.load(), importance_total_.load()};
  }
  // The diff's second run and maps; nullopt closes it.
  void set_diff(std::optional<DiffRequest> request);

  // The newest published state (never null).
  std::shared_ptr<const EngineState> state() const;
  // Stops the run in progress (at the end of the layer it is in) and drops a queued one: the
  // trace on screen stays the last finished one, and run_note says the run was cancelled. The
  // engine stays ready for the next run_text.
  void cancel_run();

  // A data file (JSON, NPY, safetensors) of a slice of `trace`, written streaming on the engine
  // thread (core export_data: its size checked against the disk first); the export's number,
  // which EngineState::data_export carries once it is done. One at a time: a new one waits.
  uint64_t export_data(std::shared_ptr<const AttentionTrace> trace, ExportFormat format,
                       const std::filesystem::path& path, const TensorSlice& slice);
  // Stops the data export in progress; its temporary file is removed, the target untouched.
  void cancel_export() { export_cancel_ = true; }
  // Rows written and rows in all of the data export in progress; total 0 when none runs.
  std::pair<int64_t, int64_t> export_progress() const {
    return {export_done_.load(), export_total_.load()};
  }

  // Progress of the run in progress, 0..1 (not worth a publish of its own).
  float progress() const { return progress_.load(); }
  // The same with layers, speed and time left (read every frame; no publish).
  RunProgress run_progress() const;

 private:
  struct Requests;  // what the UI asked for, under mutex_
  struct Worker;    // what the engine thread owns

  void loop();
  // Each job runs on the engine thread with the lock released; they return whether they did
  // anything, in priority order.
  bool load_step(std::unique_lock<std::mutex>& lock);
  bool run_step(std::unique_lock<std::mutex>& lock);
  bool view_step(std::unique_lock<std::mutex>& lock);
  bool whole_map_step(std::unique_lock<std::mutex>& lock);
  bool roles_step(std::unique_lock<std::mutex>& lock);
  bool probe_step(std::unique_lock<std::mutex>& lock);
  bool diff_step(std::unique_lock<std::mutex>& lock);
  bool lens_step(std::unique_lock<std::mutex>& lock);
  bool baseline_step(std::unique_lock<std::mutex>& lock);
  bool changes_step(std::unique_lock<std::mutex>& lock);
  bool importance_step(std::unique_lock<std::mutex>& lock);
  bool hash_step(std::unique_lock<std::mutex>& lock);
  bool export_step(std::unique_lock<std::mutex>& lock);
  bool grid_step(std::unique_lock<std::mutex>& lock);
  bool overview_step(std::unique_lock<std::mutex>& lock);
  // Publishes a copy of the current state changed by `edit` (under the lock), with a new id.
  void publish(const std::function<void(EngineState&)>& edit);
  uint64_t next_id() { return ++ids_; }

  std::function<void()> wake_ui_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unique_ptr<Requests> requests_;
  std::unique_ptr<Worker> worker_;
  std::shared_ptr<const EngineState> published_;
  uint64_t ids_ = 0;
  std::atomic<float> progress_{0.0f};
  std::atomic<int> progress_layers_{0};     // L of the run in progress
  std::atomic<int> progress_tokens_{0};     // T of the run in progress
  std::atomic<int64_t> progress_start_{0};  // its forward pass's start, steady_clock ns
  std::atomic<bool> forward_running_{false};
  std::atomic<uint64_t> run_generation_{0};  // +1 per run request: a stale run cancels itself
  std::atomic<bool> load_waiting_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> export_done_{0}, export_total_{0};
  std::atomic<bool> export_cancel_{false};
  std::atomic<int> importance_done_{0}, importance_total_{0};
  std::atomic<bool> importance_cancel_{false};
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace attnviz

// Diff mode: the attention of two runs side by side — the text on screen against a second
// text with the same model, or against a second model on the same text — and the difference
// map where their tokens line up (core/analysis/diff.h), for the current layer, head or
// aggregate. The second run happens on the panel's own thread with its own Model instance, so
// the UI never waits and the app's worker keeps serving the main text.
//
// Legend: T_a, T_b tokens of the two runs, K aligned tokens. Maps are rows = queries.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/analysis/aggregate.h"
#include "core/attention_trace.h"
#include "core/model.h"
#include "core/view_trace.h"
#include "ui/gl_renderer.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Runs one text on one model folder at a time on its own thread; the newest request wins (an
// older run is cancelled through Model::run's progress callback). The loaded model is kept
// while requests name the same folder.
class DiffRunner {
 public:
  struct Result {
    uint64_t id = 0;
    std::shared_ptr<const AttentionTrace> trace;  // null on error
    std::string error;
  };

  // wake_ui is called from the runner's thread when a result is ready.
  explicit DiffRunner(std::function<void()> wake_ui);
  ~DiffRunner();
  DiffRunner(const DiffRunner&) = delete;
  DiffRunner& operator=(const DiffRunner&) = delete;

  // Returns the request's id.
  uint64_t request(const std::filesystem::path& model_folder, const std::string& text);
  // The newest finished result not taken yet.
  std::optional<Result> take();
  bool busy() const;

 private:
  struct Request {
    uint64_t id = 0;
    std::filesystem::path folder;
    std::string text;
  };
  void loop();
  Result run(const Request& request);

  std::function<void()> wake_ui_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool running_ = false;
  std::optional<Request> pending_;
  std::optional<Result> result_;
  uint64_t next_id_ = 0;
  uint64_t newest_id_ = 0;
  std::shared_ptr<Model> model_;  // runner-owned; only this thread runs it
  std::thread thread_;            // last: starts after the members above exist
};

enum class DiffSource { kOtherText, kOtherModel };

// The three maps drawn, rebuilt when a trace or the selection changes.
struct DiffMaps {
  // Held, not just compared by address: a freed trace's address can come back for a new one.
  std::shared_ptr<const AttentionTrace> trace_a, trace_b;
  int layer = -1, head = -1;
  HeadMode mode = HeadMode::kSingleHead;
  std::vector<char> heads;

  int tokens_a = 0, tokens_b = 0, aligned = 0;
  std::vector<float> map_a;                // (T_a, T_a)
  std::vector<float> map_b;                // (T_b, T_b)
  std::vector<float> difference;           // (K, K) B − A on aligned tokens
  std::vector<std::pair<int, int>> pairs;  // (K) aligned (index in a, index in b)
  float max_weight = 0.0f;                 // of A and B together, the top of their colour scale
  float max_change = 0.0f;                 // largest |difference|, the ends of the diverging scale
  std::string note;  // what could not be matched (layers, heads), or the error
  bool textures_stale = true;
};

struct DiffState {
  bool open = false;
  DiffSource source = DiffSource::kOtherText;
  std::string text_b;                  // the second text (kOtherText)
  std::string model_b;                 // the second model's folder (kOtherModel), set on Enter
  std::string model_b_input;           // what is typed in the folder box
  std::unique_ptr<DiffRunner> runner;  // created on first use
  uint64_t requested_id = 0;
  std::string requested_key;  // folder + text of the last request, to post only on a change
  std::shared_ptr<const AttentionTrace> raw_b;   // the second run
  TraceViewOptions view_b_options;               // the options view_b was derived with
  std::shared_ptr<const AttentionTrace> view_b;  // raw_b through the same view options as A
  std::string error;
  DiffMaps maps;                    // on screen
  std::future<DiffMaps> next_maps;  // being computed off the UI thread (rollout of two long
                                    // texts takes seconds)
  DiffMaps next_key;                // the traces and selection next_maps is for (no maps in it)
  GlTexture texture_a, texture_b, texture_diff;
};

struct DiffPanelContext {
  std::shared_ptr<const AttentionTrace> shown_a;  // what the other panels draw (derived or raw)
  TraceViewOptions view_options;                  // applied to the second run as well
  const ViewState* view = nullptr;
  std::string main_text;
  std::string main_folder;  // the loaded model's folder
  std::function<void()> wake_ui;
  LayoutRecorder* recorder = nullptr;
};

// The map the view shows for a trace: one head, the mean or max of the enabled heads, the mean
// of everything, or rollout. `note` says when the view's layer or head had to be clamped.
AggregateChoice choice_for_view(const ViewState& view, const AttentionTrace& trace,
                                std::string* note = nullptr);

// RGBA8 image (size x size) of a (cells, cells) map, each cell a block of pixels (nearest
// sampling when cells > size). Sequential: weight / max_value on the app's weight colours.
std::vector<uint8_t> sequential_image(const std::vector<float>& map, int cells, int size,
                                      float max_value);
// Diverging blue–white–red: −max_abs blue, 0 white, +max_abs red.
std::vector<uint8_t> diverging_image(const std::vector<float>& map, int cells, int size,
                                     float max_abs);

void draw_diff_panel(DiffState& state, const DiffPanelContext& context);

}  // namespace attnviz::ui

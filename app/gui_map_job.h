// MapJob: computes the heatmap's whole-model maps (rollout O(L·T³), the all-layer mean
// O(L·H·T²): seconds at T = 1024 on big models) on a background thread, so the UI keeps drawing
// the previous map meanwhile and hands the finished one to HeatmapRenderer::provide_map().
//
// Legend: T tokens, L layers, H heads; maps are (T, T), rows = queries.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "core/attention_trace.h"
#include "ui/heatmap_math.h"

namespace attnviz {

// True for the head modes whose map is too slow to build on the UI thread.
bool map_is_expensive(const ui::MapRequest& request);

class MapJob {
 public:
  MapJob() = default;
  ~MapJob();  // waits for a map in flight (it cannot be cancelled; at most one per request)
  MapJob(const MapJob&) = delete;
  MapJob& operator=(const MapJob&) = delete;

  // Starts computing the map of (trace, request) unless that one is already in flight; a job
  // for an older request is left to finish and dropped.
  void request(std::shared_ptr<const AttentionTrace> trace, const ui::MapRequest& request);
  // The finished map of (trace, request), once; nothing while it is still being computed.
  std::optional<std::vector<float>> take(const AttentionTrace& trace, const ui::MapRequest& request);

 private:
  struct Job {
    std::shared_ptr<const AttentionTrace> trace;
    ui::MapRequest request;
    std::future<std::vector<float>> values;  // (T, T)
  };
  void drop_finished_retired();

  std::optional<Job> current_;
  std::vector<Job> retired_;  // superseded jobs still running; dropped once done
};

}  // namespace attnviz

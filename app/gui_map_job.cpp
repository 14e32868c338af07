#include "app/gui_map_job.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace attnviz {

namespace {

bool ready(const std::future<std::vector<float>>& future) {
  return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

bool map_is_expensive(const ui::MapRequest& request) {
  return request.mode == ui::HeadMode::kRollout || request.mode == ui::HeadMode::kMeanAllLayers;
}

MapJob::~MapJob() {
  if (current_) current_->values.wait();
  for (Job& job : retired_) job.values.wait();
}

void MapJob::request(std::shared_ptr<const AttentionTrace> trace, const ui::MapRequest& request) {
  drop_finished_retired();
  if (current_ && current_->trace == trace && current_->request == request) return;
  if (current_ && !ready(current_->values)) retired_.push_back(std::move(*current_));
  Job job{trace, request, {}};
  // The thread keeps the trace alive through its own shared pointer.
  job.values = std::async(std::launch::async, [trace, request] {
    // Below the UI thread, so the frames drawn meanwhile (llvmpipe renders on the CPU) keep up.
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    std::vector<float> values;
    ui::build_map(*trace, request, values);
    return values;
  });
  current_ = std::move(job);
}

std::optional<std::vector<float>> MapJob::take(const AttentionTrace& trace,
                                               const ui::MapRequest& request) {
  drop_finished_retired();
  if (!current_ || current_->trace.get() != &trace || !(current_->request == request) ||
      !ready(current_->values))
    return std::nullopt;
  std::vector<float> values = current_->values.get();
  current_.reset();
  return values;
}

void MapJob::drop_finished_retired() {
  std::erase_if(retired_, [](const Job& job) { return ready(job.values); });
}

}  // namespace attnviz

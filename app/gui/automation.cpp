#include "app/gui/automation.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <system_error>

#include "core/atomic_file.h"

namespace attnviz {

void LayoutDumper::update(const ui::LayoutRecorder& recorder, int window_x, int window_y,
                          const nlohmann::json& state, long frame) {
  nlohmann::json items = nlohmann::json::object();
  for (const auto& [name, rect] : recorder.items) {
    items[name] = {std::lround(rect.x0 + window_x), std::lround(rect.y0 + window_y),
                   std::lround(rect.x1 + window_x), std::lround(rect.y1 + window_y)};
  }
  nlohmann::json document = {{"items", items}, {"state", state}};
  const std::string body = document.dump();
  if (body == last_written_) return;
  document["frame"] = frame;
  if (auto written = write_file_atomic(path_, document.dump()); !written) {
    if (!warned_)
      std::fprintf(stderr, "attnviz: --dump-layout: %s\n", written.error().message.c_str());
    warned_ = true;
    return;
  }
  last_written_ = body;
}

namespace {

// {p50, p95, max, mean} with the unit as the keys' suffix ("p95_ms").
nlohmann::json percentiles(std::vector<double> values, const std::string& unit) {
  nlohmann::json out = nlohmann::json::object();
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  auto percentile = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p * values.size()));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
  };
  out["p50" + unit] = percentile(0.50);
  out["p95" + unit] = percentile(0.95);
  out["max" + unit] = values.back();
  out["mean" + unit] = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  return out;
}

}  // namespace

nlohmann::json FrameStats::summary(double first_frame_ms) const {
  nlohmann::json out = {{"frames", frame_ms_.size()}, {"first_frame_ms", first_frame_ms}};
  nlohmann::json frame = percentiles(frame_ms_, "_ms");
  for (auto& [key, value] : frame.items()) out[key] = value;
  out["frame"] = frame;
  out["ui"] = percentiles(ui_ms_, "_ms");
  out["triangles"] = percentiles(triangles_, "");
  out["while_computing"] = percentiles(computing_ms_, "_ms");
  out["while_computing"]["frames"] = computing_ms_.size();
  return out;
}

}  // namespace attnviz

#include "app/gui_automation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <system_error>
#include <unistd.h>

namespace attnviz {

Status write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(temporary, ec);
      return make_error("cannot write " + temporary.string() + " (folder missing or read-only?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::filesystem::remove(temporary, ec);
    return make_error("cannot replace " + path.string() + ": " + reason);
  }
  return Ok{};
}

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
  if (auto written = write_file_atomically(path_, document.dump()); !written) {
    if (!warned_) std::fprintf(stderr, "attnviz: --dump-layout: %s\n", written.error().message.c_str());
    warned_ = true;
    return;
  }
  last_written_ = body;
}

nlohmann::json FrameStats::summary(double first_frame_ms) const {
  nlohmann::json out = {{"frames", frame_ms_.size()}, {"first_frame_ms", first_frame_ms}};
  if (frame_ms_.empty()) return out;
  std::vector<double> sorted = frame_ms_;
  std::sort(sorted.begin(), sorted.end());
  auto percentile = [&](double p) {
    const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(p * sorted.size())) - 1);
    return sorted[index];
  };
  out["p50_ms"] = percentile(0.50);
  out["p95_ms"] = percentile(0.95);
  out["max_ms"] = sorted.back();
  out["mean_ms"] = std::accumulate(sorted.begin(), sorted.end(), 0.0) / sorted.size();
  return out;
}

}  // namespace attnviz

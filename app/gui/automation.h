// Automation aids for end-to-end tests and benchmarks (real input events still do the
// clicking): --dump-layout writes the screen rectangles of clickable things whenever they move,
// --frame-stats records frame times and writes p50/p95/max at exit.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "ui/layout_hook.h"

namespace attnviz {

class LayoutDumper {
 public:
  explicit LayoutDumper(std::filesystem::path path) : path_(std::move(path)) {}
  // Writes when the rectangles or the state changed since the last write. (window_x, window_y)
  // turns window pixels into screen pixels.
  void update(const ui::LayoutRecorder& recorder, int window_x, int window_y,
              const nlohmann::json& state, long frame);

 private:
  std::filesystem::path path_;
  std::string last_written_;
  bool warned_ = false;
};

// Frame times in milliseconds: the work of a frame (events, UI, render, swap), not the idle
// wait between frames when nothing changes.
class FrameStats {
 public:
  // frame_ms: the whole frame; ui_ms: building the UI (panels, our code); the rest is ImGui's
  // render, the OpenGL driver (llvmpipe under Xvfb) and the swap. triangles: what ImGui sent
  // to the driver, which a software rasterizer pays for one by one.
  // computing: the worker was running, completing predictions or scoring heads meanwhile (it
  // shares the cores); those frames are summarized apart.
  void add(double frame_ms, double ui_ms, double triangles, bool computing) {
    if (computing) {
      computing_ms_.push_back(frame_ms);
      return;
    }
    frame_ms_.push_back(frame_ms);
    ui_ms_.push_back(ui_ms);
    triangles_.push_back(triangles);
  }
  size_t count() const { return frame_ms_.size(); }
  // {"frames", "first_frame_ms", "frame": {p50, p95, max, mean}, "ui": {...}, "triangles":
  // {...}, "while_computing": {"frames", p50, ...}} as JSON; the
  // frame figures are also at the top level as p50_ms, p95_ms, max_ms, mean_ms.
  nlohmann::json summary(double first_frame_ms) const;

 private:
  std::vector<double> frame_ms_;
  std::vector<double> ui_ms_;
  std::vector<double> triangles_;
  std::vector<double> computing_ms_;
};

}  // namespace attnviz

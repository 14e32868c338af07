// LayoutRecorder: screen rectangles of what a person can click (token chips, arcs-view tokens,
// head toggles, buttons), collected while panels draw. The app writes them to the file named by
// --dump-layout so end-to-end tests can click real pixels with real input events.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ui/arc_geometry.h"

namespace attnviz::ui {

struct LayoutRecorder {
  bool enabled = false;
  std::vector<std::pair<std::string, Rect>> items;  // name -> rectangle in window pixels

  void record(std::string name, const Rect& rect) {
    if (enabled) items.emplace_back(std::move(name), rect);
  }
  void clear() { items.clear(); }
};

}  // namespace attnviz::ui

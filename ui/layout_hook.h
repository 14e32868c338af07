// Test instrumentation kept out of drawing code: the screen rectangles of what a person can
// click (token chips, head toggles, buttons), for the app's --dump-layout, so end-to-end tests
// click real pixels with real input events. The recorder lives in ImGui's context (its IO user
// data), so no panel takes it as a parameter: a widget is named with one call after it, and the
// painter names a picture's tokens and tiles itself.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/view/geometry.h"

namespace attnviz::ui {

struct LayoutRecorder {
  std::vector<std::pair<std::string, Rect>> items;  // name -> rectangle in window pixels
};

// Installs the recorder for this ImGui context (null: recording off).
void install_layout_recorder(LayoutRecorder* recorder);
bool recording_layout();
// Names the last ImGui item.
void name_item(std::string_view name);
// Names a rectangle (screen pixels) that is not an ImGui item: a chip, a tile.
void name_rect(std::string_view name, const Rect& rect);

}  // namespace attnviz::ui

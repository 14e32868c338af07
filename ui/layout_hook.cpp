#include "ui/layout_hook.h"

#include <imgui.h>

namespace attnviz::ui {

namespace {

LayoutRecorder* recorder() {
  return ImGui::GetCurrentContext() ? static_cast<LayoutRecorder*>(ImGui::GetIO().UserData)
                                    : nullptr;
}

}  // namespace

void install_layout_recorder(LayoutRecorder* layout) {
  ImGui::GetIO().UserData = layout;
}

bool recording_layout() {
  return recorder() != nullptr;
}

void name_item(std::string_view name) {
  if (LayoutRecorder* layout = recorder()) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    layout->items.emplace_back(std::string(name), Rect{a.x, a.y, b.x, b.y});
  }
}

void name_rect(std::string_view name, const Rect& rect) {
  if (LayoutRecorder* layout = recorder()) layout->items.emplace_back(std::string(name), rect);
}

}  // namespace attnviz::ui

#include "ui/panel_model_card.h"

#include <imgui.h>

#include "ui/layout_hook.h"

namespace attnviz::ui {

void draw_model_card_window(const ModelInfo* model, bool& open) {
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
  if (!ImGui::Begin("Model card", &open, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::End();
    return;
  }
  name_rect("model_card_window", {ImGui::GetWindowPos().x, ImGui::GetWindowPos().y,
                                  ImGui::GetWindowPos().x + ImGui::GetWindowSize().x,
                                  ImGui::GetWindowPos().y + ImGui::GetWindowSize().y});
  if (model == nullptr) {
    ImGui::TextDisabled("No model: imported attention has no card.");
    ImGui::End();
    return;
  }
  ImGui::TextUnformatted(model->display_name.c_str());
  ImGui::TextDisabled("%s", model->folder.string().c_str());
  if (ImGui::BeginTable("model_card", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    for (const auto& [label, value] : card_lines(model->card)) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%s", label.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(value.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::End();
}

}  // namespace attnviz::ui

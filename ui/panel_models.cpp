#include "ui/panel_models.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include "core/model_card.h"
#include "core/models/architecture.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

std::string describe_model(const ModelConfig& config) {
  std::string text = architecture_row(config.architecture).display_name;
  text += " \xC2\xB7 " + std::to_string(config.layers) + " layers \xC3\x97 " +
          std::to_string(config.heads) + " heads";
  if (config.kv_heads != config.heads)  // grouped-query attention
    text += " (" + std::to_string(config.kv_heads) + " kv)";
  text += " \xC2\xB7 width " + std::to_string(config.width) + " \xC2\xB7 " +
          (config.causal() ? "causal (decoder)" : "bidirectional (encoder)");
  return text;
}

void draw_models_panel(const ModelsPanelInput& in, std::string& path_input, Actions& out) {
  if (!ImGui::Begin("Model", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  const EngineState& state = *in.state;
  if (state.imported) {
    ImGui::TextWrapped("Imported attention: %s", state.imported_source.c_str());
    ImGui::TextDisabled("no model: the inspector and re-runs are off");
  } else if (state.model) {
    ImGui::TextUnformatted(state.model->display_name.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", state.model->folder.c_str());
    ImGui::TextDisabled("%s", describe_model(state.model->config).c_str());
  } else if (state.loading.empty()) {
    ImGui::TextDisabled("no model loaded");
  }
  if (!state.loading.empty())
    ImGui::TextColored({0.5f, 0.75f, 1, 1}, "loading %s\xE2\x80\xA6", state.loading.c_str());
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 4);
  const bool entered = ImGui::InputTextWithHint(
      "##model_path", "model folder, or attention .npy/.safetensors (or drop it here)", &path_input,
      ImGuiInputTextFlags_EnterReturnsTrue);
  name_item("model_path");
  ImGui::SameLine();
  if ((ImGui::Button("Open") || entered) && !path_input.empty())
    out.push_back(action::Open{path_input});
  if (ImGui::SmallButton("Built-in model")) out.push_back(action::OpenBuiltinModel{});
  name_item("builtin_model");
  if (state.model) {
    ImGui::SameLine();
    if (ImGui::SmallButton("Model card")) out.push_back(action::ShowModelCard{});
    name_item("model_card_button");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("%s, %s parameters, %s: family, heads, positions, windows, precision",
                        state.model->card.family.c_str(),
                        format_parameters(state.model->card.parameters).c_str(),
                        state.model->card.precision.c_str());
  }
  if (in.recent_models && !in.recent_models->empty()) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##recent", "Recent models")) {
      for (size_t i = 0; i < in.recent_models->size(); ++i) {
        const std::string& folder = (*in.recent_models)[i];
        if (ImGui::Selectable(folder.c_str())) out.push_back(action::Open{folder});
        name_item("recent_model." + std::to_string(i));
      }
      ImGui::EndCombo();
    }
    name_item("recent_models");
  }
  // The error goes below the path box and the buttons, so a long one never pushes them out of
  // the pane (issue 11); the pane scrolls to show all of it.
  if (!state.open_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(to_imvec4(theme_colors(in.theme).error), "%s", state.open_error.c_str());
    ImGui::PopTextWrapPos();
    name_item("model_error");
    if (state.model || state.imported) ImGui::TextDisabled("what was on screen stays");
  }
  ImGui::End();
}

}  // namespace attnviz::ui

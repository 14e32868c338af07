#include "ui/panel_models.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <filesystem>
#include <system_error>

namespace attnviz::ui {

std::string describe_model(const ModelConfig& config) {
  std::string text = config.architecture == Architecture::kGpt2 ? "GPT-2" : "BERT";
  text += " \xC2\xB7 " + std::to_string(config.layers) + " layers \xC3\x97 " +
          std::to_string(config.heads) + " heads \xC2\xB7 width " + std::to_string(config.width) +
          " \xC2\xB7 " + (config.causal() ? "causal (decoder)" : "bidirectional (encoder)");
  return text;
}

std::optional<std::string> draw_models_panel(ModelState& model, const ModelsPanelContext& context) {
  if (!ImGui::Begin("Model", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return std::nullopt;
  }
  std::optional<std::string> request;
  if (model.imported) {
    ImGui::TextWrapped("Imported attention: %s", model.imported_source.c_str());
    ImGui::TextDisabled("no model: the inspector and re-runs are off");
  } else if (model.loaded) {
    std::error_code ec;
    const bool builtin = std::filesystem::equivalent(model.folder, context.builtin_folder, ec);
    const std::string name = model.config.name.empty() ? model.folder.filename().string() : model.config.name;
    if (builtin) {
      ImGui::Text("Built-in model");
    } else {
      ImGui::Text("%s", name.c_str());
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", model.folder.c_str());
    ImGui::TextDisabled("%s", describe_model(model.config).c_str());
  } else if (model.loading_folder.empty()) {
    ImGui::TextDisabled("no model loaded");
  }
  if (!model.loading_folder.empty()) {
    ImGui::TextColored({0.5f, 0.75f, 1, 1}, "loading %s\xE2\x80\xA6", model.loading_folder.c_str());
  }
  if (!model.error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored({0.95f, 0.35f, 0.3f, 1}, "%s", model.error.c_str());
    ImGui::PopTextWrapPos();
    if (model.loaded) ImGui::TextDisabled("the previous model stays loaded");
  }
  if (!model.imported || context.can_open) {
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 4);
    const bool entered = ImGui::InputTextWithHint("##model_path", "model folder, or attention .npy/.safetensors (or drop it here)",
                                                  &model.path_input, ImGuiInputTextFlags_EnterReturnsTrue);
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    context.recorder->record("model_path", {a.x, a.y, b.x, b.y});
    ImGui::SameLine();
    if ((ImGui::Button("Open") || entered) && !model.path_input.empty()) request = model.path_input;
    if (ImGui::SmallButton("Built-in model")) request = context.builtin_folder;
    if (context.recent_models && !context.recent_models->empty()) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(-1);
      if (ImGui::BeginCombo("##recent", "Recent models")) {
        for (const std::string& folder : *context.recent_models) {
          if (ImGui::Selectable(folder.c_str())) request = folder;
        }
        ImGui::EndCombo();
      }
    }
  }
  ImGui::End();
  return request;
}

}  // namespace attnviz::ui

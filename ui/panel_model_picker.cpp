#include "ui/panel_model_picker.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {
namespace {

bool matches_filter(const DiscoveredModel& model, const std::string& filter) {
  if (filter.empty()) return true;
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
  };
  const std::string needle = lower(filter);
  return lower(model.name).find(needle) != std::string::npos ||
         lower(model.model_type).find(needle) != std::string::npos;
}

// The same folder found twice (a recent folder inside the hub cache) is listed once.
std::vector<DiscoveredModel> unique_by_folder(std::vector<DiscoveredModel> models) {
  std::set<std::string> seen;
  std::vector<DiscoveredModel> unique;
  for (DiscoveredModel& model : models) {
    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::weakly_canonical(model.path, ec);
    if (!seen.insert(ec ? model.path.string() : canonical.string()).second) continue;
    unique.push_back(std::move(model));
  }
  return unique;
}

}  // namespace

void rescan_models(ModelPickerState& state, const std::vector<std::string>& extra_folders) {
  std::vector<std::filesystem::path> extra(extra_folders.begin(), extra_folders.end());
  state.models = unique_by_folder(discover_models(extra));
  state.hub_folder = default_hub_cache().string();
  state.scanned = true;
}

void draw_model_picker(ModelPickerState& state, const ModelPickerContext& context, Actions& out) {
  if (!state.open) return;
  const std::vector<std::string> extra =
      context.extra_folders ? *context.extra_folders : std::vector<std::string>{};
  if (!state.scanned) rescan_models(state, extra);

  std::optional<std::string> chosen;
  ImGui::SetNextWindowSize({760, 420}, ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
  if (!ImGui::Begin("Models on this computer", &state.open)) {
    ImGui::End();
    return;
  }
  ImGui::TextDisabled("Hugging Face cache: %s",
                      state.hub_folder.empty() ? "(no home folder)" : state.hub_folder.c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("Rescan")) rescan_models(state, extra);
  ImGui::SetNextItemWidth(220);
  ImGui::InputTextWithHint("##filter", "filter by name or type", &state.filter);
  ImGui::SameLine();
  ImGui::Checkbox("Show unsupported", &state.show_unsupported);

  const int supported =
      static_cast<int>(std::count_if(state.models.begin(), state.models.end(),
                                     [](const DiscoveredModel& m) { return m.supported; }));
  ImGui::Text("%d models found, %d supported (GPT-2 and BERT architectures)",
              static_cast<int>(state.models.size()), supported);
  if (state.models.empty()) {
    ImGui::TextWrapped(
        "No models found. Download one with `huggingface-cli download gpt2` (or any GPT-2 / BERT "
        "checkpoint saved as safetensors), or open a model folder from the Model panel.");
  }

  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable;
  if (ImGui::BeginTable("models", 3, flags)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("model", ImGuiTableColumnFlags_WidthStretch, 0.45f);
    ImGui::TableSetupColumn("type", ImGuiTableColumnFlags_WidthFixed, 80.0f);
    ImGui::TableSetupColumn("status", ImGuiTableColumnFlags_WidthStretch, 0.55f);
    ImGui::TableHeadersRow();
    int row = 0;
    for (const DiscoveredModel& model : state.models) {
      if (!model.supported && !state.show_unsupported) continue;
      if (!matches_filter(model, state.filter)) continue;
      ImGui::PushID(row++);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      const bool loaded = !context.loaded_folder.empty() &&
                          std::filesystem::path(context.loaded_folder) == model.path;
      std::string label = model.name;
      if (!model.revision.empty()) label += " @" + model.revision.substr(0, 7);
      if (model.supported) {
        if (ImGui::Selectable(label.c_str(), loaded, ImGuiSelectableFlags_SpanAllColumns))
          chosen = model.path.string();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nclick to load", model.path.c_str());
        name_item("picker_model." + model.name);
      } else {
        ImGui::TextDisabled("%s", label.c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", model.path.c_str());
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(model.model_type.empty() ? "?" : model.model_type.c_str());
      ImGui::TableNextColumn();
      if (model.supported) {
        ImGui::TextColored(to_imvec4(theme_colors(context.theme).success),
                           loaded ? "loaded" : "supported");
      } else {
        ImGui::PushStyleColor(ImGuiCol_Text, to_imvec4(theme_colors(context.theme).warning));
        ImGui::TextWrapped("not supported: %s", model.reason.c_str());
        ImGui::PopStyleColor();
      }
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  ImGui::End();
  if (chosen) {
    state.open = false;
    out.push_back(action::Open{*chosen});
  }
}

}  // namespace attnviz::ui

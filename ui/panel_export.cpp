#include "ui/panel_export.h"

#include <imgui.h>
#include <imgui_stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "core/view/text.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace fs = std::filesystem;

std::string default_export_folder() {
  std::error_code ec;
  const fs::path current = fs::current_path(ec);
  if (!ec && ::access(current.c_str(), W_OK) == 0) return current.string();
  const char* home = std::getenv("HOME");
  if (home && *home) return home;
  return "/tmp";
}

ExportFormat export_format_of(const ExportUiState& state) {
  const std::vector<ExportFormat> formats = export_formats();
  return formats[std::clamp<size_t>(static_cast<size_t>(std::max(state.format, 0)), 0,
                                    formats.size() - 1)];
}

TensorSlice data_slice_of(const ExportUiState& state, const ViewSpec& spec) {
  if (state.data_scope == 1) return {spec.layer, spec.layer, 0, -1};
  if (state.data_scope == 2) return {spec.layer, spec.layer, spec.head, spec.head};
  return {};
}

fs::path export_path_for(const ExportUiState& state, const ViewSpec& spec, int heads,
                         ExportFormat format) {
  std::string name = state.file_stem.empty() ? "attention" : state.file_stem;
  if (is_figure_format(format)) {
    name += '-';
    name += view_kind_key(spec.kind);
    const HeadModeInfo& mode = head_mode_info(spec.head_mode);
    if (spec.kind != ViewKind::kGrid) {
      if (mode.whole_model) {
        name += '-';
        name += mode.key;
      } else {
        name += "-";
        name += letter_number('L', spec.layer);
        if (!mode.uses_enabled_heads) {
          name += "-";
          name += letter_number('H', spec.head);
        } else {
          if (spec.head_mode != HeadMode::kMultiHead) name += std::string("-") + mode.key;
          const std::vector<int> enabled = spec.enabled_head_list(heads);
          if (static_cast<int>(enabled.size()) == heads) {
            name += "-all-heads";
          } else {
            name += "-heads";
            for (int h : enabled) {  // piecewise: GCC 12 warns falsely on "-" + to_string
              name += '-';
              name += std::to_string(h);
            }
          }
        }
      }
      if (spec.kind == ViewKind::kArcs && spec.pinned_token) {
        name += "-";
        name += letter_number('t', *spec.pinned_token);
      }
    }
    if (format == ExportFormat::kPng && state.scale != 1) {
      name += '@';  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "@" + to_string
      name += std::to_string(state.scale);
      name += 'x';
    }
  }
  if (!is_figure_format(format) && state.data_scope > 0) {
    name += "-" + letter_number('L', spec.layer);
    if (state.data_scope == 2) name += "-" + letter_number('H', spec.head);
  }
  std::string extension = ".";
  extension += export_format_name(format);
  const fs::path folder =
      state.folder.empty() ? fs::path(default_export_folder()) : fs::path(state.folder);
  fs::path path = folder / (name + extension);
  std::error_code ec;
  for (int n = 2; fs::exists(path, ec) && n < 10000; ++n)
    path = folder / (name + "-" + std::to_string(n) + extension);
  return path;
}

namespace {

const char* view_name(ViewKind kind) {
  switch (kind) {
    case ViewKind::kArcs:
      return "the arcs of the pinned token, as on screen";
    case ViewKind::kHeatmap:
      return "the heatmap, as on screen";
    case ViewKind::kGrid:
      return "the grid of every layer and head, as on screen";
  }
  return "";
}

}  // namespace

void draw_export_panel(ExportUiState& state, const ExportPanelInput& in, Actions& out) {
  if (!ImGui::Begin("Export", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  if (state.folder.empty()) state.folder = default_export_folder();
  const std::vector<ExportFormat> formats = export_formats();
  const ExportFormat format = export_format_of(state);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("format").x - ImGui::GetStyle().ItemSpacing.x * 2);
  if (ImGui::BeginCombo("format", export_format_label(format))) {
    for (size_t i = 0; i < formats.size(); ++i) {
      if (ImGui::Selectable(export_format_label(formats[i]), formats[i] == format))
        state.format = static_cast<int>(i);
      name_item(std::string("export_format.") + export_format_name(formats[i]));
    }
    ImGui::EndCombo();
  }
  name_item("export_format");
  if (format == ExportFormat::kPng) {
    ImGui::TextUnformatted("scale");
    for (int scale : {1, 2, 4}) {
      ImGui::SameLine();
      const std::string label = std::to_string(scale) + "\xC3\x97";
      if (ImGui::RadioButton(label.c_str(), state.scale == scale)) state.scale = scale;
      name_item("export_scale." + std::to_string(scale));
    }
  }
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("folder").x - ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::InputText("folder", &state.folder);
  name_item("export_folder");
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("folder").x - ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::InputText("name", &state.file_stem);
  const bool data = !is_figure_format(format);
  if (data) {
    // What the file holds, each choice with its size: at 8k tokens every layer and head of a
    // small model is tens of GB, one head a few hundred MB.
    const std::string layer = letter_number('L', in.spec->layer);
    const std::string head = layer + " " + letter_number('H', in.spec->head);
    const char* labels[] = {"every layer and head", layer.c_str(), head.c_str()};
    const char* keys[] = {"export_scope.all", "export_scope.layer", "export_scope.head"};
    for (int scope = 0; scope < 3; ++scope) {
      if (scope) ImGui::SameLine();
      if (ImGui::RadioButton(labels[scope], state.data_scope == scope)) state.data_scope = scope;
      name_item(keys[scope]);
    }
    if (in.has_trace && in.dims.tokens > 0) {
      ImGui::PushTextWrapPos(0);
      ImGui::TextDisabled(
          "%s", data_export_statement(in.dims, format, data_slice_of(state, *in.spec)).c_str());
      ImGui::PopTextWrapPos();
      name_item("export_size");
    }
  } else {
    ImGui::TextDisabled("%s", view_name(in.spec->kind));
  }
  if (in.export_total > 0) {  // a data export is being written
    const float fraction = static_cast<float>(in.export_done) / static_cast<float>(in.export_total);
    char overlay[48];
    std::snprintf(overlay, sizeof overlay, "%.0f%% written", 100.0f * fraction);
    ImGui::ProgressBar(fraction, ImVec2(-ImGui::CalcTextSize("Cancel").x * 2.0f, 0), overlay);
    name_item("export_progress");
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) out.push_back(action::CancelExport{});
    name_item("export_cancel");
  }
  ImGui::BeginDisabled(!in.has_trace || (data && state.pending_export != 0));
  if (ImGui::Button("Export  (Ctrl+E)")) out.push_back(action::Export{false});
  name_item("export_button");
  ImGui::SameLine();
  if (ImGui::Button("Every head\xE2\x80\xA6")) out.push_back(action::Export{true});
  name_item("export_batch_button");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("one %s heatmap per layer and head into a new folder",
                      data ? "PNG" : export_format_label(format));
  ImGui::EndDisabled();
  if (!state.message.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(
        to_imvec4(state.message_is_error ? theme_colors(in.spec->theme).error
                                         : theme_colors(in.spec->theme).success),
        "%s", state.message.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui

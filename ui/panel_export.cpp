#include "ui/panel_export.h"

#include <imgui.h>
#include <imgui_stdlib.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <system_error>

#include "core/view_trace.h"
#include "ui/heatmap_math.h"

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
  switch (state.format) {
    case 1: return ExportFormat::kSvg;
    case 2: return ExportFormat::kJson;
    case 3: return ExportFormat::kNpy;
    default: return ExportFormat::kPng;
  }
}

Result<FigureSpec> figure_spec_for_view(const AttentionTrace& trace, const ViewState& view,
                                        ExportView what, int scale) {
  FigureSpec spec;
  spec.layer = view.layer;
  spec.head = view.head;
  spec.scale = scale;
  spec.theme = view.theme == Theme::kLight ? attnviz::Theme::kLight : attnviz::Theme::kDark;
  switch (what) {
    case ExportView::kArcs: {
      const auto query = view.active_query();
      if (!query) return make_error("pin a token first (click one in the arcs view), then export its arcs");
      spec.token = *query;
      spec.kind = view.head_mode == HeadMode::kSingleHead ? FigureKind::kArcs : FigureKind::kArcsAllHeads;
      if (spec.kind == FigureKind::kArcsAllHeads) {
        for (int h = 0; h < trace.heads(); ++h)
          if (view.head_enabled(h)) spec.heads.push_back(h);
        if (spec.heads.empty()) return make_error("no head is enabled: turn one on in the head bar, then export");
      }
      break;
    }
    case ExportView::kHeatmap:
      spec.kind = FigureKind::kHeatmap;
      break;
    case ExportView::kModelGrid:
      spec.kind = FigureKind::kGrid;
      break;
  }
  if (Status valid = validate_figure_spec(trace, spec); !valid) return valid.error();
  return spec;
}

Result<ViewFigure> figure_for_view(const AttentionTrace& trace, const ViewState& view,
                                   ExportView what, int scale, const std::string& view_note) {
  auto spec = figure_spec_for_view(trace, view, what, scale);
  if (!spec) return spec.error();
  ViewFigure figure{spec.value(), nullptr};
  figure.spec.view_note = view_note;
  const HeadMode mode = view.head_mode;
  const bool aggregated = what != ExportView::kModelGrid && mode != HeadMode::kSingleHead &&
                          !(what == ExportView::kArcs && mode == HeadMode::kMultiHead);
  if (!aggregated) return figure;
  const AggregateChoice choice = aggregate_choice(map_request_for(view), trace.heads());
  if (choice.mode != AggregateMode::kHead && choice.mode != AggregateMode::kRollout &&
      choice.mode != AggregateMode::kAllMean && choice.heads.empty())
    return make_error("no head is enabled: turn one on in the head bar, then export");
  figure.aggregate = aggregate_trace(trace, choice);
  figure.spec.kind = what == ExportView::kArcs ? FigureKind::kArcs : FigureKind::kHeatmap;
  figure.spec.layer = 0;
  figure.spec.head = 0;
  figure.spec.heads.clear();
  figure.spec.source_label = describe_aggregate(choice);
  if (Status valid = validate_figure_spec(*figure.aggregate, figure.spec); !valid) return valid.error();
  return figure;
}

fs::path export_path_for(const ExportUiState& state, const FigureSpec& spec, ExportFormat format) {
  std::string name = state.file_stem.empty() ? "attention" : state.file_stem;
  const bool data = format == ExportFormat::kJson || format == ExportFormat::kNpy;
  if (!data && !spec.source_label.empty()) {
    // An aggregate: its label ("mean of layer 2") names the file, not layer 0 head 0.
    name += spec.kind == FigureKind::kArcs ? "-arcs-" : "-heatmap-";
    for (char c : spec.source_label) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    if (spec.kind == FigureKind::kArcs) {
      name += "-t";
      name += std::to_string(spec.token);
    }
  } else if (!data) {
    switch (spec.kind) {
      case FigureKind::kArcs:
        name += "-arcs-L" + std::to_string(spec.layer) + "-H" + std::to_string(spec.head) + "-t" +
                std::to_string(spec.token);
        break;
      case FigureKind::kArcsAllHeads:
        name += "-arcs-L" + std::to_string(spec.layer) + "-all-heads-t" + std::to_string(spec.token);
        break;
      case FigureKind::kHeatmap:
        name += "-heatmap-L" + std::to_string(spec.layer) + "-H" + std::to_string(spec.head);
        break;
      case FigureKind::kGrid:
        name += "-grid";
        break;
    }
    if (format == ExportFormat::kPng && spec.scale != 1) {
      name += '@';  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "@" + to_string
      name += std::to_string(spec.scale);
      name += 'x';
    }
  }
  std::string extension = ".";
  extension += export_format_name(format);
  const fs::path folder = state.folder.empty() ? fs::path(default_export_folder()) : fs::path(state.folder);
  fs::path path = folder / (name + extension);
  std::error_code ec;
  for (int n = 2; fs::exists(path, ec) && n < 10000; ++n)
    path = folder / (name + "-" + std::to_string(n) + extension);
  return path;
}

namespace {

void record_item(LayoutRecorder& recorder, std::string name) {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  recorder.record(std::move(name), {a.x, a.y, b.x, b.y});
}

const char* view_name(ExportView view) {
  switch (view) {
    case ExportView::kArcs: return "the arcs of the pinned token";
    case ExportView::kHeatmap: return "the heatmap of the selected head";
    case ExportView::kModelGrid: return "the grid of every layer and head";
  }
  return "";
}

}  // namespace

void draw_export_panel(ExportUiState& state, const ExportPanelContext& context) {
  if (!ImGui::Begin("Export", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  if (state.folder.empty()) state.folder = default_export_folder();
  const char* formats[] = {"PNG", "SVG", "JSON (tokens + weights)", "NPY (L, H, T, T)"};
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("format").x - ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::Combo("format", &state.format, formats, 4);
  if (state.format == 0) {
    ImGui::TextUnformatted("scale");
    for (int scale : {1, 2, 4}) {
      ImGui::SameLine();
      const std::string label = std::to_string(scale) + "\xC3\x97";
      if (ImGui::RadioButton(label.c_str(), state.scale == scale)) state.scale = scale;
    }
  }
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("folder").x - ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::InputText("folder", &state.folder);
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("folder").x - ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::InputText("name", &state.file_stem);
  const bool data = state.format >= 2;
  ImGui::TextDisabled("%s", data ? "all layers and heads of the trace" : view_name(context.current_view));
  ImGui::BeginDisabled(!context.has_trace);
  if (ImGui::Button("Export  (Ctrl+E)")) state.request = true;
  record_item(*context.recorder, "export_button");
  ImGui::SameLine();
  if (ImGui::Button("Every head\xE2\x80\xA6")) state.request_batch = true;
  record_item(*context.recorder, "export_batch_button");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("one %s heatmap per layer and head into a new folder", data ? "PNG" : formats[state.format]);
  ImGui::EndDisabled();
  if (!state.message.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(state.message_is_error ? ImVec4{0.95f, 0.35f, 0.3f, 1} : ImVec4{0.4f, 0.85f, 0.45f, 1},
                       "%s", state.message.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui

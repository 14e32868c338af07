#include "ui/panel_head_roles.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include <imgui.h>

#include "core/view/map_scene.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

enum Column {
  kLayer,
  kHead,
  kPrevious,
  kDuplicate,
  kInduction,
  kFirst,
  kDistance,
  kEntropy,
  kLabel,
  kColumnCount
};

double sort_key(const HeadRole& role, int column) {
  switch (column) {
    case kLayer:
      return role.layer;
    case kHead:
      return role.head;
    case kPrevious:
      return role.previous_token;
    case kDuplicate:
      return role.duplicate_token;
    case kInduction:
      return role.induction;
    case kFirst:
      return role.first_token_share;
    case kDistance:
      return role.mean_distance;
    case kEntropy:
      return role.mean_entropy;
    default:
      return 0.0;
  }
}

// Rebuilds the row order when the sort spec or the trace changed.
void update_order(const HeadRoleTable& roles, uint64_t print, HeadRolesPanelState& state) {
  const size_t count = roles.roles.size();
  bool dirty = state.order.size() != count || state.sorted_trace != print;
  if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
    if (specs->SpecsCount > 0) {
      state.sort_column = specs->Specs[0].ColumnIndex;
      state.sort_descending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
    }
    specs->SpecsDirty = false;
    dirty = true;
  }
  if (!dirty) return;
  state.sorted_trace = print;
  state.order.resize(count);
  std::iota(state.order.begin(), state.order.end(), 0);
  const int column = state.sort_column;
  const bool descending = state.sort_descending;
  std::stable_sort(state.order.begin(), state.order.end(), [&](int a, int b) {
    const HeadRole& x = roles.roles[a];
    const HeadRole& y = roles.roles[b];
    if (column == kLabel) return descending ? x.label > y.label : x.label < y.label;
    const double kx = sort_key(x, column), ky = sort_key(y, column);
    return descending ? kx > ky : kx < ky;
  });
}

void score_cell(double value) {
  // A tiny bar behind the number shows the share at a glance.
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = ImGui::GetTextLineHeight();
  ImGui::GetWindowDrawList()->AddRectFilled(
      at, ImVec2(at.x + width * static_cast<float>(std::clamp(value, 0.0, 1.0)), at.y + height),
      IM_COL32(90, 140, 220, 90));
  ImGui::Text("%.3f", value);
}

}  // namespace

void draw_head_roles_panel(const HeadRolesPanelInput& in, HeadRolesPanelState& state,
                           Actions& out) {
  if (!ImGui::Begin("Head roles")) {
    ImGui::End();
    return;
  }
  if (!in.roles) {
    ImGui::TextDisabled("computing the head roles\xE2\x80\xA6");
    ImGui::End();
    return;
  }
  const HeadRoleTable& roles = *in.roles;
  const ViewSpec& view = *in.spec;
  if (roles.roles.empty()) {
    ImGui::TextDisabled("No heads to describe yet.");
    ImGui::End();
    return;
  }
  ImGui::BeginDisabled(!in.can_probe);
  if (ImGui::Button("Load induction probe")) out.push_back(action::LoadProbe{});
  name_item("load_probe");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!in.can_probe || !in.probe_ready);
  if (ImGui::Button("Show probe text")) out.push_back(action::ShowProbeText{});
  name_item("show_probe_text");
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("Put the probe's tokens in the text box: pin a token of the second copy to see "
                      "an induction head attend to the token after its first occurrence.");
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(
        "Scores are the share of a head's attention that fits a pattern (TransformerLens "
        "head detector, 'mul'): prev = the token just before, dup = earlier copies of the same "
        "token, induction = the token after an earlier copy. Induction heads need repeated "
        "text: the probe feeds random tokens repeated twice. first = mean weight on token 0, "
        "dist = attention-weighted distance in tokens, entropy in nats.");
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
  if (roles.roles.front().label.empty()) {  // fewer than kMinTokensForLabel tokens
    ImGui::TextDisabled("Type at least two tokens to see what each head does.");
    ImGui::End();
    return;
  }
  constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg |
                                     ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                     ImGuiTableFlags_ScrollX | ImGuiTableFlags_Resizable |
                                     ImGuiTableFlags_SizingFixedFit;
  // Columns keep the width of their numbers: a narrow column scrolls sideways, layer and head
  // staying in view, instead of squeezing the scores to 1-2 characters (issue 11).
  if (ImGui::BeginTable("##head_roles", kColumnCount, kFlags)) {
    ImGui::TableSetupScrollFreeze(2, 1);
    ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_DefaultSort);
    ImGui::TableSetupColumn("head");
    ImGui::TableSetupColumn("prev", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("dup", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("induction", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("first", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("dist");
    ImGui::TableSetupColumn("entropy");
    ImGui::TableSetupColumn("label");
    ImGui::TableHeadersRow();
    update_order(roles, in.trace_id, state);

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(state.order.size()));
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        const HeadRole& role = roles.roles[state.order[row]];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        const bool selected = role.layer == view.layer && role.head == view.head;
        char id[32];
        std::snprintf(id, sizeof id, "%d##role%d", role.layer, state.order[row]);
        if (ImGui::Selectable(id, selected, ImGuiSelectableFlags_SpanAllColumns))
          out.push_back(action::SelectHead{role.layer, role.head});
        ImGui::TableNextColumn();
        ImGui::Text("%d", role.head);
        ImGui::TableNextColumn();
        score_cell(role.previous_token);
        ImGui::TableNextColumn();
        score_cell(role.duplicate_token);
        ImGui::TableNextColumn();
        score_cell(role.induction);
        ImGui::TableNextColumn();
        score_cell(role.first_token_share);
        ImGui::TableNextColumn();
        ImGui::Text("%.1f", role.mean_distance);
        ImGui::TableNextColumn();
        ImGui::Text("%.2f", role.mean_entropy);
        ImGui::TableNextColumn();
        ImGui::TextColored(to_imvec4(role_color(role.label, view.theme)), "%s", role.label.c_str());
      }
    }
    ImGui::EndTable();
  }
  ImGui::PushTextWrapPos(0.0f);
  if (in.probe_ready)
    ImGui::TextDisabled("induction: the probe's score (first token + %d random tokens, twice)",
                        in.probe_repeat);
  ImGui::PopTextWrapPos();
  ImGui::End();
}

}  // namespace attnviz::ui

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
  kEffect,
  kPrevious,
  kDuplicate,
  kInduction,
  kFirst,
  kDistance,
  kEntropy,
  kLabel,
  kColumnCount
};

double sort_key(const HeadRole& role, int column, const std::vector<HeadImportance>* importance,
                int heads) {
  switch (column) {
    case kEffect: {
      const size_t index = static_cast<size_t>(role.layer) * heads + role.head;
      return importance && index < importance->size() ? (*importance)[index].delta_log_p() : 0.0;
    }
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
void update_order(const HeadRoleTable& roles, uint64_t print, HeadRolesPanelState& state,
                  const std::vector<HeadImportance>* importance) {
  const size_t count = roles.roles.size();
  bool dirty = state.order.size() != count || state.sorted_trace != print ||
               state.sorted_importance != importance;
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
  state.sorted_importance = importance;
  state.order.resize(count);
  std::iota(state.order.begin(), state.order.end(), 0);
  const int column = state.sort_column;
  const bool descending = state.sort_descending;
  std::stable_sort(state.order.begin(), state.order.end(), [&](int a, int b) {
    const HeadRole& x = roles.roles[a];
    const HeadRole& y = roles.roles[b];
    if (column == kLabel) return descending ? x.label > y.label : x.label < y.label;
    const double kx = sort_key(x, column, importance, roles.heads),
                 ky = sort_key(y, column, importance, roles.heads);
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

// Δ log p of one head: a red bar to the left for a head the prediction needs, green to the
// right for one whose removal helps it; the probabilities in the tooltip.
void effect_cell(const HeadImportance& h, const std::string& target) {
  const double delta = h.delta_log_p();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = ImGui::GetTextLineHeight();
  const float share = static_cast<float>(std::min(1.0, std::abs(delta) / 3.0));
  ImGui::GetWindowDrawList()->AddRectFilled(
      at, ImVec2(at.x + width * share, at.y + height),
      delta < 0 ? IM_COL32(220, 80, 70, 110) : IM_COL32(80, 170, 90, 110));
  ImGui::Text("%+.3f", delta);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("head %d.%d switched off alone: p(\"%s\") %.4f -> %.4f\n"
                      "log p changes by %+.3f",
                      h.layer, h.head, target.c_str(), h.before, h.after, delta);
}

// "Rank heads": the target, zero or mean, the button; or the ranking's progress and Cancel.
void draw_rank_controls(const HeadRolesPanelInput& in, HeadRolesPanelState& state, Actions& out) {
  if (in.rank_total > 0) {
    char label[64];
    std::snprintf(label, sizeof label, "%d of %d runs", in.rank_done, in.rank_total);
    ImGui::ProgressBar(static_cast<float>(in.rank_done) / static_cast<float>(in.rank_total),
                       ImVec2(ImGui::GetContentRegionAvail().x * 0.6f, 0), label);
    name_item("rank_progress");
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) out.push_back(action::CancelRankHeads{});
    name_item("rank_cancel");
    return;
  }
  if (in.rank_position < 0 || in.rank_targets.empty()) {
    ImGui::TextDisabled("Rank heads: a model with an LM head ranks them by their effect on a "
                        "prediction.");
    return;
  }
  state.target_choice =
      std::clamp(state.target_choice, 0, static_cast<int>(in.rank_targets.size()) - 1);
  const auto& [target, text] = in.rank_targets[state.target_choice];
  const bool rank = ImGui::Button("Rank heads");
  name_item("rank_heads");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Switch each head off alone (%d runs of the text) and fill the effect "
                      "column: the change in log p(\"%s\") after \"%s\" (%d). Sort it to put "
                      "the heads this prediction needs first.",
                      in.roles ? in.roles->layers * in.roles->heads : 0, text.c_str(),
                      in.rank_position_text.c_str(), in.rank_position);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("\"abcdefghij\"  ").x);
  if (ImGui::BeginCombo("##rank_target", ("\"" + text + "\"").c_str())) {
    for (int i = 0; i < static_cast<int>(in.rank_targets.size()); ++i) {
      const std::string item = "\"" + in.rank_targets[i].second + "\"";
      if (ImGui::Selectable((item + "##" + std::to_string(i)).c_str(), i == state.target_choice))
        state.target_choice = i;
    }
    ImGui::EndCombo();
  }
  name_item("rank_target");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("mean").x + ImGui::GetFrameHeight() +
                          ImGui::GetStyle().FramePadding.x * 2.0f);
  ImGui::Combo("##rank_kind", &state.kind, "zero\0mean\0");
  name_item("rank_kind");
  if (rank)
    out.push_back(action::RankHeads{in.rank_position, target, text,
                                    state.kind == 1 ? HeadAblation::Kind::kMean
                                                    : HeadAblation::Kind::kZero});
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
  draw_rank_controls(in, state, out);
  if (!in.importance_caption.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled("effect: %s", in.importance_caption.c_str());
    ImGui::PopTextWrapPos();
    name_item("importance_caption");
  }
  if (!in.importance_note.empty()) ImGui::TextDisabled("Rank heads: %s.", in.importance_note.c_str());
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
    ImGui::TableSetupColumn("effect", ImGuiTableColumnFlags_PreferSortAscending);
    ImGui::TableSetupColumn("prev", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("dup", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("induction", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("first", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("dist");
    ImGui::TableSetupColumn("entropy");
    ImGui::TableSetupColumn("label");
    ImGui::TableHeadersRow();
    update_order(roles, in.trace_id, state, in.importance);
    const std::string target = in.importance_caption.empty() ? "" : in.importance_target;

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
        const size_t index = static_cast<size_t>(role.layer) * roles.heads + role.head;
        if (in.importance && index < in.importance->size()) {
          effect_cell((*in.importance)[index], target);
          name_item("effect." + std::to_string(role.layer) + "." + std::to_string(role.head));
        } else {
          ImGui::TextDisabled("-");
        }
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

#include "ui/panel_heads.h"

#include <imgui.h>

#include <algorithm>
#include <optional>
#include <string>

#include "core/analysis/ablation.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

void step_layer(ViewSpec& view, int layers, int delta) {
  if (layers <= 0) return;
  view.layer = std::clamp(view.layer + delta, 0, layers - 1);
}

void click_head(ViewSpec& view, int head, int heads) {
  if (head < 0 || head >= heads) return;
  if (static_cast<int>(view.enabled_heads.size()) != heads) view.enabled_heads.assign(heads, 1);
  if (view.head_mode == HeadMode::kSingleHead) {
    view.head = head;
    return;
  }
  view.enabled_heads[head] = view.enabled_heads[head] ? 0 : 1;
  view.head = head;
}

void solo_head(ViewSpec& view, int head, int heads) {
  if (head < 0 || head >= heads) return;
  view.enabled_heads.assign(heads, 0);
  view.enabled_heads[head] = 1;
  view.head = head;
}

void cycle_head_mode(ViewSpec& view) {
  view.head_mode = next_head_mode(view.head_mode);
}

std::string short_role_label(const std::string& label) {
  if (label == "induction") return "ind";
  if (label == "mixed") return "mix";
  return label;
}

std::string layer_window_label(const AttentionTrace& trace, int layer) {
  bool any = false;
  for (int l = 0; l < trace.layers(); ++l) any = any || trace.window(l) > 0;
  if (!any || layer < 0 || layer >= trace.layers()) return "";
  const int window = trace.window(layer);
  return window > 0 ? "local (window " + std::to_string(window) + ")" : "global";
}

std::string kv_group_label(const AttentionTrace& trace, int kv_head) {
  const int group = std::max(1, trace.heads() / std::max(1, trace.kv_heads()));
  std::string label = "kv " + std::to_string(kv_head) + ":";
  for (int h = kv_head * group; h < (kv_head + 1) * group && h < trace.heads(); ++h)
    label += " h" + std::to_string(h);
  return label;
}

namespace {

// The role of (layer, head) in the table, or null when the table is missing or of another model.
const HeadRole* role_of(const HeadRoleTable* roles, int layer, int head) {
  if (!roles || layer < 0 || layer >= roles->layers || head < 0 || head >= roles->heads ||
      roles->roles.size() != static_cast<size_t>(roles->layers) * roles->heads ||
      roles->at(layer, head).label.empty())
    return nullptr;
  return &roles->at(layer, head);
}

void draw_layer_selector(const ViewSpec& view, const HeadsPanelInput& context, Actions& out) {
  ImGui::AlignTextToFramePadding();
  ImGui::Text("Layer");
  ImGui::SameLine();
  if (ImGui::ArrowButton("##layer_down", ImGuiDir_Left)) out.push_back(action::StepLayer{-1});
  name_item("layer_down");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(60.0f, ImGui::GetContentRegionAvail().x - 40 * context.ui_scale));
  int layer = view.layer;
  std::string format = "layer %d";
  if (context.trace) {
    const std::string window = layer_window_label(*context.trace, view.layer);
    if (!window.empty()) format += " \xC2\xB7 " + window;
  }
  if (ImGui::SliderInt("##layer", &layer, 0, std::max(0, context.layers - 1), format.c_str())) {
    ViewSpec edited = view;
    edited.layer = std::clamp(layer, 0, std::max(0, context.layers - 1));
    out.push_back(action::SetView{edited});
  }
  ImGui::SameLine();
  if (ImGui::ArrowButton("##layer_up", ImGuiDir_Right)) out.push_back(action::StepLayer{+1});
  name_item("layer_up");
}

void draw_mode_selector(const ViewSpec& view, Actions& out) {
  // One radio per mode, wrapping to a second line when the column is narrow.
  const ImGuiStyle& style = ImGui::GetStyle();
  float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
  bool first = true;
  for (const HeadModeInfo& mode : head_modes()) {
    const float width = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x +
                        ImGui::CalcTextSize(mode.label).x;
    if (!first) {
      ImGui::SameLine();
      if (ImGui::GetCursorScreenPos().x + width > right) ImGui::NewLine();
    }
    first = false;
    if (ImGui::RadioButton(mode.label, view.head_mode == mode.mode))
      out.push_back(action::SetHeadMode{mode.mode});
    name_item(std::string("mode_") + mode.key);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", mode.description);
  }
}

// The right-click menu of head (layer, head): switch it off by zero or mean ablation, or back
// on; switch every head back on. Each choice is the app's what-ifs with that change.
void draw_ablation_menu(int layer, int head, const HeadAblation* ablated,
                        const RunOptions& options, Actions& out) {
  ImGui::TextDisabled("head %d.%d in the model", layer, head);
  auto with = [&](std::optional<HeadAblation::Kind> kind) {
    RunOptions next = options;
    std::erase_if(next.ablations, [&](const HeadAblation& a) {
      return a.layer == layer && a.head == head;
    });
    if (kind) next.ablations.push_back({layer, head, *kind});
    out.push_back(action::SetRunOptions{next});
  };
  const bool zero = ablated && ablated->kind == HeadAblation::Kind::kZero;
  const bool mean = ablated && ablated->kind == HeadAblation::Kind::kMean;
  if (ImGui::MenuItem("Switch off: output zero", nullptr, zero, !zero))
    with(HeadAblation::Kind::kZero);
  name_item("ablate_zero");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("zero ablation: the head's output z (before W_O) becomes 0");
  if (ImGui::MenuItem("Switch off: output its mean", nullptr, mean, !mean))
    with(HeadAblation::Kind::kMean);
  name_item("ablate_mean");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("mean ablation: z becomes its mean over this text's positions");
  if (ImGui::MenuItem("Switch back on", nullptr, false, ablated != nullptr)) with(std::nullopt);
  name_item("ablate_off");
  if (ImGui::MenuItem("Switch every head back on", nullptr, false, !options.ablations.empty())) {
    RunOptions next = options;
    next.ablations.clear();
    out.push_back(action::SetRunOptions{next});
  }
  name_item("ablate_none");
}

void draw_head_toggles(const ViewSpec& view, const HeadsPanelInput& context, Actions& out) {
  const float size = ImGui::GetFrameHeight() * 1.25f;
  // With roles, each toggle is a little wider and taller: the number above, the role below.
  const bool with_roles = role_of(context.roles, view.layer, 0) != nullptr;
  float width = size;
  for (int h = 0; with_roles && h < context.heads; ++h) {
    if (const HeadRole* role = role_of(context.roles, view.layer, h))
      width = std::max(width, ImGui::CalcTextSize(short_role_label(role->label).c_str()).x + 8 * context.ui_scale);
  }
  const float height = with_roles ? size + ImGui::GetTextLineHeight() * 0.8f : size;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float avail = ImGui::GetContentRegionAvail().x;
  const int per_row = std::max(1, static_cast<int>((avail + spacing) / (width + spacing)));
  const bool single = view.head_mode == HeadMode::kSingleHead;
  // Grouped-query attention: one line per kv head, "kv g:" then the query heads reading it.
  const int kv_heads = context.trace && context.trace->heads() == context.heads
                           ? std::max(1, context.trace->kv_heads())
                           : context.heads;
  const int group = kv_heads < context.heads ? context.heads / kv_heads : 1;
  int in_row = 0;
  for (int h = 0; h < context.heads; ++h) {
    if (group > 1 && h % group == 0) {
      ImGui::AlignTextToFramePadding();
      const std::string kv = "kv " + std::to_string(h / group) + ":";
      ImGui::TextDisabled("%s", kv.c_str());
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s share one key/value head",
                          kv_group_label(*context.trace, h / group).c_str());
      name_item("kv_group." + std::to_string(h / group));
      ImGui::SameLine();
      in_row = 0;
    } else if (in_row % per_row != 0) {
      ImGui::SameLine();
    }
    ++in_row;
    const bool on = single ? h == view.head : view.head_enabled(h);
    const Rgba color = head_color(h, context.heads, view.theme);
    const Rgba fill = on ? color : mix(color, theme_colors(view.theme).chip, 0.8f);
    ImGui::PushID(h);
    ImGui::PushStyleColor(ImGuiCol_Button, to_imvec4(fill));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, to_imvec4(with_alpha(color, 0.85f)));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, to_imvec4(color));
    ImGui::PushStyleColor(ImGuiCol_Text, luminance(fill) > 0.5f ? ImVec4{0.05f, 0.05f, 0.05f, 1}
                                                                : ImVec4{0.95f, 0.95f, 0.95f, 1});
    const std::string label = std::to_string(h);
    const HeadRole* role = role_of(context.roles, view.layer, h);
    // The first click of a double-click toggles the head; the second click's release solos it
    // (and must not toggle it again: that left every head off, issue 11).
    if (ImGui::Button(role ? "##head" : label.c_str(), {width, height})) {
      if (ImGui::GetIO().MouseClickedLastCount[ImGuiMouseButton_Left] >= 2)
        out.push_back(action::SoloHead{h});
      else
        out.push_back(action::ClickHead{h});
    }
    if (role) {
      // Number and role centred in the button, in the button's text colour.
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      const std::string short_label = short_role_label(role->label);
      const ImVec2 number = ImGui::CalcTextSize(label.c_str());
      const ImVec2 text = ImGui::CalcTextSize(short_label.c_str());
      const float gap = (height - number.y - text.y) / 3.0f;
      ImDrawList* draw_list = ImGui::GetWindowDrawList();
      const ImU32 ink = ImGui::GetColorU32(ImGuiCol_Text);
      draw_list->AddText({(a.x + b.x - number.x) * 0.5f, a.y + gap}, ink, label.c_str());
      draw_list->AddText({(a.x + b.x - text.x) * 0.5f, b.y - gap - text.y}, ink, short_label.c_str());
    }
    const HeadAblation* ablated = nullptr;
    if (context.run_options)
      for (const HeadAblation& a : context.run_options->ablations)
        if (a.layer == view.layer && a.head == h) ablated = &a;
    if (ablated) {  // switched off in the model: struck out
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      ImGui::GetWindowDrawList()->AddLine({a.x + 3, b.y - 3}, {b.x - 3, a.y + 3},
                                          IM_COL32(230, 60, 50, 255), 2.5f);
    }
    if (context.run_options && ImGui::BeginPopupContextItem("ablate")) {
      draw_ablation_menu(view.layer, h, ablated, *context.run_options, out);
      ImGui::EndPopup();
    }
    if (on && view.head == h && !single) {  // the focused head: a ring
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      ImGui::GetWindowDrawList()->AddRect({a.x - 2, a.y - 2}, {b.x + 2, b.y + 2},
                                          ImGui::GetColorU32(ImGuiCol_Text), 4.0f, 0, 1.5f);
    }
    ImGui::PopStyleColor(4);
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::Text("head %d of layer %d\nclick: %s \xC2\xB7 double-click: solo \xC2\xB7 key %d", h, view.layer,
                  single ? "show this head" : "toggle", h + 1);
      if (ablated)
        ImGui::TextColored(ImVec4(0.95f, 0.45f, 0.4f, 1.0f),
                           "switched off in the model (%s ablation): right-click to switch it on",
                           ablation_kind_key(ablated->kind));
      else if (context.run_options)
        ImGui::TextDisabled("right-click: switch it off in the model (ablation)");
      if (group > 1)
        ImGui::Text("reads kv head %d (%s)", h / group,
                    kv_group_label(*context.trace, h / group).c_str());
      if (role) {
        ImGui::Separator();
        ImGui::Text("role: %s", role->label.c_str());
        ImGui::Text("prev %.3f \xC2\xB7 dup %.3f \xC2\xB7 induction %.3f", role->previous_token,
                    role->duplicate_token, role->induction);
        ImGui::Text("first %.3f \xC2\xB7 self %.3f \xC2\xB7 dist %.1f \xC2\xB7 entropy %.2f", role->first_token_share,
                    role->self_share, role->mean_distance, role->mean_entropy);
      }
      ImGui::EndTooltip();
    }
    name_item("head." + std::to_string(h));
    ImGui::PopID();
  }
  if (ImGui::SmallButton("all")) out.push_back(action::SetAllHeads{true});
  name_item("heads_all");
  ImGui::SameLine();
  if (ImGui::SmallButton("none")) out.push_back(action::SetAllHeads{false});
  name_item("heads_none");
  ImGui::SameLine();
  int enabled = 0;
  for (int h = 0; h < context.heads; ++h) enabled += view.head_enabled(h);
  ImGui::TextDisabled("%d of %d heads on", enabled, context.heads);
}

}  // namespace

void draw_heads_panel(const HeadsPanelInput& context, Actions& out) {
  const ViewSpec& view = *context.spec;
  if (!ImGui::Begin("Layers & heads", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  if (context.layers == 0 || context.heads == 0) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", context.waiting.c_str());
    ImGui::PopTextWrapPos();
    ImGui::End();
    return;
  }
  draw_layer_selector(view, context, out);
  draw_mode_selector(view, out);
  draw_head_toggles(view, context, out);
  ImGui::End();
}

}  // namespace attnviz::ui

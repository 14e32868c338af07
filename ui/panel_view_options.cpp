#include "ui/panel_view_options.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "ui/layout_hook.h"

namespace attnviz::ui {
namespace {

// The derived token that now shows raw token `raw`: the one containing it, else (it is hidden)
// the next one, else the last one.
int follow_raw_token(const DerivedTrace& derived, int raw) {
  const int index = derived.derived_index(raw);
  if (index >= 0) return index;
  const int count = static_cast<int>(derived.source_first.size());
  for (int i = 0; i < count; ++i)
    if (derived.source_end[i] > raw) return i;
  return count - 1;
}

void remap_token(std::optional<int>& token, const DerivedTrace& before, const DerivedTrace& after) {
  if (!token) return;
  if (*token < 0 || *token >= static_cast<int>(before.source_first.size())) {
    token.reset();
    return;
  }
  const int next = follow_raw_token(after, before.source_first[*token]);
  if (next < 0) {
    token.reset();
  } else {
    token = next;
  }
}

// The heads whose absorbed share the readout averages: the selected head in single-head mode,
// the enabled heads of the layer in the layer modes, every head of every layer across layers.
struct AbsorbedScope {
  std::vector<std::pair<int, int>> heads;  // (layer, head)
  std::string label;
};

AbsorbedScope absorbed_scope(const AttentionTrace& trace, const ViewSpec& view) {
  AbsorbedScope scope;
  const int layer = std::min(view.layer, trace.layers() - 1);
  const HeadModeInfo& mode = head_mode_info(view.head_mode);
  if (mode.whole_model) {
    for (int l = 0; l < trace.layers(); ++l)
      for (int h = 0; h < trace.heads(); ++h) scope.heads.emplace_back(l, h);
    scope.label = "all layers and heads";
  } else if (!mode.uses_enabled_heads) {
    scope.heads.emplace_back(layer, std::min(view.head, trace.heads() - 1));
    scope.label = "layer " + std::to_string(layer) + " head " + std::to_string(view.head);
  } else {
    for (int h = 0; h < trace.heads(); ++h)
      if (view.head_enabled(h)) scope.heads.emplace_back(layer, h);
    scope.label = "layer " + std::to_string(layer) + ", enabled heads";
  }
  return scope;
}

// Who was hidden, for the readout: "token 0", "the hidden token", "the 2 hidden tokens".
std::string hidden_label(const DerivedTrace& derived) {
  const bool first_hidden = derived.source_first.empty() || derived.source_first.front() != 0;
  if (derived.hidden_count == 1) return first_hidden ? "token 0" : "the hidden token";
  return "the " + std::to_string(derived.hidden_count) + " hidden tokens";
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first == std::string::npos ? text : text.substr(first);
}

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * share);
  return text;
}

}  // namespace

void follow_raw_tokens(const DerivedTrace& before, const DerivedTrace& after, ViewSpec& spec,
                       Pointer& pointer) {
  remap_token(spec.pinned_token, before, after);
  remap_token(pointer.hovered_token, before, after);
  remap_token(pointer.hovered_key, before, after);
}

std::string absorbed_summary(const DerivedTrace& derived, const ViewSpec& view) {
  if (derived.absorbed.empty() || !derived.trace || derived.trace->tokens_count() == 0) return "";
  const AbsorbedScope scope = absorbed_scope(*derived.trace, view);
  if (scope.heads.empty()) return "";
  double sum = 0.0;
  for (auto [l, h] : scope.heads) sum += derived.mean_absorbed(l, h);
  return hidden_label(derived) + " absorbed " + percent(sum / scope.heads.size()) +
         " of attention on average (" + scope.label + ")";
}

void draw_view_options_window(const ViewSpec& spec, const Pointer& pointer,
                              const DerivedTrace* derived, Actions& out) {
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  if (!ImGui::Begin("##view_options", nullptr, flags)) {
    ImGui::End();
    return;
  }
  ViewSpec edited = spec;
  bool changed = ImGui::Checkbox("Merge sub-words into words", &edited.merge_words);
  name_item("view_merge_words");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("Hide first token", &edited.hide_first);
  name_item("view_hide_first");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("Hide special tokens", &edited.hide_special);
  name_item("view_hide_special");
  // Second line: the weights switch (ViewSpec::weights), what every view and export shows.
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Weights:");
  struct Choice {
    Weights weights;
    const char* label;
    const char* item;
    const char* tip;
  };
  static constexpr Choice kChoices[] = {
      {Weights::kRaw, "Raw", "view_weights_raw", "raw attention \xCE\xB1: where each head looks"},
      {Weights::kValue, "Value", "view_weights_value",
       "value-weighted \xE2\x80\x96\xCE\xB1\xC2\xB7vW_O\xE2\x80\x96 (Kobayashi et al. 2020): "
       "what each head moves from each key,\nnormalized per query row"},
      {Weights::kRollout, "Rollout", "view_weights_rollout",
       "attention rollout (Abnar & Zuidema 2020) through every layer: the rollout head mode"},
  };
  const Weights current = spec.weights();
  for (const Choice& choice : kChoices) {
    ImGui::SameLine();
    if (ImGui::RadioButton(choice.label, current == choice.weights) && current != choice.weights) {
      edited.set_weights(choice.weights);
      changed = true;
    }
    name_item(choice.item);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", choice.tip);
  }
  if (changed) out.push_back(action::SetView{edited});

  // After it: where the hidden tokens' attention went, then what the view changed (on the
  // same line when it fits).
  bool line_started = false;
  if (derived && !derived->absorbed.empty() && derived->trace) {
    ImGui::SameLine(0, 16);
    ImGui::TextUnformatted(absorbed_summary(*derived, spec).c_str());
    line_started = true;
    if (auto query = active_query(spec, pointer);
        query && *query < derived->trace->tokens_count()) {
      const AbsorbedScope scope = absorbed_scope(*derived->trace, spec);
      double sum = 0.0;
      for (auto [l, h] : scope.heads) sum += derived->absorbed_share(l, h, *query);
      if (!scope.heads.empty()) {
        ImGui::SameLine(0, 12);
        ImGui::Text("\xC2\xB7 from \xE2\x80\x9C%s\xE2\x80\x9D: %s",
                    trimmed(derived->trace->tokens()[*query].text).c_str(),
                    percent(sum / scope.heads.size()).c_str());
      }
    }
  }
  // What the view changed: a tooltip of the absorbed line, or the second line itself when
  // nothing is hidden (the bar keeps to two lines).
  if (derived && derived->derived) {
    const std::string note = "view: " + derived->description +
                             (derived->raw_tokens ? "" : " (words and kept tokens only)");
    if (line_started) {
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", note.c_str());
    } else {
      ImGui::SameLine(0, 16);
      ImGui::TextDisabled("%s", note.c_str());
    }
  }
  ImGui::End();
}

void draw_inspector_needs_raw_tokens(const ViewSpec& spec, const std::string& description,
                                     Actions& out) {
  if (ImGui::Begin("Inspector", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::TextWrapped(
        "The inspector shows the arithmetic of one score (q \xC2\xB7 k, softmax) on the model's "
        "own tokens. The view now shows %s, which the model never computed as such.",
        description.c_str());
    if (ImGui::Button("Show the raw tokens")) {
      ViewSpec edited = spec;
      edited.merge_words = edited.hide_first = edited.hide_special = false;
      out.push_back(action::SetView{edited});
    }
  }
  ImGui::End();
}

void draw_view_options_menu(const ViewSpec& spec, Actions& out) {
  ViewSpec edited = spec;
  bool changed = ImGui::MenuItem("Merge sub-words into words", "W", &edited.merge_words);
  changed |= ImGui::MenuItem("Hide first token", nullptr, &edited.hide_first);
  changed |= ImGui::MenuItem("Hide special tokens", nullptr, &edited.hide_special);
  if (changed) out.push_back(action::SetView{edited});
}

}  // namespace attnviz::ui

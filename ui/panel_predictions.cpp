#include "ui/panel_predictions.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "core/view/map_geometry.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

// Before -> after for each token either run ranks high; a click appends it as a row does.
void draw_prediction_changes(const PredictionChangesInput& input, const std::string* actual,
                             bool can_append, Actions& out) {
  if (!input.changes) {
    if (!input.note.empty()) {
      ImGui::TextDisabled("No before \xE2\x86\x92 after: %s.", input.note.c_str());
    } else {
      ImGui::TextDisabled("running the model without the ablation for before \xE2\x86\x92 after\xE2\x80\xA6");
    }
    return;
  }
  ImGui::TextDisabled("after the ablation (before it, the change):");
  const float bar_width = std::max(60.0f, ImGui::GetContentRegionAvail().x * 0.45f);
  for (size_t i = 0; i < input.changes->size(); ++i) {
    const PredictionChange& change = (*input.changes)[i];
    ImGui::PushID(static_cast<int>(i));
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float height = ImGui::GetTextLineHeightWithSpacing();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const bool follows = actual != nullptr && change.text == *actual;
    draw->AddRectFilled(at, ImVec2(at.x + bar_width * std::clamp(change.after, 0.0f, 1.0f), at.y + height),
                        follows ? IM_COL32(80, 160, 90, 150) : IM_COL32(70, 110, 190, 150));
    // Where the bar ended before the ablation: a tick.
    const float was = at.x + bar_width * std::clamp(change.before, 0.0f, 1.0f);
    draw->AddLine(ImVec2(was, at.y), ImVec2(was, at.y + height), IM_COL32(240, 200, 80, 255), 2.0f);
    char label[200];
    std::snprintf(label, sizeof label, "%5.1f%%  %-12s (%4.1f%%, %+.1f)", 100.0 * change.after,
                  token_label(change.text, 24).c_str(), 100.0 * change.before,
                  100.0 * (change.after - change.before));
    if (ImGui::Selectable(label, false) && can_append) out.push_back(action::AppendText{change.text});
    name_item("prediction_change." + std::to_string(i));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("p(\"%s\"): %.4f in the model's own run, %.4f with the heads switched off",
                        token_label(change.text, 32).c_str(), change.before, change.after);
    ImGui::PopID();
  }
}

void draw_predictions_contents(const AttentionTrace& trace, const ViewSpec& view, bool can_append,
                               Actions& out, const PredictionChangesInput* changes) {
  const int tokens = trace.tokens_count();
  if (tokens == 0) {
    ImGui::TextDisabled("Type some text to see what the model predicts next.");
    name_item("predictions_type_text");
    return;
  }
  if (trace.predictions.empty()) {
    ImGui::TextWrapped(
        "No next-token predictions: this model has no language-model head "
        "(e.g. BERT), or the attention was imported.");
    name_item("predictions_no_lm_head");
    return;
  }
  int position = tokens - 1;
  if (view.pinned_token && *view.pinned_token < tokens) position = *view.pinned_token;
  position = std::min(position, static_cast<int>(trace.predictions.size()) - 1);
  const std::string after = token_label(trace.tokens()[position].text, 24);
  ImGui::Text("After \"%s\" (%d) the model predicts:", after.c_str(), position);
  const bool last = position == tokens - 1;
  const std::string* actual = last ? nullptr : &trace.tokens()[position + 1].text;
  if (actual != nullptr)
    ImGui::TextDisabled("the text continues with \"%s\"", token_label(*actual, 24).c_str());
  if (!trace.options.reproduces_model())
    ImGui::TextColored(ImVec4(0.95f, 0.55f, 0.3f, 1.0f), "(under a what-if: not the real model)");
  if (changes && !trace.options.ablations.empty()) {
    if (changes->position == position) {
      draw_prediction_changes(*changes, actual, can_append, out);
    } else {
      draw_prediction_changes({}, actual, can_append, out);
    }
    return;
  }

  const float bar_width = std::max(60.0f, ImGui::GetContentRegionAvail().x * 0.45f);
  const auto& predictions = trace.predictions[position];
  // A few milliseconds after the attention of a run, the LM head's answer arrives.
  if (predictions.empty()) ImGui::TextDisabled("computing\xE2\x80\xA6");
  const int selected = predictions.empty() ? -1 : 0;
  int hovered = -1;
  for (size_t i = 0; i < predictions.size(); ++i) {
    const Prediction& prediction = predictions[i];
    ImGui::PushID(static_cast<int>(i));
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float height = ImGui::GetTextLineHeightWithSpacing();
    // The probability bar sits behind the row's text.
    ImGui::GetWindowDrawList()->AddRectFilled(
        at,
        ImVec2(at.x + bar_width * std::clamp(prediction.probability, 0.0f, 1.0f), at.y + height),
        actual != nullptr && prediction.text == *actual ? IM_COL32(80, 160, 90, 150)
                                                        : IM_COL32(70, 110, 190, 150));
    char label[160];
    std::snprintf(label, sizeof label, "%5.1f%%  %s", 100.0 * prediction.probability,
                  token_label(prediction.text, 32).c_str());
    const bool chosen = ImGui::Selectable(label, static_cast<int>(i) == selected, 0, ImVec2(0, 0));
    if (ImGui::IsItemHovered()) hovered = static_cast<int>(i);
    if (ImGui::IsItemHovered() && can_append)
      ImGui::SetTooltip("append \"%s\" to the text (click or Enter)",
                        token_label(prediction.text, 32).c_str());
    if (chosen && can_append) out.push_back(action::AppendText{prediction.text});
    ImGui::PopID();
  }
  // Enter appends the selected prediction: the row under the mouse, else the most likely one
  // (drawn selected), while the mouse or the focus is on this panel and no text field has it.
  const ImGuiIO& io = ImGui::GetIO();
  const bool here = ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows) ||
                    ImGui::IsWindowFocused(ImGuiFocusedFlags_ChildWindows);
  const int target = hovered >= 0 ? hovered : selected;
  if (can_append && here && target >= 0 && target < static_cast<int>(predictions.size()) &&
      !io.WantTextInput && !io.KeyCtrl && !io.KeyAlt &&
      (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false) ||
       ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_KeyPadEnter), false)))
    out.push_back(action::AppendText{predictions[target].text});
}

}  // namespace

void draw_predictions_panel(const AttentionTrace& trace, const ViewSpec& spec, bool can_append,
                            Actions& out, const PredictionChangesInput* changes) {
  if (ImGui::Begin("Predictions")) {
    ImGui::PushTextWrapPos(0.0f);  // lines wrap at the column's edge
    draw_predictions_contents(trace, spec, can_append, out, changes);
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui

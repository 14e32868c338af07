#include "ui/panel_text.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "ui/chips.h"
#include "ui/selection.h"
#include "ui/view_weights.h"

namespace attnviz::ui {

namespace {

void update_received(ReceivedCache& cache, const AttentionTrace& trace, const ViewState& view) {
  std::vector<char> heads = view.enabled_heads;
  if (view.head_mode == HeadMode::kSingleHead) heads.assign(1, static_cast<char>(view.head));
  if (cache.trace == &trace && cache.layer == view.layer && cache.heads == heads) return;
  cache.trace = &trace;
  cache.layer = view.layer;
  cache.heads = heads;
  cache.received.resize(trace.tokens_count());
  received_attention(trace, view, cache.received);
  cache.max_received = 0.0f;
  for (float v : cache.received) cache.max_received = std::max(cache.max_received, v);
}

// Short button label of an example text.
std::string example_label(const std::string& text) {
  constexpr size_t kMax = 34;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

void draw_examples(TextState& text, bool read_only) {
  if (text.examples.empty() || read_only) return;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  if (ImGui::BeginCombo("##examples", "Example texts", ImGuiComboFlags_HeightLarge)) {
    for (size_t i = 0; i < text.examples.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      const bool titled = i < text.example_titles.size() && !text.example_titles[i].empty();
      const std::string label = titled ? text.example_titles[i] : example_label(text.examples[i]);
      if (ImGui::Selectable(label.c_str(), text.text == text.examples[i])) {
        text.text = text.examples[i];
        text.changed = true;
      }
      if (ImGui::IsItemHovered() && (titled || text.examples[i].size() > 34)) {
        ImGui::SetTooltip("%s", text.examples[i].c_str());
      }
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  if (ImGui::Button("Clear")) {
    text.text.clear();
    text.changed = true;
  }
}

void draw_status(const TextState& text, const AttentionTrace* trace) {
  if (text.running && text.running_ms > 100.0) {
    char overlay[48];
    std::snprintf(overlay, sizeof overlay, "running %.0f%%", 100.0f * text.progress);
    ImGui::ProgressBar(text.progress, {-1, 0}, overlay);
  } else if (trace) {
    ImGui::TextDisabled("%d tokens \xC2\xB7 %s \xC2\xB7 %.1f ms", trace->tokens_count(),
                        trace->causal() ? "causal (decoder)" : "bidirectional (encoder)",
                        trace->timings.forward_ms);
    if (trace->timings.reused_positions > 0) {
      ImGui::SameLine();
      ImGui::TextDisabled("\xC2\xB7 %d cached", trace->timings.reused_positions);
    }
  } else {
    ImGui::TextDisabled("waiting for the model\xE2\x80\xA6");
  }
  if (text.truncated_from > 0) {
    ImGui::TextColored({0.95f, 0.7f, 0.2f, 1}, "text cut to the model's %d positions (had %d tokens)",
                       trace ? trace->tokens_count() : 0, text.truncated_from);
  }
  if (!text.run_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored({0.95f, 0.35f, 0.3f, 1}, "%s", text.run_error.c_str());
    ImGui::PopTextWrapPos();
  }
}

void draw_chips(const AttentionTrace& trace, const TextPanelContext& context) {
  ViewState& view = *context.view;
  ChipStyle style;
  style.height = ImGui::GetFontSize() + 6 * context.ui_scale;
  style.padding_x = 5 * context.ui_scale;
  style.light_theme = view.theme == Theme::kLight;
  ImGui::BeginChild("chips", {0, 0}, false);
  FlowParams params;
  params.line_width = std::max(50.0f, ImGui::GetContentRegionAvail().x);
  params.chip_height = style.height;
  params.gap_x = 3 * context.ui_scale;
  params.line_gap = 4 * context.ui_scale;
  update_flow_cache(*context.flow, trace, params, style);
  const FlowLayout& layout = context.flow->layout;
  scroll_to_pin(*context.flow, view.pinned_token, params.line_gap);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("chip_canvas", {params.line_width, std::max(1.0f, layout.height)});
  const bool canvas_hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);

  std::optional<int> under_mouse;
  if (canvas_hovered) {
    const ImVec2 mouse = ImGui::GetMousePos();
    under_mouse = hit_test(layout, {mouse.x - origin.x, mouse.y - origin.y});
  }
  const int tokens = trace.tokens_count();
  if (clicked && under_mouse) apply_selection(view, {SelectionEventKind::kClick, *under_mouse}, tokens);
  if (under_mouse) *context.hover_candidate = under_mouse;

  std::vector<float>& heat = *context.row_scratch;
  chip_heat(trace, view, *context.received, heat);

  // Only the lines inside the scrolled window are drawn and recorded.
  const float scroll_top = ImGui::GetScrollY();
  const float visible = ImGui::GetWindowHeight();
  auto [first, last] = layout.tokens_in_band(scroll_top, scroll_top + visible);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (int i = first; i < last; ++i) {
    const Rect box = layout.boxes[i].translated(origin.x, origin.y);
    draw_chip(draw, box, context.flow->labels[i].c_str(), heat[i], view.pinned_token == i,
              under_mouse == i || view.hovered_token == i, trace.tokens()[i].special, style);
    context.recorder->record("chip." + std::to_string(i), box);
  }
  if (under_mouse) {
    ImGui::BeginTooltip();
    token_tooltip_header(trace.tokens()[*under_mouse], *under_mouse);
    if (auto query = view.active_query()) {
      std::vector<float> weights(tokens);
      ViewState combined = view;
      if (!combines_heads(view.head_mode) && view.head_mode != HeadMode::kSingleHead)
        combined.head_mode = HeadMode::kMeanOfHeads;
      query_weights(trace, combined, *query, view.head, weights);
      ImGui::Text("attention from token %d: %.4f", *query, weights[*under_mouse]);
    } else {
      ImGui::Text("mean attention received: %.4f", context.received->received[*under_mouse]);
    }
    ImGui::TextDisabled("click to pin \xC2\xB7 \xE2\x86\x90 \xE2\x86\x92 move \xC2\xB7 Esc clears");
    ImGui::EndTooltip();
  }
  ImGui::EndChild();
}

}  // namespace

void chip_heat(const AttentionTrace& trace, const ViewState& view, ReceivedCache& received,
               std::vector<float>& out) {
  const int t = trace.tokens_count();
  out.assign(t, 0.0f);
  if (t == 0 || trace.layers() == 0) return;
  if (auto query = view.active_query()) {
    ViewState combined = view;
    if (view.head_mode == HeadMode::kMultiHead) combined.head_mode = HeadMode::kMeanOfHeads;
    query_weights(trace, combined, *query, view.head, out);
  } else {
    update_received(received, trace, view);
    out = received.received;
  }
  const float peak = *std::max_element(out.begin(), out.end());
  if (peak > 0.0f)
    for (float& v : out) v /= peak;
}

void draw_text_panel(TextState& text, const TextPanelContext& context) {
  text.changed = false;
  if (!ImGui::Begin("Text", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  draw_examples(text, context.read_only);
  const float box_height = ImGui::GetTextLineHeight() * 5 + ImGui::GetStyle().FramePadding.y * 2;
  ImGuiInputTextFlags flags = context.read_only ? ImGuiInputTextFlags_ReadOnly : 0;
  if (ImGui::InputTextMultiline("##text", &text.text, {-1, box_height}, flags)) text.changed = true;
  context.recorder->record("text_box", Rect{ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y,
                                            ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y});
  draw_status(text, context.trace);
  ImGui::Separator();
  if (context.trace) draw_chips(*context.trace, context);
  ImGui::End();
}

}  // namespace attnviz::ui

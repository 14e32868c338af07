#include "ui/panel_text.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "core/view/view_weights.h"
#include "ui/figure_painter.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

// Short button label of an example text.
std::string example_label(const std::string& text) {
  constexpr size_t kMax = 34;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

}  // namespace

std::string example_title(const TextState& text, size_t i) {
  if (i < text.example_titles.size() && !text.example_titles[i].empty())
    return text.example_titles[i];
  return example_label(text.examples[i]);
}

namespace {

void draw_examples(const TextState& text, Actions& out) {
  if (text.examples.empty()) return;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  if (ImGui::BeginCombo("##examples", "Example texts", ImGuiComboFlags_HeightLarge)) {
    for (size_t i = 0; i < text.examples.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      const std::string label = example_title(text, i);
      if (ImGui::Selectable(label.c_str(), text.text == text.examples[i]))
        out.push_back(action::SetText{text.examples[i]});
      if (ImGui::IsItemHovered() && label != text.examples[i])
        ImGui::SetTooltip("%s", text.examples[i].c_str());
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  if (ImGui::Button("Clear")) out.push_back(action::SetText{""});
  name_item("text_clear");
}

void draw_status(const TextPanelInput& in, Actions& out) {
  const EngineState& state = *in.state;
  const ThemeColors& colors = theme_colors(in.spec->theme);
  const double running_ms = state.running
                                ? std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - state.run_started)
                                      .count()
                                : 0.0;
  const AttentionTrace* raw = state.raw.trace.get();
  if (state.running && running_ms > 100.0) {
    const std::string overlay = in.run_progress.running && in.run_progress.layers > 0
                                    ? run_progress_label(in.run_progress)
                                    : "running";
    const float cancel_width = ImGui::CalcTextSize("Cancel").x + 2 * ImGui::GetStyle().FramePadding.x;
    ImGui::ProgressBar(in.progress, {-(cancel_width + ImGui::GetStyle().ItemSpacing.x), 0},
                       overlay.c_str());
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) out.push_back(action::CancelRun{});
    name_item("cancel_run");
  } else if (raw) {
    ImGui::TextDisabled("%d tokens \xC2\xB7 %s \xC2\xB7 %.1f ms", raw->tokens_count(),
                        mask_description(*raw).c_str(),
                        raw->timings.forward_ms);
    name_item("text_run_timing");  // a measured time: screenshots that must match mask it
    if (raw->timings.reused_positions > 0) {
      ImGui::SameLine();
      ImGui::TextDisabled("\xC2\xB7 %d cached", raw->timings.reused_positions);
    }
  } else if (state.model && !state.run_note.empty()) {
    ImGui::TextDisabled("no finished run");
  } else {
    ImGui::TextDisabled("waiting for the model\xE2\x80\xA6");
  }
  if (const std::string cut = truncation_message(state); !cut.empty())
    ImGui::TextColored(to_imvec4(colors.warning), "%s", cut.c_str());
  if (!state.run_note.empty() && !state.running)
    ImGui::TextColored(to_imvec4(colors.warning), "%s", state.run_note.c_str());
  if (!state.run_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(to_imvec4(colors.error), "%s", state.run_error.c_str());
    ImGui::PopTextWrapPos();
  }
}

void draw_chips(const TextPanelInput& in, TextPanelState& state, Actions& out) {
  const AttentionReader& reader = *in.reader;
  const ViewSpec& spec = *in.spec;
  const float s = in.ui_scale;
  ImGui::BeginChild("chips", {0, 0}, false);
  const float text_height = ImGui::GetFontSize() / s;
  const ChipLook look = chip_look(in.font, text_height, text_height + 6.0f, 5.0f, spec.theme);
  FlowParams params;
  params.line_width = std::max(50.0f, ImGui::GetContentRegionAvail().x / s);
  params.chip_height = look.height;
  params.gap_x = 3.0f;
  params.line_gap = 4.0f;
  std::vector<float> widths(in.labels->widths);
  for (float& w : widths) w += 2 * look.padding_x;
  const FlowLayout layout = layout_flow(widths, params);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const FigurePainter painter{ImGui::GetWindowDrawList(), origin, s, in.font};
  ImGui::InvisibleButton("chip_canvas", {params.line_width * s, std::max(1.0f, layout.height * s)});
  const bool canvas_hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  std::optional<int> under_mouse;
  if (canvas_hovered) under_mouse = hit_test(layout, painter.to_picture(ImGui::GetMousePos()));
  if (clicked && under_mouse)
    out.push_back(action::Select{{SelectionEventKind::kClick, *under_mouse}});
  if (under_mouse) out.push_back(action::Select{{SelectionEventKind::kHover, *under_mouse}});

  const std::optional<int> query = active_query(spec, *in.pointer);
  std::vector<float> heat;
  chip_heat(reader, spec, in.whole_map, query, in.received, heat);
  // Only the lines inside the scrolled window are drawn and named.
  const float scroll_top = ImGui::GetScrollY() / s;
  auto [first, last] = layout.tokens_in_band(scroll_top, scroll_top + ImGui::GetWindowHeight() / s);
  Figure chips;
  for (int i = first; i < last; ++i) {
    add_chip(chips, layout.boxes[i], in.labels->labels[i], heat[i], spec.pinned_token == i,
             under_mouse == i || in.pointer->hovered_token == i, reader.tokens()[i].special, look);
    name_rect("chip." + std::to_string(i), painter.to_screen_rect(layout.boxes[i]));
  }
  painter.paint(chips);
  // A newly pinned token scrolls into view.
  if (spec.pinned_token && *spec.pinned_token < reader.tokens_count() &&
      *spec.pinned_token != state.scroll.scrolled_to) {
    // The box in the child's scroll coordinates (the canvas starts at its top).
    const Rect& box = layout.boxes[*spec.pinned_token];
    const float top = ImGui::GetScrollY(), bottom = top + ImGui::GetWindowHeight();
    if ((box.y0 * s >= top && box.y1 * s <= bottom) || ++state.scroll.attempts > 4) {
      state.scroll.scrolled_to = *spec.pinned_token;
      state.scroll.attempts = 0;
    } else {
      ImGui::SetScrollY(std::max(0.0f, (box.y0 - params.line_gap) * s));
    }
  } else if (!spec.pinned_token) {
    state.scroll.scrolled_to = -1;
  }
  if (under_mouse) {
    const Token& token = reader.tokens()[*under_mouse];
    ImGui::BeginTooltip();
    ImGui::Text("token %d: \"%s\"", *under_mouse, chip_label(token, 64).c_str());
    ImGui::TextDisabled("%s", token_details(reader.tokens(), static_cast<size_t>(*under_mouse)).c_str());
    if (query) {
      std::vector<float> weights(reader.tokens_count());
      ViewSpec combined = spec;
      if (spec.head_mode == HeadMode::kMultiHead) combined.head_mode = HeadMode::kMeanOfHeads;
      query_weights(reader, combined, in.whole_map, *query, spec.head, weights);
      ImGui::Text("attention from token %d: %.4f", *query, weights[*under_mouse]);
    } else if (static_cast<int>(in.received.size()) > *under_mouse) {
      ImGui::Text("mean attention received: %.4f", in.received[*under_mouse]);
    }
    ImGui::TextDisabled("click to pin \xC2\xB7 \xE2\x86\x90 \xE2\x86\x92 move \xC2\xB7 Esc clears");
    ImGui::EndTooltip();
  }
  ImGui::EndChild();
}

}  // namespace

std::string truncation_message(const EngineState& state) {
  if (!state.input.truncated() || state.imported) return "";
  return "text cut to the model's " + std::to_string(state.input.max_positions) +
         " positions (had " + std::to_string(state.input.had_tokens) + " tokens)";
}

void draw_text_panel(TextState& text, TextPanelState& state, const TextPanelInput& in,
                     Actions& out) {
  if (!ImGui::Begin("Text", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::End();
    return;
  }
  const bool imported = in.state->imported;
  if (!imported) draw_examples(text, out);
  const float box_height = ImGui::GetTextLineHeight() * 5 + ImGui::GetStyle().FramePadding.y * 2;
  if (imported) {
    // The imported file's tokens, read only; the typed text returns with a model.
    state.imported_text.clear();
    if (in.state->raw)
      for (const Token& token : in.state->raw.trace->tokens()) state.imported_text += token.text;
    ImGui::InputTextMultiline("##text", &state.imported_text, {-1, box_height},
                              ImGuiInputTextFlags_ReadOnly);
  } else if (ImGui::InputTextMultiline("##text", &text.text, {-1, box_height})) {
    out.push_back(action::SetText{text.text});
  }
  name_item("text_box");
  draw_status(in, out);
  if (!in.missing_glyphs.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(to_imvec4(theme_colors(in.spec->theme).warning), "%s",
                       in.missing_glyphs.c_str());
    ImGui::PopTextWrapPos();
    name_item("missing_glyphs");
  }
  ImGui::Separator();
  if (in.reader && in.labels) draw_chips(in, state, out);
  ImGui::End();
}

}  // namespace attnviz::ui

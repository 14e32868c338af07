#include "ui/panel_lens.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/view/map_geometry.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

constexpr int kMinWidth = 3, kMaxWidth = 15;

std::string row_label(int row, int rows) {
  if (row == 0) return "embed";
  if (row == rows - 1) return "out " + std::to_string(row);
  return "layer " + std::to_string(row);
}

std::string row_name(int row, int rows) {
  if (row == 0) return "the embeddings";
  if (row == rows - 1) return "layer " + std::to_string(row) + ", the model's output";
  return "after layer " + std::to_string(row);
}

// A cell's background: deeper with the top token's probability; green when that token is the
// one that actually follows (the predictions panel's colours).
ImU32 cell_colour(float probability, bool follows) {
  const int alpha = 30 + static_cast<int>(170.0f * std::clamp(probability, 0.0f, 1.0f));
  return follows ? IM_COL32(80, 160, 90, alpha) : IM_COL32(70, 110, 190, alpha);
}

// The top tokens of one cell with probability bars, and p(the token that follows).
void draw_cell_tokens(const LensCell& cell, const AttentionTrace& raw, int position,
                      float bar_width) {
  const bool has_next = position + 1 < raw.tokens_count();
  const int32_t next_id = has_next ? raw.tokens()[position + 1].id : -1;
  for (const Prediction& p : cell.top) {
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float height = ImGui::GetTextLineHeight();
    ImGui::GetWindowDrawList()->AddRectFilled(
        at, ImVec2(at.x + bar_width * std::clamp(p.probability, 0.0f, 1.0f), at.y + height),
        cell_colour(0.6f, p.id == next_id));
    ImGui::Text("%6.2f%%  %s", 100.0 * p.probability, token_label(p.text, 28).c_str());
  }
  if (has_next)
    ImGui::TextDisabled("p(\"%s\", the token that follows) = %.4f",
                        token_label(raw.tokens()[position + 1].text, 20).c_str(), cell.next);
}

void draw_table(const LensPanelInput& input, LensPanelState& state, Actions& out) {
  const LogitLens& lens = *input.lens;
  const AttentionTrace& raw = *input.raw;
  const float cell_width = ImGui::CalcTextSize("abcdefg 100%").x;
  const float height = std::max(ImGui::GetTextLineHeightWithSpacing() * 4.0f,
                                ImGui::GetContentRegionAvail().y * 0.62f);
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_ScrollX |
                                ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("##lens", 1 + lens.positions(), flags, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed,
                          ImGui::CalcTextSize("layer 00").x);
  for (int q = lens.first; q <= lens.last; ++q)
    ImGui::TableSetupColumn(std::to_string(q).c_str(), ImGuiTableColumnFlags_WidthFixed,
                            cell_width);

  // The header: each position's token; a click pins it (the window then follows).
  ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
  ImGui::TableSetColumnIndex(0);
  ImGui::TextDisabled("token");
  for (int q = lens.first; q <= lens.last; ++q) {
    ImGui::TableSetColumnIndex(1 + q - lens.first);
    ImGui::PushID(q);
    const bool here = q == input.position;
    if (here) {
      ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, IM_COL32(200, 150, 40, 90));
      // A new anchor (a pin, a longer text) scrolls its column into the middle, once.
      if (state.scrolled_to != q) {
        ImGui::SetScrollHereX(0.5f);
        state.scrolled_to = q;
      }
    }
    char label[64];
    std::snprintf(label, sizeof label, "%s", token_label(raw.tokens()[q].text, 10).c_str());
    if (ImGui::Selectable(label, false)) {
      const bool words = input.derived && input.derived->derived && !input.derived->raw_tokens;
      const int view_token = words ? input.derived->derived_index(q) : q;
      if (view_token >= 0)
        out.push_back(action::Select{{SelectionEventKind::kClick, view_token}});
    }
    name_item("lens_header." + std::to_string(q));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("token %d \"%s\"%s", q, token_label(raw.tokens()[q].text, 32).c_str(),
                        here ? (input.pinned ? " (pinned)" : " (the last token)")
                             : ": click to pin it");
    ImGui::PopID();
  }

  // The model's output on top, the embeddings at the bottom: read upwards.
  for (int row = lens.rows - 1; row >= 0; --row) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(row_label(row, lens.rows).c_str());
    for (int q = lens.first; q <= lens.last; ++q) {
      ImGui::TableSetColumnIndex(1 + q - lens.first);
      const LensCell& cell = lens.at(row, q);
      if (cell.top.empty()) continue;
      const Prediction& top = cell.top.front();
      const bool follows = q + 1 < raw.tokens_count() && top.id == raw.tokens()[q + 1].id;
      ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, cell_colour(top.probability, follows));
      char label[80];
      std::snprintf(label, sizeof label, "%s %.0f%%##%d.%d", token_label(top.text, 7).c_str(),
                    100.0 * top.probability, row, q);
      const bool selected = state.row == row && state.position == q;
      if (ImGui::Selectable(label, selected)) {
        state.row = row;
        state.position = q;
      }
      name_item("lens_cell." + std::to_string(row) + "." + std::to_string(q));
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s, at \"%s\" (%d): the next token would be", row_name(row, lens.rows).c_str(),
                    token_label(raw.tokens()[q].text, 20).c_str(), q);
        draw_cell_tokens(cell, raw, q, cell_width * 1.5f);
        ImGui::EndTooltip();
      }
    }
  }
  ImGui::EndTable();
}

void draw_lens_contents(const LensPanelInput& input, LensPanelState& state, Actions& out) {
  if (!input.raw || input.raw->tokens_count() == 0) {
    ImGui::TextDisabled("Type some text to read what each layer would predict.");
    name_item("lens_type_text");
    return;
  }
  ImGui::TextDisabled(
      "Each layer's residual stream read through the model's final norm and unembedding: the "
      "top next token and its probability. Read upwards from the embeddings to the output.");
  if (input.what_if)
    ImGui::TextColored(ImVec4(0.95f, 0.55f, 0.3f, 1.0f), "(under a what-if: not the real model)");
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("0000000000").x);
  ImGui::SliderInt("positions around the pin", &state.width, kMinWidth, kMaxWidth);
  state.width = std::clamp(state.width, kMinWidth, kMaxWidth);
  name_item("lens_width");
  if (!input.lens) {
    if (input.note.empty()) {
      ImGui::TextDisabled("reading the layers\xE2\x80\xA6");
      name_item("lens_computing");
    } else {
      ImGui::TextWrapped("No logit lens: %s.", input.note.c_str());
      name_item("lens_note");
    }
    return;
  }
  draw_table(input, state, out);
  const LogitLens& lens = *input.lens;
  ImGui::TextDisabled("positions %d..%d of %d around %s %d \xC2\xB7 %d rows \xC2\xB7 read in %.0f ms",
                      lens.first, lens.last, input.raw->tokens_count(),
                      input.pinned ? "the pinned token" : "the last token", input.position,
                      lens.rows, input.ms);
  if (state.row && state.position && *state.row < lens.rows && *state.position >= lens.first &&
      *state.position <= lens.last) {
    const int row = *state.row, q = *state.position;
    ImGui::Separator();
    ImGui::Text("%s, at \"%s\" (%d):", row_name(row, lens.rows).c_str(),
                token_label(input.raw->tokens()[q].text, 20).c_str(), q);
    name_item("lens_selected");
    draw_cell_tokens(lens.at(row, q), *input.raw, q,
                     std::max(60.0f, ImGui::GetContentRegionAvail().x * 0.45f));
  } else {
    ImGui::TextDisabled("Click a cell to keep its top tokens here.");
  }
}

}  // namespace

void draw_lens_panel(const LensPanelInput& input, LensPanelState& state, Actions& out) {
  if (ImGui::Begin("Logit lens")) {
    ImGui::PushTextWrapPos(0.0f);
    draw_lens_contents(input, state, out);
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui

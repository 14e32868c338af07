#include "ui/panel_diff.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/view/view_weights.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

// Fills a size x size RGBA image; colour(value) gives the colour of one cell.
template <class ColourFn>
std::vector<uint8_t> cell_image(const std::vector<float>& map, int cells, int size,
                                ColourFn colour) {
  std::vector<uint8_t> rgba(static_cast<size_t>(size) * size * 4, 0);
  if (cells <= 0) return rgba;
  for (int y = 0; y < size; ++y) {
    const int query = std::min(cells - 1, y * cells / size);
    for (int x = 0; x < size; ++x) {
      const int key = std::min(cells - 1, x * cells / size);
      const Rgba c = colour(map[static_cast<size_t>(query) * cells + key]);
      uint8_t* out = rgba.data() + (static_cast<size_t>(y) * size + x) * 4;
      out[0] = c.r;
      out[1] = c.g;
      out[2] = c.b;
      out[3] = 255;
    }
  }
  return rgba;
}

// Pixels per side of a map's texture: whole blocks per cell up to about 512 pixels.
int texture_size(int cells) {
  if (cells <= 0) return 1;
  if (cells >= 512) return 512;
  return cells * std::max(1, 512 / cells);
}

// The run's text from its tokens; a space where the input had a gap between two tokens
// (WordPiece tokens carry no spaces of their own).
std::string excerpt(const AttentionTrace& trace, size_t max_bytes) {
  std::string text;
  const Token* previous = nullptr;
  for (const Token& token : trace.tokens()) {
    if (text.size() + token.text.size() > max_bytes) return text + "\xE2\x80\xA6";
    const bool gap =
        previous && (token.start > previous->end || token.special || previous->special);
    if (gap && !token.text.empty() && token.text[0] != ' ') text += ' ';
    text += token.text;
    previous = &token;
  }
  return text;
}

void upload_textures(DiffPanelState& state, const DiffResult& maps) {
  const float top = maps.max_weight > 0.0f ? maps.max_weight : 1.0f;
  int size = texture_size(maps.tokens_a);
  state.texture_a.upload_rgba8(size, size, sequential_image(maps.map_a, maps.tokens_a, size, top),
                               /*nearest=*/true);
  size = texture_size(maps.tokens_b);
  state.texture_b.upload_rgba8(size, size, sequential_image(maps.map_b, maps.tokens_b, size, top),
                               /*nearest=*/true);
  size = texture_size(maps.aligned);
  const float ends = maps.max_change > 0.0f ? maps.max_change : 1.0f;
  state.texture_diff.upload_rgba8(size, size,
                                  diverging_image(maps.difference, maps.aligned, size, ends),
                                  /*nearest=*/true);
  state.uploaded = maps.id;
}

// One map as an image of side `side`, with a tooltip naming the cell under the mouse.
template <class CellText>
void draw_map_image(const GlTexture& texture, int cells, float side, const char* id,
                    CellText cell_text) {
  if (cells <= 0 || !texture.valid()) {
    ImGui::Dummy({side, side});
    return;
  }
  ImGui::Image(texture.imgui_id(), {side, side});
  name_item(id);
  if (!ImGui::IsItemHovered()) return;
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const int query = std::clamp(static_cast<int>((mouse.y - min.y) / side * cells), 0, cells - 1);
  const int key = std::clamp(static_cast<int>((mouse.x - min.x) / side * cells), 0, cells - 1);
  ImGui::SetTooltip("%s", cell_text(query, key).c_str());
}

std::string quoted(const std::string& text) {
  return "\xE2\x80\x9C" + text + "\xE2\x80\x9D";
}

std::string number(const char* format, float value) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// The inputs: which comparison, the second text or model. Changes become SetView.
void draw_inputs(DiffPanelState& state, const DiffPanelInput& in, Actions& out) {
  const ViewSpec& spec = *in.spec;
  ViewSpec edited = spec;
  bool changed = false;
  int source = static_cast<int>(spec.diff.source);
  changed |= ImGui::RadioButton("Another text, same model", &source, 0);
  name_item("diff_source_text");
  ImGui::SameLine();
  changed |= ImGui::RadioButton("Same text, another model", &source, 1);
  name_item("diff_source_model");
  edited.diff.source = static_cast<DiffSpec::Source>(source);
  if (edited.diff.source == DiffSpec::Source::kOtherText) {
    if (spec.diff.text_b.empty() && state.text_b.empty() && in.main_text) {
      state.text_b = *in.main_text;
      edited.diff.text_b = state.text_b;
      changed = true;
    }
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputTextWithHint("##text_b", "the second text", &state.text_b)) {
      edited.diff.text_b = state.text_b;
      changed = true;
    }
    name_item("diff_text_b");
  } else {
    ImGui::SetNextItemWidth(-1);
    // Enter commits the folder: a half-typed path is not loaded on every keystroke.
    if (ImGui::InputTextWithHint("##model_b", "folder of the second model (config.json inside)",
                                 &state.model_b_input, ImGuiInputTextFlags_EnterReturnsTrue)) {
      edited.diff.model_b = state.model_b_input;
      changed = true;
    }
    name_item("diff_model_b");
  }
  if (changed) out.push_back(action::SetView{edited});
}

}  // namespace

std::vector<uint8_t> sequential_image(const std::vector<float>& map, int cells, int size,
                                      float max_value) {
  const float scale = max_value > 0.0f ? 1.0f / max_value : 1.0f;
  return cell_image(map, cells, size, [scale](float w) { return viridis(w * scale); });
}

std::vector<uint8_t> diverging_image(const std::vector<float>& map, int cells, int size,
                                     float max_abs) {
  const float scale = max_abs > 0.0f ? 1.0f / max_abs : 1.0f;
  return cell_image(map, cells, size, [scale](float d) { return diverging(d * scale); });
}

void draw_diff_panel(DiffPanelState& state, const DiffPanelInput& in, Actions& out) {
  const ViewSpec& spec = *in.spec;
  if (!spec.diff.open) return;
  ImGui::SetNextWindowSize({1100, 560}, ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
  bool open = true;
  if (!ImGui::Begin("Diff", &open)) {
    ImGui::End();
    return;
  }
  if (!open) out.push_back(action::ToggleDiff{});
  draw_inputs(state, in, out);
  const DiffResult* maps = in.result;
  const bool current = maps && maps->request.source == spec.diff.source;
  if (!maps) {
    ImGui::TextDisabled("running the second %s\xE2\x80\xA6",
                        spec.diff.source == DiffSpec::Source::kOtherText ? "text" : "model");
    ImGui::End();
    return;
  }
  if (!maps->error.empty()) {
    ImGui::TextColored(to_imvec4(theme_colors(spec.theme).error), "%s", maps->error.c_str());
    ImGui::End();
    return;
  }
  if (!current || !maps->trace_a || !maps->trace_b) {
    ImGui::TextDisabled("computing the maps\xE2\x80\xA6");
    ImGui::End();
    return;
  }
  if (state.uploaded != maps->id) upload_textures(state, *maps);
  if (!maps->note.empty())
    ImGui::TextColored(to_imvec4(theme_colors(spec.theme).warning), "%s", maps->note.c_str());
  const AttentionTrace& a = *maps->trace_a.trace;
  const AttentionTrace& b = *maps->trace_b.trace;

  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  // Under the maps: two caption lines, the difference map's note and its aligned tokens.
  const float caption = ImGui::GetTextLineHeightWithSpacing() * 5;
  const float side = std::max(
      40.0f, std::floor(std::min((avail.x - 2 * style.ItemSpacing.x) / 3, avail.y - caption)));

  // What the maps are (issue 11: the window named no layer, head or token).
  ImGui::Text("%s", view_source_label(spec, a.heads()).c_str());
  name_item("diff_source_label");
  ImGui::SameLine();
  ImGui::TextDisabled("\xC2\xB7 rows: query tokens (top to bottom) \xC2\xB7 columns: key tokens "
                      "(left to right) \xC2\xB7 hover a cell for its tokens");
  name_item("diff_axes_label");
  auto weight_text = [](const AttentionTrace& trace, const std::vector<float>& map, int cells) {
    return [&trace, &map, cells](int q, int k) {
      return "query " + std::to_string(q) + " " + quoted(trace.tokens()[q].text) +
             " \xE2\x86\x92 key " + std::to_string(k) + " " + quoted(trace.tokens()[k].text) +
             "\n" + number("%.4f", map[static_cast<size_t>(q) * cells + k]);
    };
  };
  ImGui::BeginGroup();
  draw_map_image(state.texture_a, maps->tokens_a, side, "diff_map_a",
                 weight_text(a, maps->map_a, maps->tokens_a));
  ImGui::TextUnformatted(("A: " + excerpt(a, 40)).c_str());
  ImGui::TextDisabled("%d tokens", maps->tokens_a);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  draw_map_image(state.texture_b, maps->tokens_b, side, "diff_map_b",
                 weight_text(b, maps->map_b, maps->tokens_b));
  ImGui::TextUnformatted(("B: " + excerpt(b, 40)).c_str());
  ImGui::TextDisabled("%d tokens%s", maps->tokens_b,
                      b.model_name != a.model_name ? (" \xC2\xB7 " + b.model_name).c_str() : "");
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  const int k = maps->aligned;
  draw_map_image(state.texture_diff, k, side, "diff_map_difference", [&](int q, int key) {
    const auto [qa, qb] = maps->pairs[q];
    const auto [ka, kb] = maps->pairs[key];
    const float d = maps->difference[static_cast<size_t>(q) * k + key];
    return "query " + std::to_string(qa) + " " + quoted(a.tokens()[qa].text) +
           " \xE2\x86\x92 key " + std::to_string(ka) + " " + quoted(a.tokens()[ka].text) + "\nA " +
           number("%.4f", maps->map_a[static_cast<size_t>(qa) * maps->tokens_a + ka]) + "   B " +
           number("%.4f", maps->map_b[static_cast<size_t>(qb) * maps->tokens_b + kb]) +
           "   B\xE2\x88\x92"
           "A " +
           number("%+.4f", d);
  });
  ImGui::Text("B \xE2\x88\x92 A on %d aligned tokens, \xC2\xB1%.3f", k, maps->max_change);
  ImGui::TextDisabled("red: more attention in B \xC2\xB7 blue: less");
  if (k > 0 && k <= 40) {  // which tokens the rows and columns are, in order
    std::string list = "aligned:";
    for (const auto& pair : maps->pairs) {
      list += ' ';
      list += quoted(a.tokens()[pair.first].text);
    }
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
    ImGui::TextDisabled("%s", list.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::EndGroup();
  ImGui::End();
}

}  // namespace attnviz::ui

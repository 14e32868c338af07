#include "ui/panel_heatmap.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "ui/draw_helpers.h"
#include "ui/heatmap_math.h"

namespace attnviz::ui {

namespace {

constexpr float kColourBarWidth = 14.0f;
constexpr float kColourBarGutter = 56.0f;  // room for the tick labels right of the bar
constexpr size_t kLabelChars = 10;         // code points shown per axis label

ImVec2 to_imvec(Vec2f v) {
  return ImVec2(v.x, v.y);
}
Vec2f to_vec(ImVec2 v) {
  return {v.x, v.y};
}

// The panel's layout: label margins, the map rectangle and the colour bar beside it.
struct Layout {
  ImVec2 map_min, map_max;  // screen rectangle of the map
  ImVec2 bar_min, bar_max;  // colour bar
  float row_label_width = 0.0f;
  float column_label_height = 0.0f;
};

// The widest axis label, so the margins are no wider than the tokens need.
float widest_label(const AttentionTrace& trace) {
  float widest = ImGui::CalcTextSize("0").x;
  for (const Token& token : trace.tokens())
    widest = std::max(widest, ImGui::CalcTextSize(token_label(token.text, kLabelChars).c_str()).x);
  return widest;
}

Layout compute_layout(ImVec2 origin, ImVec2 available, float label_width) {
  Layout layout;
  layout.row_label_width = label_width > 0.0f ? label_width + 8.0f : 0.0f;
  layout.column_label_height = label_width > 0.0f ? label_width + 8.0f : 0.0f;
  layout.map_min = ImVec2(origin.x + layout.row_label_width, origin.y + layout.column_label_height);
  layout.map_max = ImVec2(std::max(layout.map_min.x + 32.0f,
                                   origin.x + available.x - kColourBarWidth - kColourBarGutter),
                          std::max(layout.map_min.y + 32.0f, origin.y + available.y));
  layout.bar_min = ImVec2(layout.map_max.x + 10.0f, layout.map_min.y);
  layout.bar_max = ImVec2(layout.bar_min.x + kColourBarWidth, layout.map_max.y);
  return layout;
}

void draw_toolbar(const AttentionTrace& trace, const SelectedMap& map, ViewState& view,
                  HeatmapPanelSettings& settings) {
  ImGui::TextUnformatted(map_title(map.request, trace.heads()).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("(%d tokens, max %.3f)", map.tokens, static_cast<double>(map.max_value));
  ImGui::SameLine();
  ImGui::Checkbox("0..max", &settings.scale_to_map_max);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Colour map spans 0 to the largest weight of this map (off: 0 to 1)");
  ImGui::SameLine();
  ImGui::Checkbox("sqrt", &settings.sqrt_contrast);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Square-root contrast: faint weights become visible");
  ImGui::SameLine();
  ImGui::Checkbox("labels", &settings.show_labels);
  ImGui::SameLine();
  if (ImGui::Button("Fit")) {
    view.heatmap_zoom = 1.0f;
    view.heatmap_pan_x = view.heatmap_pan_y = 0.0f;
  }
  if (view.heatmap_zoom > 1.0f) {
    ImGui::SameLine();
    ImGui::TextDisabled("zoom %.1fx", static_cast<double>(view.heatmap_zoom));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("wheel: zoom around the cursor; drag: pan; right double-click: fit");
  }
}

// Handles wheel zoom, drag pan and clicks on the map; returns the cell under the mouse.
std::optional<Cell> handle_input(const HeatmapTransform& transform, const Layout& layout,
                                 ViewState& view, HeatmapPanelSettings& settings) {
  ImGui::SetCursorScreenPos(layout.map_min);
  const ImVec2 size(layout.map_max.x - layout.map_min.x, layout.map_max.y - layout.map_min.y);
  const bool released = ImGui::InvisibleButton("##heatmap_canvas", size);
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f)) {
    settings.dragging = true;
    const Vec2f pan = pan_by_drag(transform, to_vec(io.MouseDelta));
    view.heatmap_pan_x = pan.x;
    view.heatmap_pan_y = pan.y;
  }
  const std::optional<Cell> cell =
      hovered ? hit_test(transform, to_vec(io.MousePos)) : std::nullopt;
  if (released && !settings.dragging && cell) view.pinned_token = cell->query;
  if (!ImGui::IsItemActive()) settings.dragging = false;
  if (hovered && io.MouseWheel != 0.0f) {
    const ZoomPan zoomed = zoom_around(transform, view.heatmap_zoom, to_vec(io.MousePos),
                                       std::pow(1.25f, io.MouseWheel));
    view.heatmap_zoom = zoomed.zoom;
    view.heatmap_pan_x = zoomed.pan.x;
    view.heatmap_pan_y = zoomed.pan.y;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Right)) {
    view.heatmap_zoom = 1.0f;
    view.heatmap_pan_x = view.heatmap_pan_y = 0.0f;
  }
  return cell;
}

// Query labels left of the rows and key labels above the columns, thinned to fit. Only rows
// and columns whose centre is on screen get a label; the clip rectangles reach half a line
// past the map so the first and last labels are whole.
void draw_axis_labels(ImDrawList* draw_list, const AttentionTrace& trace,
                      const HeatmapTransform& transform, const Layout& layout,
                      std::optional<int> pinned) {
  const float line = ImGui::GetTextLineHeight();
  const int stride = label_stride(transform.scale, line);
  const int tokens = trace.tokens_count();
  const Vec2f low = transform.visible_min(), high = transform.visible_max();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 highlight = IM_COL32(255, 190, 60, 255);

  const int first_row = std::max(0, static_cast<int>(std::floor(low.y)) / stride * stride);
  const int last_row = std::min(tokens - 1, static_cast<int>(std::ceil(high.y)));
  draw_list->PushClipRect(
      ImVec2(layout.map_min.x - layout.row_label_width, layout.map_min.y - line * 0.5f),
      ImVec2(layout.map_min.x, layout.map_max.y + line * 0.5f), true);
  for (int q = first_row; q <= last_row; q += stride) {
    const float centre = transform.screen_at({0.0f, q + 0.5f}).y;
    if (centre < layout.map_min.y || centre > layout.map_max.y) continue;
    const std::string label = token_label(trace.tokens()[q].text, kLabelChars);
    const float width = ImGui::CalcTextSize(label.c_str()).x;
    draw_list->AddText(ImVec2(layout.map_min.x - width - 4.0f, centre - line * 0.5f),
                       pinned && *pinned == q ? highlight : text, label.c_str());
  }
  draw_list->PopClipRect();

  const int first_column = std::max(0, static_cast<int>(std::floor(low.x)) / stride * stride);
  const int last_column = std::min(tokens - 1, static_cast<int>(std::ceil(high.x)));
  draw_list->PushClipRect(
      ImVec2(layout.map_min.x - line * 0.5f, layout.map_min.y - layout.column_label_height),
      ImVec2(layout.map_max.x + line * 0.5f, layout.map_min.y), true);
  for (int k = first_column; k <= last_column; k += stride) {
    const float centre = transform.screen_at({k + 0.5f, 0.0f}).x;
    if (centre < layout.map_min.x || centre > layout.map_max.x) continue;
    const std::string label = token_label(trace.tokens()[k].text, kLabelChars);
    add_text_vertical(draw_list, ImVec2(centre + line * 0.5f, layout.map_min.y - 4.0f), text,
                      label.c_str());
  }
  draw_list->PopClipRect();
}

// Outlines the pinned query row and the hovered cell (with its row and column).
void draw_highlights(ImDrawList* draw_list, const HeatmapTransform& transform, const Layout& layout,
                     std::optional<int> pinned, std::optional<Cell> hovered) {
  const float cells = static_cast<float>(transform.cells);
  draw_list->PushClipRect(layout.map_min, layout.map_max, true);
  if (pinned) {
    const ImVec2 a = to_imvec(transform.screen_at({0.0f, static_cast<float>(*pinned)}));
    const ImVec2 b = to_imvec(transform.screen_at({cells, *pinned + 1.0f}));
    draw_list->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1),
                       IM_COL32(255, 190, 60, 255), 0.0f, 0, 2.0f);
  }
  if (hovered) {
    const ImU32 faint = IM_COL32(255, 255, 255, 40);
    const ImVec2 row_a = to_imvec(transform.screen_at({0.0f, static_cast<float>(hovered->query)}));
    const ImVec2 row_b = to_imvec(transform.screen_at({cells, hovered->query + 1.0f}));
    draw_list->AddRectFilled(row_a, row_b, faint);
    const ImVec2 col_a = to_imvec(transform.screen_at({static_cast<float>(hovered->key), 0.0f}));
    const ImVec2 col_b = to_imvec(transform.screen_at({hovered->key + 1.0f, cells}));
    draw_list->AddRectFilled(col_a, col_b, faint);
    const ImVec2 a = to_imvec(transform.screen_at(
        {static_cast<float>(hovered->key), static_cast<float>(hovered->query)}));
    const ImVec2 b = to_imvec(transform.screen_at({hovered->key + 1.0f, hovered->query + 1.0f}));
    draw_list->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1),
                       IM_COL32(255, 255, 255, 230), 0.0f, 0, 1.5f);
  }
  draw_list->PopClipRect();
}

void draw_tooltip(const AttentionTrace& trace, const SelectedMap& map, Cell cell) {
  const auto& tokens = trace.tokens();
  const std::string query = token_label(tokens[cell.query].text, 24);
  const std::string key = token_label(tokens[cell.key].text, 24);
  ImGui::BeginTooltip();
  if (trace.causal() && cell.key > cell.query) {
    ImGui::Text("\"%s\" (%d) -> \"%s\" (%d): masked", query.c_str(), cell.query, key.c_str(),
                cell.key);
    ImGui::TextDisabled("causal mask: a token never sees keys after it");
  } else {
    ImGui::Text("\"%s\" (%d) -> \"%s\" (%d): %.4f", query.c_str(), cell.query, key.c_str(),
                cell.key, static_cast<double>(map.value(cell.query, cell.key)));
    ImGui::TextDisabled("query -> key: weight; click pins the query row");
  }
  ImGui::EndTooltip();
}

}  // namespace

void draw_heatmap_contents(const AttentionTrace& trace, ViewState& view,
                           HeatmapRenderer& renderer) {
  const int tokens = trace.tokens_count();
  if (tokens == 0 || trace.layers() == 0 || trace.heads() == 0) {
    ImGui::TextDisabled("No attention yet: type some text.");
    return;
  }
  if (!renderer.ready()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::TextWrapped("The heatmap cannot be drawn: %s", renderer.error().c_str());
    ImGui::PopStyleColor();
    return;
  }
  HeatmapPanelSettings& settings = renderer.panel;
  const MapRequest request = map_request_for(view);
  const bool waiting = settings.map_pending && !renderer.has_map(trace, request);
  if (waiting && (renderer.last_map().version == 0 || renderer.last_map().tokens != tokens)) {
    ImGui::TextDisabled("computing %s\xE2\x80\xA6", map_title(request, trace.heads()).c_str());
    return;
  }
  const SelectedMap& map = waiting ? renderer.last_map() : renderer.selected_map(trace, request);
  draw_toolbar(trace, map, view, settings);
  if (waiting) {
    ImGui::SameLine();
    ImGui::TextDisabled("(computing %s\xE2\x80\xA6)", map_title(request, trace.heads()).c_str());
  }

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const Layout layout = compute_layout(origin, ImGui::GetContentRegionAvail(),
                                       settings.show_labels ? widest_label(trace) : 0.0f);
  const Vec2f map_size = {layout.map_max.x - layout.map_min.x, layout.map_max.y - layout.map_min.y};
  HeatmapTransform transform =
      make_transform(to_vec(layout.map_min), map_size, tokens, view.heatmap_zoom,
                     {view.heatmap_pan_x, view.heatmap_pan_y});
  const std::optional<Cell> hovered = handle_input(transform, layout, view, settings);
  // Input may have zoomed or panned: draw with the new transform this very frame.
  transform = make_transform(to_vec(layout.map_min), map_size, tokens, view.heatmap_zoom,
                             {view.heatmap_pan_x, view.heatmap_pan_y});
  view.heatmap_pan_x = transform.pan.x;
  view.heatmap_pan_y = transform.pan.y;
  if (hovered) {
    view.hovered_key = hovered->key;
    settings.set_hovered_key = true;
  } else if (settings.set_hovered_key) {
    view.hovered_key.reset();
    settings.set_hovered_key = false;
  }

  HeatmapStyle style;
  style.value_max = settings.scale_to_map_max && map.max_value > 0.0f ? map.max_value : 1.0f;
  style.gamma = settings.sqrt_contrast ? 0.5f : 1.0f;
  style.causal = trace.causal();
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  void* texture = renderer.render_view(transform, static_cast<int>(map_size.x * scale.x + 0.5f),
                                       static_cast<int>(map_size.y * scale.y + 0.5f), style);
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  if (texture == nullptr) {
    ImGui::SetCursorScreenPos(layout.map_min);
    ImGui::TextWrapped("The heatmap cannot be drawn: %s", renderer.error().c_str());
  } else {
    draw_list->AddImage(texture, layout.map_min, layout.map_max, ImVec2(0, 1), ImVec2(1, 0));
  }
  draw_highlights(draw_list, transform, layout, view.pinned_token, hovered);
  if (settings.show_labels)
    draw_axis_labels(draw_list, trace, transform, layout, view.pinned_token);
  draw_colour_bar(draw_list, layout.bar_min, layout.bar_max, style.value_max, style.gamma);
  if (hovered && !settings.dragging) draw_tooltip(trace, map, *hovered);
}

void draw_heatmap_panel(const AttentionTrace& trace, ViewState& view, HeatmapRenderer& renderer) {
  if (ImGui::Begin("Heatmap", nullptr, ImGuiWindowFlags_NoScrollWithMouse))
    draw_heatmap_contents(trace, view, renderer);
  ImGui::End();
}

}  // namespace attnviz::ui

#include "ui/panel_heatmap.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/view/map_scene.h"
#include "core/view/view_weights.h"
#include "ui/draw_helpers.h"
#include "ui/figure_painter.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

void draw_toolbar(const HeatmapPanelInput& in, const HeatmapValues& map, Actions& out) {
  const ViewSpec& spec = *in.spec;
  ImGui::TextUnformatted(view_source_label(spec, in.reader->heads()).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("(%d tokens, max %.3f)", in.reader->tokens_count(),
                      static_cast<double>(map.max_value));
  ViewSpec edited = spec;
  bool changed = false;
  ImGui::SameLine();
  changed |= ImGui::Checkbox("0..max", &edited.heatmap_to_max);
  name_item("heatmap_to_max");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Colour map spans 0 to the largest weight of this map (off: 0 to 1)");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("sqrt", &edited.heatmap_sqrt);
  name_item("heatmap_sqrt");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Square-root contrast: faint weights become visible");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("labels", &edited.heatmap_labels);
  ImGui::SameLine();
  if (ImGui::Button("Fit")) {
    edited.heatmap_zoom = 1.0f;
    edited.heatmap_pan_x = edited.heatmap_pan_y = 0.0f;
    changed = true;
  }
  if (spec.heatmap_zoom > 1.0f) {
    ImGui::SameLine();
    ImGui::TextDisabled("zoom %.1fx", static_cast<double>(spec.heatmap_zoom));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("wheel: zoom around the cursor; drag: pan; right double-click: fit");
  }
  if (changed) out.push_back(action::SetView{edited});
}

// Wheel zoom, drag pan and clicks on the map; returns the cell under the mouse. `transform`
// is in screen pixels.
std::optional<Cell> handle_input(const HeatmapTransform& transform, const Rect& map,
                                 const ViewSpec& spec, HeatmapPanelState& state, Actions& out) {
  ImGui::SetCursorScreenPos({map.x0, map.y0});
  const bool released = ImGui::InvisibleButton("##heatmap_canvas", {map.width(), map.height()});
  name_item("heatmap_map");
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();
  ViewSpec edited = spec;
  bool changed = false;
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f)) {
    state.dragging = true;
    const Point pan = pan_by_drag(transform, {io.MouseDelta.x, io.MouseDelta.y});
    edited.heatmap_pan_x = pan.x;
    edited.heatmap_pan_y = pan.y;
    changed = true;
  }
  const std::optional<Cell> cell =
      hovered ? hit_test(transform, {io.MousePos.x, io.MousePos.y}) : std::nullopt;
  if (released && !state.dragging && cell) {
    edited.pinned_token = cell->query;
    changed = true;
  }
  if (!ImGui::IsItemActive()) state.dragging = false;
  if (hovered && io.MouseWheel != 0.0f) {
    const ZoomPan zoomed = zoom_around(transform, spec.heatmap_zoom, {io.MousePos.x, io.MousePos.y},
                                       std::pow(1.25f, io.MouseWheel));
    edited.heatmap_zoom = zoomed.zoom;
    edited.heatmap_pan_x = zoomed.pan.x;
    edited.heatmap_pan_y = zoomed.pan.y;
    changed = true;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Right)) {
    edited.heatmap_zoom = 1.0f;
    edited.heatmap_pan_x = edited.heatmap_pan_y = 0.0f;
    changed = true;
  }
  if (changed) out.push_back(action::SetView{edited});
  return cell;
}

// The hovered cell with its row and column (screen only: not part of the picture).
void draw_hover(ImDrawList* draw_list, const HeatmapTransform& transform, const Rect& map,
                Cell hovered) {
  const float cells = static_cast<float>(transform.cells);
  draw_list->PushClipRect({map.x0, map.y0}, {map.x1, map.y1}, true);
  const ImU32 faint = IM_COL32(255, 255, 255, 40);
  auto screen = [&](float x, float y) {
    const Point p = transform.screen_at({x, y});
    return ImVec2{p.x, p.y};
  };
  const float q = static_cast<float>(hovered.query), k = static_cast<float>(hovered.key);
  draw_list->AddRectFilled(screen(0.0f, q), screen(cells, q + 1), faint);
  draw_list->AddRectFilled(screen(k, 0.0f), screen(k + 1, cells), faint);
  const ImVec2 a = screen(k, q), b = screen(k + 1, q + 1);
  draw_list->AddRect({a.x - 1, a.y - 1}, {b.x + 1, b.y + 1}, IM_COL32(255, 255, 255, 230), 0.0f, 0,
                     1.5f);
  draw_list->PopClipRect();
}

// The exact weight of the hovered cell, read from the reader at any zoom (a pooled overview's
// texel is not the cell's value).
void draw_tooltip(const AttentionReader& reader, const ViewSpec& spec,
                  std::span<const float> whole_map, Cell cell) {
  const auto& tokens = reader.tokens();
  const std::string query = token_label(tokens[cell.query].text, 24);
  const std::string key = token_label(tokens[cell.key].text, 24);
  const int window = view_window(reader, spec);
  const MaskKind mask = mask_kind(reader.causal(), window, cell.query, cell.key);
  ImGui::BeginTooltip();
  if (mask != MaskKind::kNone) {
    ImGui::Text("\"%s\" (%d) -> \"%s\" (%d): %s", query.c_str(), cell.query, key.c_str(), cell.key,
                mask_label(mask));
    if (mask == MaskKind::kCausal) {
      ImGui::TextDisabled("causal mask: a token never sees keys after it");
    } else {
      ImGui::TextDisabled("layer %d has a sliding window: a token sees the last %d keys",
                          spec.layer, window);
    }
  } else {
    // Weights of a long text are small: four significant digits below 0.001.
    const float weight = view_weight(reader, spec, whole_map, cell.query, cell.key);
    ImGui::Text(weight > 0.0f && weight < 1e-3f ? "\"%s\" (%d) -> \"%s\" (%d): %.4g"
                                                 : "\"%s\" (%d) -> \"%s\" (%d): %.4f",
                query.c_str(), cell.query, key.c_str(), cell.key, static_cast<double>(weight));
    ImGui::TextDisabled("query -> key: weight; click pins the query row");
  }
  ImGui::EndTooltip();
}

}  // namespace

PictureSize draw_heatmap_panel(const HeatmapPanelInput& in, HeatmapRenderer& renderer,
                               HeatmapPanelState& state, Actions& out) {
  PictureSize size;
  if (!ImGui::Begin("Heatmap", nullptr, ImGuiWindowFlags_NoScrollWithMouse)) {
    ImGui::End();
    return size;
  }
  const AttentionReader& reader = *in.reader;
  const ViewSpec& spec = *in.spec;
  const int tokens = reader.tokens_count();
  const bool whole_model = head_mode_info(spec.head_mode).whole_model;
  if (tokens == 0 || reader.layers() == 0 || reader.heads() == 0) {
    ImGui::TextDisabled("No attention yet: type some text.");
  } else if (!renderer.ready()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::TextWrapped("The heatmap cannot be drawn: %s", renderer.error().c_str());
    ImGui::PopStyleColor();
  } else if (whole_model && !in.whole_map_refusal.empty()) {
    text_wrapped_coloured(to_imvec4(theme_colors(spec.theme).warning), in.whole_map_refusal);
    name_item("whole_map_refusal");
  } else if (whole_model && in.whole_map.empty()) {
    ImGui::TextDisabled("computing the %s\xE2\x80\xA6", head_mode_info(spec.head_mode).description);
  } else {
    // The overview first (its max sets the colour bar), then what the scene's plan shows: the
    // overview, or the exact cells of the region zoomed into.
    const MapKey key = map_key(in.trace_id, spec, !in.whole_map.empty());
    if (in.overview_on_engine && !in.overview) {
      ImGui::TextDisabled("computing the pooled overview (%d tokens, weights recomputed)\xE2\x80\xA6",
                          tokens);
      name_item("heatmap_computing");
      ImGui::End();
      return size;
    }
    const HeatmapValues& overview = renderer.overview(key, tokens, [&] {
      return in.overview ? *in.overview : heatmap_overview(reader, spec, in.whole_map);
    });
    draw_toolbar(in, overview, out);
    const float s = in.ui_scale;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    size = {std::floor(avail.x / s), std::floor(avail.y / s)};
    HeatmapSceneInput scene_input;
    scene_input.reader = &reader;
    scene_input.spec = &spec;
    scene_input.map_max = overview.max_value;
    scene_input.font = in.font;
    scene_input.text_height = ImGui::GetFontSize() / s;
    scene_input.width = size.width;
    scene_input.height = size.height;
    const HeatmapPlan shown = renderer.shown_plan(tokens);
    scene_input.shown_plan = &shown;
    const HeatmapScene scene = build_heatmap_scene(scene_input);
    const SelectedMap& map = renderer.selected_map(key, scene.plan, tokens, [&] {
      return plan_values(reader, spec, in.whole_map, scene.plan, overview);
    });

    const FigurePainter painter{ImGui::GetWindowDrawList(), origin, s, in.font};
    const Rect map_rect = painter.to_screen_rect(scene.map_rect);
    // The transform in screen pixels, for the mouse.
    const HeatmapTransform screen_transform =
        make_transform({map_rect.x0, map_rect.y0}, {map_rect.width(), map_rect.height()}, tokens,
                       spec.heatmap_zoom, {spec.heatmap_pan_x, spec.heatmap_pan_y});
    const std::optional<Cell> hovered = handle_input(screen_transform, map_rect, spec, state, out);
    if (hovered) {
      out.push_back(action::HoverKey{hovered->key});
      state.set_hovered_key = true;
    } else if (state.set_hovered_key) {
      out.push_back(action::HoverKey{std::nullopt});
      state.set_hovered_key = false;
    }
    // What the map's values are, for the end-to-end tests: whole, overview, or region.
    static const char* const kPlanNames[] = {"heatmap_values.whole", "heatmap_values.overview",
                                             "heatmap_values.region"};
    name_rect(kPlanNames[static_cast<int>(scene.plan.kind)], map_rect);
    name_rect("heatmap_picture",
              painter.to_screen_rect(Rect{0, 0, scene.figure.width, scene.figure.height}));

    ImDrawList* draw_list = ImGui::GetWindowDrawList();
    painter.paint(scene.figure, 0, scene.map_layer);
    const ImVec2 framebuffer = ImGui::GetIO().DisplayFramebufferScale;
    void* texture = renderer.render_view(
        atlas_window(map.values, scene.window), static_cast<int>(map_rect.width() * framebuffer.x + 0.5f),
        static_cast<int>(map_rect.height() * framebuffer.y + 0.5f), scene.style);
    if (texture == nullptr) {
      ImGui::SetCursorScreenPos({map_rect.x0, map_rect.y0});
      ImGui::TextWrapped("The heatmap cannot be drawn: %s", renderer.error().c_str());
    } else {
      draw_list->AddImage(texture, {map_rect.x0, map_rect.y0}, {map_rect.x1, map_rect.y1},
                          ImVec2(0, 1), ImVec2(1, 0));
    }
    draw_list->PushClipRect({origin.x, origin.y}, {origin.x + avail.x, origin.y + avail.y}, true);
    painter.paint(scene.figure, scene.map_layer, scene.figure.shapes.size());
    draw_list->PopClipRect();
    if (hovered) draw_hover(draw_list, screen_transform, map_rect, *hovered);
    if (hovered && !state.dragging) draw_tooltip(reader, spec, in.whole_map, *hovered);
  }
  ImGui::End();
  return size;
}

}  // namespace attnviz::ui

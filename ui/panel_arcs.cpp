#include "ui/panel_arcs.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "ui/arc_geometry.h"
#include "ui/chips.h"
#include "ui/palette.h"
#include "ui/panel_text.h"
#include "ui/selection.h"
#include "ui/view_weights.h"

namespace attnviz::ui {

namespace {

// One family of arcs to draw: a head (or the combined row) with its colour.
struct ArcSeries {
  int head = -1;  // -1: the combined row of the head mode
  Rgba color;
};

std::vector<ArcSeries> arc_series(const AttentionTrace& trace, const ViewState& view) {
  std::vector<ArcSeries> series;
  const bool light = view.theme == Theme::kLight;
  if (combines_heads(view.head_mode)) {
    series.push_back({-1, light ? Rgba{0.1f, 0.35f, 0.75f, 1} : Rgba{0.45f, 0.75f, 1.0f, 1}});
  } else {
    for (int h : separate_heads(view, trace.heads()))
      series.push_back({h, head_color(h, trace.heads(), light)});
  }
  return series;
}

void draw_toolbar(const AttentionTrace& trace, ViewState& view,
                  const std::vector<ArcSeries>& series, float ui_scale) {
  int layout = view.arcs_layout == ArcsLayout::kTwoColumns ? 1 : 0;
  ImGui::RadioButton("Line", &layout, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Two columns", &layout, 1);
  view.arcs_layout = layout == 1 ? ArcsLayout::kTwoColumns : ArcsLayout::kLine;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110 * ui_scale);
  ImGui::SliderFloat("min weight", &view.arc_min_weight, 0.0f, 0.5f, "%.3f",
                     ImGuiSliderFlags_Logarithmic);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90 * ui_scale);
  ImGui::SliderInt("top-k", &view.arc_top_k, 1, 128);
  ImGui::SameLine();
  ImGui::TextDisabled("|  %s", trace.causal() ? "causal (decoder): no arcs to later tokens"
                                              : "bidirectional (encoder)");

  // Legend: which colour is which head, and what the mode draws.
  ImGui::TextDisabled("layer %d \xC2\xB7 %s", view.layer, head_mode_label(view.head_mode));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (const ArcSeries& s : series) {
    ImGui::SameLine();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float size = ImGui::GetTextLineHeight();
    draw->AddRectFilled({p.x, p.y + 0.2f * size}, {p.x + 0.9f * size, p.y + 0.9f * size},
                        pack_abgr(s.color), 2.0f);
    ImGui::Dummy({size, size});
    ImGui::SameLine(0, 2 * ui_scale);
    if (s.head >= 0) {
      if (series.size() > 4) {
        ImGui::Text("%d", s.head);
      } else {
        ImGui::Text("head %d", s.head);
      }
    } else {
      ImGui::Text("%s", head_mode_label(view.head_mode));
    }
  }
  if (series.empty()) {
    ImGui::SameLine();
    ImGui::TextColored({0.95f, 0.7f, 0.2f, 1}, "no head enabled: turn one on in the Heads panel");
  }
  if (view.head_mode == HeadMode::kRollout) {
    ImGui::TextDisabled(
        "rollout is a whole-map quantity (heatmap); arcs show the mean of all layers");
  }
}

// The weights of the active query for one series, into `row`.
void series_row(const AttentionTrace& trace, const ViewState& view, int query, const ArcSeries& s,
                std::vector<float>& row) {
  row.resize(trace.tokens_count());
  query_weights(trace, view, query, s.head, row);
}

void weight_tooltip(const AttentionTrace& trace, const ViewState& view, int query, int key,
                    const std::vector<ArcSeries>& series, std::vector<float>& row) {
  ImGui::BeginTooltip();
  token_tooltip_header(trace.tokens()[key], key);
  ImGui::Text("attention from token %d \"%s\":", query, chip_label(trace.tokens()[query]).c_str());
  for (const ArcSeries& s : series) {
    series_row(trace, view, query, s, row);
    const ImVec4 color{s.color.r, s.color.g, s.color.b, 1};
    if (s.head >= 0) {
      ImGui::TextColored(color, "  head %d: %.5f", s.head, row[key]);
    } else {
      ImGui::TextColored(color, "  %s: %.5f", head_mode_label(view.head_mode), row[key]);
    }
  }
  if (trace.causal() && key > query) ImGui::TextDisabled("later token: masked (causal)");
  ImGui::EndTooltip();
}

void draw_line_view(const AttentionTrace& trace, const ArcsPanelContext& context,
                    const std::vector<ArcSeries>& series) {
  ViewState& view = *context.view;
  ArcsCache& cache = *context.cache;
  const float s = context.ui_scale;
  ChipStyle style;
  style.height = ImGui::GetFontSize() + 10 * s;
  style.padding_x = 7 * s;
  style.light_theme = view.theme == Theme::kLight;
  FlowParams params;
  params.line_width = std::max(80.0f, ImGui::GetContentRegionAvail().x - 24 * s);
  // Room for arcs above each line: generous for a sentence (the window is mostly empty), tight
  // for long texts so more lines fit.
  params.gap_x = 6 * s;
  const float lines = static_cast<float>(
      std::max(1, count_flow_lines(cache.flow.widths, params.line_width, params.gap_x)));
  const float avail_height = ImGui::GetContentRegionAvail().y;
  const float arc_room = std::round(std::clamp((avail_height - 24 * s) / lines - style.height,
                                               2.2f * style.height, 7.0f * style.height));
  params.chip_height = style.height;
  params.line_gap = arc_room;
  params.top_margin = arc_room + 8 * s;
  update_flow_cache(cache.flow, trace, params, style);
  const FlowLayout& layout = cache.flow.layout;
  scroll_to_pin(cache.flow, view.pinned_token, arc_room + 8 * s);

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float height = layout.height + 16 * s;
  ImGui::InvisibleButton("arcs_canvas", {params.line_width, height});
  context.recorder->record("arcs_canvas",
                           {origin.x, origin.y, origin.x + params.line_width, origin.y + height});
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  const ImVec2 mouse = ImGui::GetMousePos();
  std::optional<int> under_mouse;
  if (hovered) under_mouse = hit_test(layout, {mouse.x - origin.x, mouse.y - origin.y});
  const int tokens = trace.tokens_count();
  if (clicked && under_mouse)
    apply_selection(view, {SelectionEventKind::kClick, *under_mouse}, tokens);
  if (under_mouse) *context.hover_candidate = under_mouse;

  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 clip_min = ImGui::GetWindowPos();
  const ImVec2 clip_max{clip_min.x + ImGui::GetWindowWidth(),
                        clip_min.y + ImGui::GetWindowHeight()};
  draw->PushClipRect(clip_min, clip_max, true);

  // Arcs first, chips on top, so token text stays readable where arcs land.
  const std::optional<int> query = view.active_query();
  if (query) {
    const Rect query_box = layout.boxes[*query].translated(origin.x, origin.y);
    const int count = static_cast<int>(series.size());
    for (int i = 0; i < count; ++i) {
      series_row(trace, view, *query, series[i], cache.row);
      // Heads side by side on the chip's edge, so coincident arcs of two heads stay apart.
      const float spread = count > 1 ? std::min(6.0f * s, query_box.width() / (count + 1)) : 0.0f;
      const float offset = (i - 0.5f * (count - 1)) * spread;
      for (const ArcPick& pick : pick_arcs(cache.row, view.arc_min_weight, view.arc_top_k)) {
        Rect key_box = layout.boxes[pick.key].translated(origin.x + offset, origin.y);
        Rect from = query_box.translated(offset, 0);
        const Bezier curve = flow_arc(from, key_box, arc_room - 4 * s);
        Rgba color = series[i].color;
        color.a = arc_alpha(pick.weight) * (view.hovered_token && !view.pinned_token ? 0.8f : 1.0f);
        const float thickness = arc_thickness(pick.weight, s);
        draw->AddBezierCubic(to_imvec(curve.p0), to_imvec(curve.c0), to_imvec(curve.c1),
                             to_imvec(curve.p1), pack_abgr(color), thickness,
                             bezier_segments(curve, s));
        draw->AddCircleFilled(to_imvec(curve.p1), 1.0f * s + 0.6f * thickness, pack_abgr(color),
                              10);
      }
    }
  }

  chip_heat(trace, view, cache.received, cache.heat);
  const float scroll_top = ImGui::GetScrollY();
  auto [first, last] =
      layout.tokens_in_band(scroll_top - arc_room, scroll_top + ImGui::GetWindowHeight());
  for (int i = first; i < last; ++i) {
    const Rect box = layout.boxes[i].translated(origin.x, origin.y);
    draw_chip(draw, box, cache.flow.labels[i].c_str(), cache.heat[i], view.pinned_token == i,
              under_mouse == i || view.hovered_token == i, trace.tokens()[i].special, style);
    context.recorder->record("arc_token." + std::to_string(i), box);
  }
  draw->PopClipRect();

  if (under_mouse) {
    if (query && *query != *under_mouse) {
      weight_tooltip(trace, view, *query, *under_mouse, series, cache.row);
    } else {
      ImGui::BeginTooltip();
      token_tooltip_header(trace.tokens()[*under_mouse], *under_mouse);
      ImGui::TextDisabled(view.pinned_token == under_mouse ? "pinned: click again to unpin"
                                                           : "click to pin its arcs");
      ImGui::EndTooltip();
    }
  }
}

void draw_columns_view(const AttentionTrace& trace, const ArcsPanelContext& context,
                       const std::vector<ArcSeries>& series) {
  ViewState& view = *context.view;
  ArcsCache& cache = *context.cache;
  const float s = context.ui_scale;
  ChipStyle style;
  style.light_theme = view.theme == Theme::kLight;
  style.padding_x = 5 * s;
  const float avail = ImGui::GetContentRegionAvail().x;
  ColumnsParams params;
  params.row_height = ImGui::GetFontSize() + 6 * s;
  params.column_width = std::clamp(0.22f * avail, 80.0f * s, 220.0f * s);
  params.gap = std::max(80.0f * s, avail - 2 * params.column_width - 24 * s);
  params.left_x = 0;
  const int tokens = trace.tokens_count();
  const ColumnsLayout layout = layout_columns(tokens, params);
  // A newly pinned token scrolls into view (a third from the top).
  if (view.pinned_token != cache.columns_scrolled_to) {
    cache.columns_scrolled_to = view.pinned_token;
    if (view.pinned_token && *view.pinned_token < tokens) {
      const float y = layout.queries[*view.pinned_token].y0;
      if (y < ImGui::GetScrollY() ||
          y > ImGui::GetScrollY() + ImGui::GetWindowHeight() - params.row_height)
        ImGui::SetScrollY(std::max(0.0f, y - ImGui::GetWindowHeight() / 3));
    }
  }

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("arcs_columns",
                         {2 * params.column_width + params.gap, std::max(1.0f, layout.height)});
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  const ImVec2 mouse = ImGui::GetMousePos();
  std::optional<std::pair<int, int>> under_mouse;
  if (hovered) under_mouse = hit_test_columns(layout, {mouse.x - origin.x, mouse.y - origin.y});
  if (clicked && under_mouse && under_mouse->first == 0)
    apply_selection(view, {SelectionEventKind::kClick, under_mouse->second}, tokens);
  if (under_mouse && under_mouse->first == 0) *context.hover_candidate = under_mouse->second;

  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 clip_min = ImGui::GetWindowPos();
  const ImVec2 clip_max{clip_min.x + ImGui::GetWindowWidth(),
                        clip_min.y + ImGui::GetWindowHeight()};
  draw->PushClipRect(clip_min, clip_max, true);
  const float scroll_top = ImGui::GetScrollY();
  const int first = std::clamp(static_cast<int>(scroll_top / params.row_height) - 1, 0, tokens);
  const int last = std::clamp(
      static_cast<int>((scroll_top + ImGui::GetWindowHeight()) / params.row_height) + 1, 0, tokens);
  const std::optional<int> focus = view.active_query();
  // Every visible query's strongest arcs, thin and faded behind the focused (pinned or hovered)
  // query's, which get top-k and full detail. The cap matters: at T = 1024 the visible rows
  // would otherwise draw thousands of curves, and a software rasterizer pays for every one.
  constexpr int kBackgroundTopK = 4;
  constexpr int kBackgroundSegments = 10;
  // One neutral series for the background (the mean of the drawn heads), so its cost does not
  // grow with the number of heads; the colours of the heads belong to the focused query.
  ViewState combined = view;
  if (!combines_heads(view.head_mode)) combined.head_mode = HeadMode::kMeanOfHeads;
  if (view.head_mode == HeadMode::kSingleHead) combined.enabled_heads.assign(trace.heads(), 0);
  if (view.head_mode == HeadMode::kSingleHead && view.head < trace.heads())
    combined.enabled_heads[view.head] = 1;
  const Rgba neutral = style.light_theme ? Rgba{0.25f, 0.3f, 0.4f, 1} : Rgba{0.75f, 0.8f, 0.9f, 1};
  for (int q = first; q < last; ++q) {
    if (focus && *focus == q) continue;  // drawn last, on top
    cache.row.resize(tokens);
    query_weights(trace, combined, q, view.head, cache.row);
    for (const ArcPick& pick :
         pick_arcs(cache.row, view.arc_min_weight, std::min(view.arc_top_k, kBackgroundTopK))) {
      const Rect from = layout.queries[q].translated(origin.x, origin.y);
      const Rect to = layout.keys[pick.key].translated(origin.x, origin.y);
      const Bezier curve = column_arc(from, to);
      Rgba color = neutral;
      color.a = arc_alpha(pick.weight) * (focus ? 0.15f : 0.5f);
      draw->AddBezierCubic(to_imvec(curve.p0), to_imvec(curve.c0), to_imvec(curve.c1),
                           to_imvec(curve.p1), pack_abgr(color),
                           std::min(1.5f * s, arc_thickness(pick.weight, s)), kBackgroundSegments);
    }
  }
  // The focused query's arcs on top of the faded ones.
  if (focus && *focus >= first && *focus < last) {
    for (const ArcSeries& one : series) {
      series_row(trace, view, *focus, one, cache.row);
      for (const ArcPick& pick : pick_arcs(cache.row, view.arc_min_weight, view.arc_top_k)) {
        const Bezier curve = column_arc(layout.queries[*focus].translated(origin.x, origin.y),
                                        layout.keys[pick.key].translated(origin.x, origin.y));
        Rgba color = one.color;
        color.a = arc_alpha(pick.weight) * 0.85f;
        draw->AddBezierCubic(to_imvec(curve.p0), to_imvec(curve.c0), to_imvec(curve.c1),
                             to_imvec(curve.p1), pack_abgr(color), arc_thickness(pick.weight, s),
                             bezier_segments(curve, s));
      }
    }
  }
  chip_heat(trace, view, cache.received, cache.heat);
  for (int i = first; i < last; ++i) {
    const Rect left = layout.queries[i].translated(origin.x, origin.y);
    const Rect right = layout.keys[i].translated(origin.x, origin.y);
    const std::string label = chip_label(trace.tokens()[i]);
    const bool special = trace.tokens()[i].special;
    draw_chip(draw, {left.x0, left.y0 + 1, left.x1, left.y1 - 1}, label.c_str(), 0.0f,
              view.pinned_token == i, view.hovered_token == i, special, style);
    draw_chip(draw, {right.x0, right.y0 + 1, right.x1, right.y1 - 1}, label.c_str(),
              focus ? cache.heat[i] : 0.0f, false, false, special, style);
    context.recorder->record("arc_query." + std::to_string(i), left);
    context.recorder->record("arc_key." + std::to_string(i), right);
  }
  draw->PopClipRect();
  if (under_mouse && under_mouse->first == 1 && focus) {
    weight_tooltip(trace, view, *focus, under_mouse->second, series, cache.row);
  }
}

}  // namespace

void draw_arcs_view(const AttentionTrace& trace, const ArcsPanelContext& context) {
  ViewState& view = *context.view;
  const std::vector<ArcSeries> series = arc_series(trace, view);
  draw_toolbar(trace, view, series, context.ui_scale);
  if (trace.tokens_count() == 0) {
    ImGui::TextDisabled("Type some text to see its attention.");
    return;
  }
  if (!view.active_query()) {
    ImGui::TextDisabled(
        "Click a token to pin its arcs; hover to preview. \xE2\x86\x90 \xE2\x86\x92 move, Esc "
        "clears.");
  } else {
    ImGui::Text("token %d \"%s\"%s", *view.active_query(),
                chip_label(trace.tokens()[*view.active_query()]).c_str(),
                view.pinned_token ? " (pinned)" : " (preview)");
  }
  ImGui::BeginChild("arcs_scroll", {0, 0}, false, ImGuiWindowFlags_NoMove);
  if (view.arcs_layout == ArcsLayout::kTwoColumns) {
    draw_columns_view(trace, context, series);
  } else {
    draw_line_view(trace, context, series);
  }
  ImGui::EndChild();
}

}  // namespace attnviz::ui

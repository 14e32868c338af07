#include "ui/panel_arcs.h"

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

void draw_toolbar(const ArcsPanelInput& in, const std::vector<ArcSeries>& series, Actions& out) {
  const ViewSpec& spec = *in.spec;
  const ThemeColors& colors = theme_colors(spec.theme);
  ViewSpec edited = spec;
  int layout = spec.arcs_layout == ArcsLayout::kTwoColumns ? 1 : 0;
  bool changed = ImGui::RadioButton("Line", &layout, 0);
  name_item("arcs_line");
  ImGui::SameLine();
  changed |= ImGui::RadioButton("Two columns", &layout, 1);
  name_item("arcs_columns");
  edited.arcs_layout = layout == 1 ? ArcsLayout::kTwoColumns : ArcsLayout::kLine;
  // Each slider goes on the next line when the centre is too narrow for it (900x600, issue 11).
  const auto same_line_if_fits = [](float width) {
    ImGui::SameLine();
    if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
  };
  const float label_room = ImGui::CalcTextSize("min weight").x + ImGui::GetStyle().ItemInnerSpacing.x;
  same_line_if_fits(110 * in.ui_scale + label_room);
  ImGui::SetNextItemWidth(110 * in.ui_scale);
  changed |= ImGui::SliderFloat("min weight", &edited.arc_min_weight, 0.0f, 0.5f, "%.3f",
                                ImGuiSliderFlags_Logarithmic);
  name_item("arc_min_weight");
  same_line_if_fits(90 * in.ui_scale + label_room);
  ImGui::SetNextItemWidth(90 * in.ui_scale);
  changed |= ImGui::SliderInt("top-k", &edited.arc_top_k, 1, 128);
  name_item("arc_top_k");
  if (changed) out.push_back(action::SetView{edited});
  // The mask note goes on its own line when the toolbar leaves no room for it (a narrow
  // centre clipped it, issue 11).
  const std::string mask_note = "|  " + in.reader->mask_description() +
                                (in.reader->causal() ? ": no arcs to later tokens" : "");
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize(mask_note.c_str()).x) ImGui::NewLine();
  ImGui::TextDisabled("%s", mask_note.c_str());

  // Legend: which colour is which head, and what the mode draws.
  ImGui::TextDisabled("%s", view_source_label(spec, in.reader->heads()).c_str());
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (const ArcSeries& s : series) {
    ImGui::SameLine();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float size = ImGui::GetTextLineHeight();
    draw->AddRectFilled({p.x, p.y + 0.2f * size}, {p.x + 0.9f * size, p.y + 0.9f * size},
                        to_imgui(s.color), 2.0f);
    ImGui::Dummy({size, size});
    ImGui::SameLine(0, 2 * in.ui_scale);
    if (s.head < 0) {
      ImGui::Dummy({0, 0});  // the combined row: the line already names it
    } else if (series.size() > 4) {
      ImGui::Text("%d", s.head);
    } else {
      ImGui::Text("head %d", s.head);
    }
  }
  if (series.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(to_imvec4(colors.warning),
                       "no head enabled: turn one on in the Heads panel");
  }
  // A sliding window: key chips outside the query's window are hatched; the swatch says so.
  if (const int window = view_window(*in.reader, spec); window > 0) {
    ImGui::SameLine(0, 12 * in.ui_scale);
    const float size = ImGui::GetTextLineHeight();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    Figure swatch;
    add_mask_swatch(
        swatch,
        {0, 0.15f * size / in.ui_scale, 0.8f * size / in.ui_scale, 0.95f * size / in.ui_scale},
        MaskKind::kOutsideWindow, spec.theme);
    FigurePainter{draw, p, in.ui_scale, in.font}.paint(swatch);
    ImGui::Dummy({size, size});
    ImGui::SameLine(0, 2 * in.ui_scale);
    ImGui::TextUnformatted(mask_legend_label(MaskKind::kOutsideWindow, window).c_str());
    name_item("arcs_window_legend");
  }
}

void weight_tooltip(const ArcsPanelInput& in, const std::vector<ArcSeries>& series, int query,
                    int key) {
  const AttentionReader& reader = *in.reader;
  std::vector<float> row(reader.tokens_count());
  ImGui::BeginTooltip();
  const Token& token = reader.tokens()[key];
  ImGui::Text("token %d: \"%s\"", key, chip_label(token, 64).c_str());
  ImGui::TextDisabled("%s", token_details(reader.tokens(), static_cast<size_t>(key)).c_str());
  ImGui::Text("attention from token %d \"%s\":", query, chip_label(reader.tokens()[query]).c_str());
  for (const ArcSeries& s : series) {
    query_weights(reader, *in.spec, in.whole_map, query, s.head, row);
    if (s.head >= 0) {
      ImGui::TextColored(to_imvec4(s.color), "  head %d: %.5f", s.head, row[key]);
    } else {
      ImGui::TextColored(to_imvec4(s.color), "  %s: %.5f",
                         head_mode_info(in.spec->head_mode).description, row[key]);
    }
  }
  const int window = view_window(reader, *in.spec);
  const MaskKind mask = mask_kind(reader.causal(), window, query, key);
  if (mask == MaskKind::kCausal) ImGui::TextDisabled("later token: masked (causal)");
  if (mask == MaskKind::kOutsideWindow)
    ImGui::TextDisabled("outside the window: layer %d sees the last %d keys", in.spec->layer,
                        window);
  ImGui::EndTooltip();
}

void token_tooltip(const ArcsPanelInput& in, int token) {
  const Token& t = in.reader->tokens()[token];
  ImGui::BeginTooltip();
  ImGui::Text("token %d: \"%s\"", token, chip_label(t, 64).c_str());
  ImGui::TextDisabled("%s", token_details(in.reader->tokens(), static_cast<size_t>(token)).c_str());
  ImGui::TextDisabled(in.spec->pinned_token == token ? "pinned: click again to unpin"
                                                     : "click to pin its arcs");
  ImGui::EndTooltip();
}

// Scrolls so a newly pinned token is visible, `margin` pixels below the top (room for its
// arcs). A scroll asked for in a window's first frame is clamped to a content size ImGui does
// not know yet, so it keeps asking for a few frames.
void scroll_to_pin(ScrollState& state, std::optional<int> pinned, std::optional<Rect> box,
                   float margin) {
  if (!pinned || !box) {
    if (!pinned) state.scrolled_to = -1;
    return;
  }
  if (*pinned == state.scrolled_to) return;
  const float top = ImGui::GetScrollY(), bottom = top + ImGui::GetWindowHeight();
  if ((box->y0 - margin >= top && box->y1 <= bottom) || ++state.attempts > 4) {
    state.scrolled_to = *pinned;
    state.attempts = 0;
    return;
  }
  ImGui::SetScrollY(std::max(0.0f, box->y0 - margin));
}


// The row the minimap shows: the query's row as the mode combines it (multi-head: the mean of
// the enabled heads, as the chips' heat), recomputed only when the query or the view changes.
void update_minimap(const ArcsPanelInput& in, MinimapState& state, int query, int bins) {
  const ViewSpec& spec = *in.spec;
  const bool ready = !in.whole_map.empty();
  const bool same = state.trace_id == in.trace_id && state.query == query &&
                    state.spec.layer == spec.layer && state.spec.head == spec.head &&
                    state.spec.head_mode == spec.head_mode &&
                    state.spec.enabled_heads == spec.enabled_heads &&
                    state.whole_map_ready == ready;
  if (same && static_cast<int>(state.minimap.bins.size()) == std::min(bins, in.reader->tokens_count()))
    return;
  if (!same) {
    ViewSpec combined = spec;
    if (spec.head_mode == HeadMode::kMultiHead) combined.head_mode = HeadMode::kMeanOfHeads;
    state.row.assign(static_cast<size_t>(in.reader->tokens_count()), 0.0f);
    query_weights(*in.reader, combined, in.whole_map, query, spec.head, state.row);
    if (state.query != query || state.trace_id != in.trace_id) {
      state.next = 0;
      state.jumped = -1;
    }
    state.trace_id = in.trace_id;
    state.query = query;
    state.spec = spec;
    state.whole_map_ready = ready;
  }
  state.minimap = build_weight_minimap(state.row, bins, 8);
}

// A long text: a strip of where the active query's weight lies along 0..T-1 (brighter = more
// weight), the query (white), its strongest keys (orange ticks) and the tokens in view (frame);
// a click jumps to the heaviest key under it, "next strongest" walks the strongest keys.
void draw_minimap(const ArcsPanelInput& in, MinimapState& state, int query) {
  const float s = in.ui_scale;
  const ThemeColors& colors = theme_colors(in.spec->theme);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = std::max(40.0f, ImGui::GetContentRegionAvail().x);
  const float height = std::round(16.0f * s), ticks = std::round(5.0f * s);
  update_minimap(in, state, query, static_cast<int>(width));
  const WeightMinimap& map = state.minimap;
  const int t = in.reader->tokens_count();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float y0 = at.y + ticks, y1 = y0 + height;
  const float n = static_cast<float>(map.bins.size());
  const auto x_of_key = [&](float key) { return at.x + width * key / static_cast<float>(t); };
  draw->AddRectFilled({at.x, y0}, {at.x + width, y1}, to_imgui(viridis(0.0f)));
  for (size_t b = 0; b < map.bins.size(); ++b) {
    if (map.bins[b] <= 0.0f || map.bin_max <= 0.0f) continue;
    const float x0 = at.x + width * b / n, x1 = at.x + width * (b + 1) / n;
    draw->AddRectFilled({x0, y0}, {std::max(x1, x0 + 1.0f), y1},
                        to_imgui(viridis(std::sqrt(map.bins[b] / map.bin_max))));
  }
  // The tokens in view, the query, the strongest keys.
  draw->AddRect({x_of_key(static_cast<float>(state.first_visible)), y0 - 1},
                {std::max(x_of_key(static_cast<float>(state.last_visible)),
                          x_of_key(static_cast<float>(state.first_visible)) + 2.0f),
                 y1 + 1},
                to_imgui(colors.text), 0.0f, 0, 1.0f);
  const float qx = x_of_key(query + 0.5f);
  draw->AddLine({qx, y0 - ticks}, {qx, y1}, IM_COL32(255, 255, 255, 255), 2.0f);
  for (size_t i = 0; i < map.strongest.size(); ++i) {
    const float x = x_of_key(map.strongest[i] + 0.5f);
    const ImU32 tick = static_cast<int>(i) == state.next ? IM_COL32(255, 200, 60, 255)
                                                         : IM_COL32(255, 150, 40, 220);
    draw->AddTriangleFilled({x - 0.6f * ticks, at.y}, {x + 0.6f * ticks, at.y}, {x, y0}, tick);
    name_rect("minimap_strongest." + std::to_string(map.strongest[i]),
              Rect{x - ticks, at.y, x + ticks, y1});
  }
  ImGui::InvisibleButton("##arcs_minimap", {width, y1 - at.y});
  name_item("arcs_minimap");
  if (ImGui::IsItemHovered()) {
    const float mouse_x = ImGui::GetIO().MousePos.x;
    int key = minimap_key_at(map, state.row, (mouse_x - at.x) / width);
    for (int strong : map.strongest)  // on a strong key's tick: that key
      if (std::abs(x_of_key(strong + 0.5f) - mouse_x) <= 0.6f * ticks) {
        key = strong;
        break;
      }
    if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) state.jump_to = key;
    ImGui::SetTooltip("keys %d-%d: weight %.4f in all\nclick: jump to key %d (%.4f)",
                      map.first_key(map.bin_of(key)),
                      map.bin_of(key) + 1 < static_cast<int>(map.bins.size())
                          ? map.first_key(map.bin_of(key) + 1) - 1
                          : t - 1,
                      static_cast<double>(map.bins[map.bin_of(key)]), key,
                      static_cast<double>(state.row[key]));
  }
  if (!map.strongest.empty()) {
    const int i = std::clamp(state.next, 0, static_cast<int>(map.strongest.size()) - 1);
    char label[96];
    std::snprintf(label, sizeof label, "next strongest \xE2\x86\x92 key %d (%.3f, %d of %zu)",
                  map.strongest[i], static_cast<double>(map.strongest_weights[i]), i + 1,
                  map.strongest.size());
    if (ImGui::SmallButton(label)) {
      state.jump_to = map.strongest[i];
      state.next = (i + 1) % static_cast<int>(map.strongest.size());
    }
    name_item("arcs_next_strongest");
    ImGui::SameLine();
  }
  ImGui::TextDisabled("where token %d's attention lies along its %d keys", query,
                      in.reader->visible_keys(query));
}
}  // namespace

PictureSize draw_arcs_view(const ArcsPanelInput& in, ArcsPanelState& state, Actions& out) {
  const ViewSpec& spec = *in.spec;
  const AttentionReader& reader = *in.reader;
  const std::vector<ArcSeries> series = arc_series(spec, reader.heads());
  draw_toolbar(in, series, out);
  const int tokens = reader.tokens_count();
  if (tokens == 0) {
    ImGui::TextDisabled("Type some text to see its attention.");
    return {};
  }
  const std::optional<int> query = active_query(spec, *in.pointer);
  const bool whole_model = head_mode_info(spec.head_mode).whole_model;
  if (whole_model && !in.whole_map_refusal.empty()) {
    text_wrapped_coloured(to_imvec4(theme_colors(spec.theme).warning), in.whole_map_refusal);
    name_item("whole_map_refusal");
  } else if (whole_model && in.whole_map.empty()) {
    ImGui::TextDisabled("computing the %s\xE2\x80\xA6", head_mode_info(spec.head_mode).description);
  } else if (!query) {
    ImGui::TextDisabled(
        "Click a token to pin its arcs; hover to preview. \xE2\x86\x90 \xE2\x86\x92 move, Esc "
        "clears.");
  } else {
    ImGui::Text(
        "token %d \"%s\"%s", *query, chip_label(reader.tokens()[*query]).c_str(),
        spec.pinned_token == query && !in.pointer->hovered_token ? " (pinned)" : " (preview)");
  }
  MinimapState& minimap = state.minimap;
  if (query && tokens >= kMinimapTokens && !(whole_model && in.whole_map.empty()))
    draw_minimap(in, minimap, *query);
  ImGui::BeginChild("arcs_scroll", {0, 0}, false, ImGuiWindowFlags_NoMove);
  const float s = in.ui_scale;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  PictureSize size{std::floor(avail.x / s), std::floor(ImGui::GetWindowHeight() / s)};
  ArcsSceneInput scene_input;
  scene_input.reader = &reader;
  scene_input.spec = &spec;
  scene_input.whole_map = in.whole_map;
  scene_input.query = query;
  scene_input.preview = in.pointer->hovered_token.has_value() && !spec.pinned_token;
  scene_input.hovered = in.pointer->hovered_token;
  scene_input.received = in.received;
  scene_input.labels = in.labels;
  scene_input.font = in.font;
  scene_input.width = size.width;
  scene_input.height = size.height;
  scene_input.text_height = ImGui::GetFontSize() / s;
  scene_input.visible_top = ImGui::GetScrollY() / s;
  scene_input.visible_bottom = (ImGui::GetScrollY() + ImGui::GetWindowHeight()) / s;
  const ArcsScene scene = build_arcs_scene(scene_input);

  // The picture, with an invisible button over it for the mouse.
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const FigurePainter painter{ImGui::GetWindowDrawList(), origin, s, in.font};
  const Rect picture = painter.to_screen_rect(Rect{0, 0, scene.figure.width, scene.figure.height});
  ImGui::InvisibleButton(scene.columns ? "arcs_columns_canvas" : "arcs_canvas",
                         {std::max(1.0f, picture.width()), std::max(1.0f, picture.height())});
  name_item("arcs_canvas");
  name_rect("arcs_picture", picture);
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  const Point mouse = painter.to_picture(ImGui::GetMousePos());
  std::optional<int> under_mouse;  // a query chip (line view: any chip)
  std::optional<int> key_under_mouse;
  if (hovered && !scene.columns) under_mouse = hit_test(scene.flow, mouse);
  if (hovered && scene.columns) {
    if (auto hit = hit_test_columns(scene.layout, mouse)) {
      if (hit->first == 0) under_mouse = hit->second;
      if (hit->first == 1) key_under_mouse = hit->second;
    }
  }
  if (clicked && under_mouse)
    out.push_back(action::Select{{SelectionEventKind::kClick, *under_mouse}});
  if (under_mouse) out.push_back(action::Select{{SelectionEventKind::kHover, *under_mouse}});
  // With a query pinned, the chip (or key) under the mouse is the key the Inspector explains,
  // as a heatmap cell is (issue 11: only the heatmap set it).
  std::optional<int> hovered_key = key_under_mouse;
  if (under_mouse && spec.pinned_token && !in.pointer->hovered_token) hovered_key = under_mouse;
  if (hovered_key) {
    out.push_back(action::HoverKey{hovered_key});
    state.set_hovered_key = true;
  } else if (state.set_hovered_key) {
    out.push_back(action::HoverKey{std::nullopt});
    state.set_hovered_key = false;
  }

  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 clip_min = ImGui::GetWindowPos();
  draw->PushClipRect(clip_min,
                     {clip_min.x + ImGui::GetWindowWidth(), clip_min.y + ImGui::GetWindowHeight()},
                     true);
  painter.paint(scene.figure);
  draw->PopClipRect();

  // Names of what tests click, from the picture's layout.
  if (recording_layout()) {
    if (!scene.columns) {
      auto [first, last] = scene.flow.tokens_in_band(scene_input.visible_top - scene.arc_room,
                                                     scene_input.visible_bottom);
      for (int i = first; i < last; ++i)
        name_rect("arc_token." + std::to_string(i), painter.to_screen_rect(scene.flow.boxes[i]));
      // Where the query's arcs land (on screen or not): tests check them against its row.
      for (int key : scene.arc_keys)
        name_rect("arc_to." + std::to_string(key), painter.to_screen_rect(scene.flow.boxes[key]));
    } else {
      for (int i = 0; i < tokens; ++i) {
        const Rect q = painter.to_screen_rect(scene.layout.queries[i]);
        if (q.y1 < clip_min.y || q.y0 > clip_min.y + ImGui::GetWindowHeight()) continue;
        name_rect("arc_query." + std::to_string(i), q);
        name_rect("arc_key." + std::to_string(i), painter.to_screen_rect(scene.layout.keys[i]));
      }
    }
  }
  // The minimap's jump: the key scrolls into view (a third down the window) and is outlined.
  if (minimap.jump_to && *minimap.jump_to < tokens) {
    const int key = *minimap.jump_to;
    const Rect box = scene.columns ? scene.layout.keys[key] : scene.flow.boxes[key];
    ImGui::SetScrollY(std::max(0.0f, box.y0 * s - ImGui::GetWindowHeight() / 3));
    minimap.jumped = key;
    minimap.jump_to.reset();
  }
  if (query && minimap.query == *query && minimap.jumped >= 0 && minimap.jumped < tokens) {
    const Rect box = painter.to_screen_rect(scene.columns ? scene.layout.keys[minimap.jumped]
                                                          : scene.flow.boxes[minimap.jumped]);
    draw->AddRect({box.x0 - 3, box.y0 - 3}, {box.x1 + 3, box.y1 + 3}, IM_COL32(255, 200, 60, 255),
                  4.0f, 0, 2.5f);
    name_rect("arcs_jumped." + std::to_string(minimap.jumped), box);
  }
  if (!scene.columns) {  // the tokens in view, for the minimap's frame
    const auto [first, last] =
        scene.flow.tokens_in_band(scene_input.visible_top, scene_input.visible_bottom);
    minimap.first_visible = first;
    minimap.last_visible = last;
  }
  // A newly pinned token scrolls into view.
  if (!scene.columns) {
    std::optional<Rect> box;
    if (spec.pinned_token && *spec.pinned_token < tokens)
      box = Rect{scene.flow.boxes[*spec.pinned_token]}.translated(0, 0);
    if (box) box = Rect{box->x0 * s, box->y0 * s, box->x1 * s, box->y1 * s};
    scroll_to_pin(state.scroll, spec.pinned_token, box, (scene.arc_room + 8) * s);
  } else if (spec.pinned_token != state.columns_scrolled_to) {
    state.columns_scrolled_to = spec.pinned_token;
    if (spec.pinned_token && *spec.pinned_token < tokens) {
      const float y = scene.layout.queries[*spec.pinned_token].y0 * s;
      if (y < ImGui::GetScrollY() || y > ImGui::GetScrollY() + ImGui::GetWindowHeight() - 20 * s)
        ImGui::SetScrollY(std::max(0.0f, y - ImGui::GetWindowHeight() / 3));
    }
  }
  ImGui::EndChild();

  if (under_mouse) {
    if (query && *query != *under_mouse) {
      weight_tooltip(in, series, *query, *under_mouse);
    } else {
      token_tooltip(in, *under_mouse);
    }
  } else if (key_under_mouse && query) {
    weight_tooltip(in, series, *query, *key_under_mouse);
  }
  return size;
}

}  // namespace attnviz::ui

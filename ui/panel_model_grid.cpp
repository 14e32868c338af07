#include "ui/panel_model_grid.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/panel_head_roles.h"

namespace attnviz::ui {

namespace {

constexpr float kPreviewPixels = 280.0f;  // side of the hover preview

const HeadRole* role_at(const HeadRoleTable* roles, int layer, int head) {
  if (roles == nullptr || layer >= roles->layers || head >= roles->heads) return nullptr;
  return &roles->at(layer, head);
}

void draw_preview(HeatmapRenderer& renderer, const GridAtlas& atlas, const HeadRoleTable* roles,
                  int layer, int head) {
  const float scale = ImGui::GetIO().DisplayFramebufferScale.x;
  void* preview =
      renderer.render_grid_preview(layer, head, static_cast<int>(kPreviewPixels * scale + 0.5f));
  ImGui::BeginTooltip();
  ImGui::Text("layer %d \xC2\xB7 head %d", layer, head);
  if (const HeadRole* role = role_at(roles, layer, head)) {
    ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, role_colour(role->label));
    ImGui::TextUnformatted(role->label.c_str());
    ImGui::PopStyleColor();
  }
  if (preview != nullptr)
    ImGui::Image(preview, ImVec2(kPreviewPixels, kPreviewPixels), ImVec2(0, 1), ImVec2(1, 0));
  if (const HeadRole* role = role_at(roles, layer, head)) {
    ImGui::Text("prev %.2f  dup %.2f  induction %.2f  first %.2f", role->previous_token,
                role->duplicate_token, role->induction, role->first_token_share);
    ImGui::Text("mean distance %.1f  entropy %.2f nats", role->mean_distance, role->mean_entropy);
  }
  ImGui::TextDisabled(
      "largest weight %.3f; click to select",
      static_cast<double>(atlas.head_max[static_cast<size_t>(layer) * atlas.heads + head]));
  ImGui::EndTooltip();
}

}  // namespace

void draw_model_grid_contents(const AttentionTrace& trace, ViewState& view,
                              HeatmapRenderer& renderer, const HeadRoleTable* roles) {
  if (trace.tokens_count() == 0 || trace.layers() == 0 || trace.heads() == 0) {
    ImGui::TextDisabled("No attention yet: type some text.");
    return;
  }
  GridSettings& settings = renderer.grid;
  const float framebuffer_scale = ImGui::GetIO().DisplayFramebufferScale.x;
  const GridAtlas& atlas = renderer.grid_atlas(
      trace, settings, static_cast<int>(settings.thumbnail_pixels * framebuffer_scale + 0.5f));
  if (atlas.texture == nullptr) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::TextWrapped("The grid cannot be drawn: %s", renderer.error().c_str());
    ImGui::PopStyleColor();
    return;
  }
  ImGui::Checkbox("per-head contrast", &settings.per_head_contrast);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Each thumbnail spans 0 to its own largest weight (off: 0 to 1)");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(140.0f);
  ImGui::SliderFloat("size", &settings.thumbnail_pixels, 32.0f, 200.0f, "%.0f px");
  settings.thumbnail_pixels = std::round(settings.thumbnail_pixels);
  if (atlas.thumbnail.block > 1) {
    ImGui::SameLine();
    ImGui::TextDisabled("(each pixel: max of %dx%d cells)", atlas.thumbnail.block,
                        atlas.thumbnail.block);
  }

  const float side = settings.thumbnail_pixels;
  const float line = ImGui::GetTextLineHeight();
  const float label_height = roles != nullptr ? line + 2.0f : 0.0f;
  const float gap = 6.0f;
  const float row_label_width = ImGui::CalcTextSize("L00").x + 8.0f;
  const ImVec2 cell(side + gap, side + label_height + gap);

  ImGui::BeginChild("##grid_scroll", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  char label[32];
  for (int h = 0; h < atlas.heads; ++h) {  // column headers
    std::snprintf(label, sizeof label, "H%d", h);
    const float width = ImGui::CalcTextSize(label).x;
    draw_list->AddText(
        ImVec2(origin.x + row_label_width + h * cell.x + (side - width) * 0.5f, origin.y),
        h == view.head ? text : dim, label);
  }
  const ImVec2 grid_origin(origin.x + row_label_width, origin.y + line + 4.0f);
  std::optional<std::pair<int, int>> hovered;
  for (int l = 0; l < atlas.layers; ++l) {
    const float y = grid_origin.y + l * cell.y;
    std::snprintf(label, sizeof label, "L%d", l);
    draw_list->AddText(ImVec2(origin.x, y + (side - line) * 0.5f), l == view.layer ? text : dim,
                       label);
    for (int h = 0; h < atlas.heads; ++h) {
      const ImVec2 a(grid_origin.x + h * cell.x, y);
      const ImVec2 b(a.x + side, a.y + side);
      float uv0[2], uv1[2];
      atlas.uv(l, h, uv0, uv1);
      draw_list->AddImage(atlas.texture, a, b, ImVec2(uv0[0], uv0[1]), ImVec2(uv1[0], uv1[1]));
      ImGui::SetCursorScreenPos(a);
      ImGui::PushID(l * atlas.heads + h);
      if (ImGui::InvisibleButton("##thumb", ImVec2(side, side + label_height))) {
        view.layer = l;
        view.head = h;
        view.head_mode = HeadMode::kSingleHead;
      }
      if (ImGui::IsItemHovered()) hovered = {l, h};
      ImGui::PopID();
      const bool selected = l == view.layer && h == view.head;
      if (selected || (hovered && hovered->first == l && hovered->second == h))
        draw_list->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2),
                           selected ? IM_COL32(255, 190, 60, 255) : IM_COL32(255, 255, 255, 160),
                           0.0f, 0, 2.0f);
      if (const HeadRole* role = role_at(roles, l, h)) {
        const ImVec2 size = ImGui::CalcTextSize(role->label.c_str());
        draw_list->AddText(ImVec2(a.x + (side - size.x) * 0.5f, b.y + 1.0f),
                           role_colour(role->label), role->label.c_str());
      }
    }
  }
  // Reserve the grid's area so the child window scrolls over all of it.
  ImGui::SetCursorScreenPos(
      ImVec2(grid_origin.x + atlas.heads * cell.x, grid_origin.y + atlas.layers * cell.y));
  ImGui::Dummy(ImVec2(1, 1));
  if (hovered) draw_preview(renderer, atlas, roles, hovered->first, hovered->second);
  ImGui::EndChild();
}

void draw_model_grid_panel(const AttentionTrace& trace, ViewState& view, HeatmapRenderer& renderer,
                           const HeadRoleTable* roles) {
  if (ImGui::Begin("Model grid")) draw_model_grid_contents(trace, view, renderer, roles);
  ImGui::End();
}

}  // namespace attnviz::ui

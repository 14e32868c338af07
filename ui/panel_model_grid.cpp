#include "ui/panel_model_grid.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/view/map_scene.h"
#include "ui/figure_painter.h"
#include "ui/imgui_colors.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

namespace {

constexpr float kPreviewPixels = 280.0f;  // side of the hover preview

const HeadRole* role_at(const HeadRoleTable* roles, int layer, int head) {
  if (roles == nullptr || layer >= roles->layers || head >= roles->heads ||
      roles->roles.size() != static_cast<size_t>(roles->layers) * roles->heads ||
      roles->at(layer, head).label.empty())
    return nullptr;
  return &roles->at(layer, head);
}

void draw_preview(HeatmapRenderer& renderer, const GridAtlas& atlas, const HeadRoleTable* roles,
                  Theme theme, int layer, int head) {
  const float scale = ImGui::GetIO().DisplayFramebufferScale.x;
  void* preview =
      renderer.render_grid_preview(layer, head, static_cast<int>(kPreviewPixels * scale + 0.5f));
  ImGui::BeginTooltip();
  ImGui::Text("layer %d \xC2\xB7 head %d", layer, head);
  if (const HeadRole* role = role_at(roles, layer, head)) {
    ImGui::SameLine();
    ImGui::TextColored(to_imvec4(role_color(role->label, theme)), "%s", role->label.c_str());
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

std::vector<std::string> role_labels(const HeadRoleTable* roles, int layers, int heads) {
  std::vector<std::string> labels;
  if (!roles || roles->layers != layers || roles->heads != heads ||
      roles->roles.size() != static_cast<size_t>(layers) * heads)
    return labels;
  for (const HeadRole& role : roles->roles) labels.push_back(role.label);
  return labels;
}

void draw_model_grid_panel(const GridPanelInput& in, HeatmapRenderer& renderer, Actions& out) {
  if (!ImGui::Begin("Model grid")) {
    ImGui::End();
    return;
  }
  const AttentionReader& reader = *in.reader;
  const ViewSpec& spec = *in.spec;
  if (reader.tokens_count() == 0 || reader.layers() == 0 || reader.heads() == 0) {
    ImGui::TextDisabled("No attention yet: type some text.");
    ImGui::End();
    return;
  }
  ViewSpec edited = spec;
  bool changed = ImGui::Checkbox("per-head contrast", &edited.grid_per_head_contrast);
  name_item("grid_per_head_contrast");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Each thumbnail spans 0 to its own largest weight (off: 0 to 1)");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(140.0f * in.ui_scale);
  changed |= ImGui::SliderFloat("size", &edited.grid_tile, 32.0f, 200.0f, "%.0f px");
  edited.grid_tile = std::round(edited.grid_tile);
  if (changed) out.push_back(action::SetView{edited});

  const std::vector<std::string> roles = role_labels(in.roles, reader.layers(), reader.heads());
  const float s = in.ui_scale;
  const float framebuffer = ImGui::GetIO().DisplayFramebufferScale.x;
  GridSceneInput scene_input;
  scene_input.layers = reader.layers();
  scene_input.heads = reader.heads();
  scene_input.spec = &spec;
  scene_input.tile_texels = thumbnail_layout(reader.tokens_count(), kGridMaxTexels).texels;
  scene_input.causal = reader.causal();
  scene_input.roles = roles;
  scene_input.font = in.font;
  scene_input.text_height = ImGui::GetFontSize() / s;
  scene_input.kv_heads = reader.kv_heads();
  scene_input.windows = reader.windows();
  const GridScene scene = build_grid_scene(scene_input);
  if (in.thumbnails_on_engine && !in.thumbnails) {
    ImGui::TextDisabled(
        "computing the thumbnails of %d heads (%d tokens, weights recomputed)"
        "\xE2\x80\xA6",
        reader.layers() * reader.heads(), reader.tokens_count());
    name_item("grid_computing");
    ImGui::End();
    return;
  }
  const GridAtlas& atlas =
      renderer.grid_atlas(in.trace_id, reader, spec.grid_per_head_contrast,
                          static_cast<int>(scene.tile * s * framebuffer + 0.5f), scene.style,
                          in.thumbnails, in.thumbnails_head_max);
  if (atlas.texture == nullptr) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::TextWrapped("The grid cannot be drawn: %s", renderer.error().c_str());
    ImGui::PopStyleColor();
    ImGui::End();
    return;
  }
  if (atlas.values.block > 1) {
    ImGui::SameLine();
    ImGui::TextDisabled("(each pixel: max of %dx%d cells)", atlas.values.block, atlas.values.block);
  }

  ImGui::BeginChild("##grid_scroll", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const FigurePainter painter{ImGui::GetWindowDrawList(), origin, s, in.font};
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  name_rect("grid_picture",
            painter.to_screen_rect(Rect{0, 0, scene.figure.width, scene.figure.height}));
  std::optional<std::pair<int, int>> hovered;
  for (const GridTile& tile : scene.tiles) {
    const Rect rect = painter.to_screen_rect(tile.rect);
    float uv0[2], uv1[2];
    atlas.uv(tile.layer, tile.head, uv0, uv1);
    draw_list->AddImage(atlas.texture, {rect.x0, rect.y0}, {rect.x1, rect.y1}, {uv0[0], uv0[1]},
                        {uv1[0], uv1[1]});
    ImGui::SetCursorScreenPos({rect.x0, rect.y0});
    ImGui::PushID(tile.layer * atlas.heads + tile.head);
    if (ImGui::InvisibleButton("##thumb", {rect.width(), rect.height()}))
      out.push_back(action::SelectHead{tile.layer, tile.head});
    name_item("tile." + std::to_string(tile.layer) + "." + std::to_string(tile.head));
    if (ImGui::IsItemHovered()) hovered = {tile.layer, tile.head};
    ImGui::PopID();
  }
  painter.paint(scene.figure);
  if (hovered) {
    const Rect rect =
        painter.to_screen_rect(scene.tiles[hovered->first * atlas.heads + hovered->second].rect);
    draw_list->AddRect({rect.x0 - 2, rect.y0 - 2}, {rect.x1 + 2, rect.y1 + 2},
                       IM_COL32(255, 255, 255, 160), 0.0f, 0, 2.0f);
  }
  // Reserve the grid's area so the child window scrolls over all of it.
  ImGui::SetCursorScreenPos(painter.to_screen({scene.figure.width, scene.figure.height}));
  ImGui::Dummy(ImVec2(1, 1));
  if (hovered) draw_preview(renderer, atlas, in.roles, spec.theme, hovered->first, hovered->second);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace attnviz::ui

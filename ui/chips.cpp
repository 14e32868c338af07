#include "ui/chips.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnviz::ui {

void update_flow_cache(FlowCache& cache, const AttentionTrace& trace, const FlowParams& params,
                       const ChipStyle& style) {
  const float font_size = ImGui::GetFontSize();
  const bool same_tokens = cache.trace == &trace && cache.font_size == font_size;
  if (same_tokens && cache.line_width == params.line_width && cache.line_gap == params.line_gap)
    return;
  if (!same_tokens) {
    const auto& tokens = trace.tokens();
    cache.labels.resize(tokens.size());
    cache.widths.resize(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      cache.labels[i] = chip_label(tokens[i]);
      cache.widths[i] = ImGui::CalcTextSize(cache.labels[i].c_str()).x + 2 * style.padding_x;
    }
  }
  cache.trace = &trace;
  cache.font_size = font_size;
  cache.line_width = params.line_width;
  cache.line_gap = params.line_gap;
  cache.layout = layout_flow(cache.widths, params);
}

void scroll_to_pin(FlowCache& cache, std::optional<int> pinned, float margin) {
  if (!pinned) {
    cache.scrolled_to = -1;
    return;
  }
  if (*pinned == cache.scrolled_to || *pinned >= static_cast<int>(cache.layout.boxes.size()))
    return;
  const Rect& box = cache.layout.boxes[*pinned];
  const float top = ImGui::GetScrollY(), bottom = top + ImGui::GetWindowHeight();
  // Done once the pin is on screen; a scroll asked for in a window's first frame is clamped to
  // a content size ImGui does not know yet, so keep asking for a few frames.
  if ((box.y0 - margin >= top && box.y1 <= bottom) || ++cache.scroll_attempts > 4) {
    cache.scrolled_to = *pinned;
    cache.scroll_attempts = 0;
    return;
  }
  ImGui::SetScrollY(std::max(0.0f, box.y0 - margin));
}

void draw_chip(ImDrawList* draw, const Rect& box, const char* label, float heat, bool pinned,
               bool hovered, bool special, const ChipStyle& style) {
  const Rgba base = style.light_theme ? Rgba{0.93f, 0.93f, 0.95f, 1} : Rgba{0.20f, 0.21f, 0.25f, 1};
  const Rgba hot = style.light_theme ? Rgba{0.98f, 0.55f, 0.15f, 1} : Rgba{0.95f, 0.50f, 0.10f, 1};
  // sqrt: small weights stay visible next to one dominant key.
  const float t = std::sqrt(std::clamp(heat, 0.0f, 1.0f));
  const Rgba fill = mix(base, hot, t);
  const ImVec2 a{box.x0, box.y0}, b{box.x1, box.y1};
  // Without an anti-aliased fringe: a chip is 14 triangles instead of 46, which a software
  // rasterizer feels with a thousand chips on screen; the 4 px corners look the same.
  const ImDrawListFlags flags = draw->Flags;
  draw->Flags &= ~ImDrawListFlags_AntiAliasedFill;
  draw->AddRectFilled(a, b, pack_abgr(fill), style.rounding);
  draw->Flags = flags;
  if (pinned) {
    draw->AddRect(
        a, b, pack_abgr(style.light_theme ? Rgba{0.05f, 0.3f, 0.8f, 1} : Rgba{0.4f, 0.75f, 1, 1}),
        style.rounding, 0, 2.5f);
  } else if (hovered) {
    draw->AddRect(
        a, b,
        pack_abgr(style.light_theme ? Rgba{0.3f, 0.3f, 0.3f, 1} : Rgba{0.85f, 0.85f, 0.85f, 1}),
        style.rounding, 0, 1.5f);
  }
  // Text colour follows the fill's brightness so it stays readable on any heat.
  const float luminance = 0.299f * fill.r + 0.587f * fill.g + 0.114f * fill.b;
  Rgba ink = luminance > 0.55f ? Rgba{0.08f, 0.08f, 0.1f, 1} : Rgba{0.95f, 0.95f, 0.97f, 1};
  if (special) ink.a = 0.6f;
  const float text_y = box.y0 + 0.5f * (box.height() - ImGui::GetFontSize());
  draw->AddText({box.x0 + style.padding_x, text_y}, pack_abgr(ink), label);
}

void token_tooltip_header(const Token& token, int index) {
  ImGui::Text("token %d: \"%s\"", index, chip_label(token, 64).c_str());
  ImGui::TextDisabled("id %d, bytes %zu..%zu%s", token.id, token.start, token.end,
                      token.special ? ", special" : "");
}

}  // namespace attnviz::ui

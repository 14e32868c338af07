#include "ui/palette.h"

#include <algorithm>
#include <cmath>

namespace attnviz::ui {

namespace {

Rgba hsv(float h, float s, float v) {
  h = h - std::floor(h);
  const float i = std::floor(h * 6.0f), f = h * 6.0f - i;
  const float p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  switch (static_cast<int>(i) % 6) {
    case 0: return {v, t, p, 1};
    case 1: return {q, v, p, 1};
    case 2: return {p, v, t, 1};
    case 3: return {p, q, v, 1};
    case 4: return {t, p, v, 1};
    default: return {v, p, q, 1};
  }
}

}  // namespace

Rgba head_color(int head, int heads, bool light_theme) {
  static constexpr std::array<unsigned, 12> kColors = {
      0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F, 0xEDC948,
      0xB07AA1, 0xFF9DA7, 0x9C755F, 0x86BCB6, 0xD37295, 0xA0CBE8};
  Rgba c;
  if (heads <= static_cast<int>(kColors.size())) {
    const unsigned v = kColors[static_cast<size_t>(std::max(head, 0)) % kColors.size()];
    c = {((v >> 16) & 255) / 255.0f, ((v >> 8) & 255) / 255.0f, (v & 255) / 255.0f, 1};
  } else {
    c = hsv(static_cast<float>(head) / std::max(heads, 1), 0.65f, 0.95f);
  }
  if (light_theme) c = {c.r * 0.8f, c.g * 0.8f, c.b * 0.8f, 1};
  return c;
}

Rgba weight_color(float weight) {
  // Control points of inferno at 0, .25, .5, .75, 1.
  static constexpr std::array<Rgba, 5> kStops = {Rgba{0.00f, 0.00f, 0.02f, 1},
                                                 Rgba{0.34f, 0.06f, 0.43f, 1},
                                                 Rgba{0.73f, 0.21f, 0.33f, 1},
                                                 Rgba{0.98f, 0.55f, 0.04f, 1},
                                                 Rgba{0.99f, 1.00f, 0.64f, 1}};
  const float x = std::clamp(weight, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(x), 3);
  return mix(kStops[i], kStops[i + 1], x - i);
}

Rgba mix(const Rgba& a, const Rgba& b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t, a.a + (b.a - a.a) * t};
}

unsigned int pack_abgr(const Rgba& c) {
  auto byte = [](float v) { return static_cast<unsigned>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255)); };
  return (byte(c.a) << 24) | (byte(c.b) << 16) | (byte(c.g) << 8) | byte(c.r);
}

}  // namespace attnviz::ui

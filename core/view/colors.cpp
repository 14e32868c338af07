#include "core/view/colors.h"

#include <algorithm>
#include <cmath>

namespace attnviz {

namespace {

uint8_t channel(float value) {
  return static_cast<uint8_t>(std::lround(std::clamp(value, 0.0f, 1.0f) * 255.0f));
}

Rgba from_hex(unsigned rgb) {
  return {static_cast<uint8_t>((rgb >> 16) & 255), static_cast<uint8_t>((rgb >> 8) & 255),
          static_cast<uint8_t>(rgb & 255), 255};
}

Rgba hsv(float h, float s, float v) {
  h -= std::floor(h);
  const float i = std::floor(h * 6.0f), f = h * 6.0f - i;
  const float p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  float r = v, g = p, b = q;
  switch (static_cast<int>(i) % 6) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      break;
  }
  return {channel(r), channel(g), channel(b), 255};
}

}  // namespace

Rgba mix(Rgba a, Rgba b, float t) {
  const float u = std::clamp(t, 0.0f, 1.0f);
  const auto lerp = [u](uint8_t x, uint8_t y) {
    return static_cast<uint8_t>(std::lround(x + (static_cast<float>(y) - x) * u));
  };
  return {lerp(a.r, b.r), lerp(a.g, b.g), lerp(a.b, b.b), lerp(a.a, b.a)};
}

Rgba with_alpha(Rgba color, float alpha) {
  color.a = channel(alpha);
  return color;
}

float luminance(Rgba c) {
  return (0.299f * c.r + 0.587f * c.g + 0.114f * c.b) / 255.0f;
}

const ThemeColors& theme_colors(Theme theme) {
  static const ThemeColors kDark = {
      .background = {27, 28, 33, 255},
      .text = {230, 230, 232, 255},
      .muted = {150, 154, 162, 255},
      .frame = {90, 94, 102, 255},
      .masked = {41, 41, 46, 255},
      .hatch = {69, 69, 77, 255},
      .window_masked = {52, 44, 38, 255},
      .window_hatch = {128, 98, 66, 255},
      .chip = {51, 54, 64, 255},
      .chip_hot = {242, 128, 26, 255},
      .chip_text_dark = {20, 20, 26, 255},
      .chip_text_light = {242, 242, 247, 255},
      .pinned_outline = {102, 191, 255, 255},
      .hover_outline = {217, 217, 217, 255},
      .combined_arc = {115, 191, 255, 255},
      .background_arc = {191, 204, 230, 255},
      .highlight = {255, 190, 60, 255},
      .warning = {242, 153, 77, 255},
      .success = {102, 217, 115, 255},
      .error = {247, 110, 100, 255},
  };
  static const ThemeColors kLight = {
      .background = {247, 247, 250, 255},
      .text = {28, 28, 30, 255},
      .muted = {105, 105, 110, 255},
      .frame = {170, 170, 175, 255},
      .masked = {228, 228, 232, 255},
      .hatch = {200, 200, 206, 255},
      .window_masked = {241, 232, 218, 255},
      .window_hatch = {206, 170, 120, 255},
      .chip = {226, 226, 232, 255},
      .chip_hot = {250, 140, 38, 255},
      .chip_text_dark = {20, 20, 26, 255},
      .chip_text_light = {250, 250, 252, 255},
      .pinned_outline = {13, 77, 204, 255},
      .hover_outline = {77, 77, 77, 255},
      .combined_arc = {26, 89, 191, 255},
      .background_arc = {64, 77, 102, 255},
      .highlight = {200, 110, 0, 255},
      .warning = {180, 80, 10, 255},
      .success = {20, 120, 45, 255},
      .error = {190, 30, 30, 255},
  };
  return theme == Theme::kLight ? kLight : kDark;
}

namespace {
double relative_luminance(Rgba c) {
  const auto channel = [](uint8_t v) {
    const double x = v / 255.0;
    return x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}
}  // namespace

double contrast_ratio(Rgba a, Rgba b) {
  const double la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

Rgba over(Rgba top, Rgba bottom) {
  const float alpha = top.a / 255.0f;
  const auto blend = [alpha](uint8_t t, uint8_t b) {
    return static_cast<uint8_t>(std::lround(t * alpha + b * (1.0f - alpha)));
  };
  return {blend(top.r, bottom.r), blend(top.g, bottom.g), blend(top.b, bottom.b), 255};
}

Rgba head_color(int head, int heads, Theme theme) {
  static constexpr std::array<unsigned, 12> kTableau = {0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2,
                                                        0x59A14F, 0xEDC948, 0xB07AA1, 0xFF9DA7,
                                                        0x9C755F, 0x86BCB6, 0xD37295, 0xA0CBE8};
  Rgba color = heads <= static_cast<int>(kTableau.size())
                   ? from_hex(kTableau[static_cast<size_t>(std::max(head, 0)) % kTableau.size()])
                   : hsv(static_cast<float>(head) / std::max(heads, 1), 0.65f, 0.95f);
  if (theme == Theme::kLight) color = mix(color, Rgba{0, 0, 0, 255}, 0.2f);
  return color;
}

Rgba diverging(float value) {
  static constexpr Rgba kWhite{247, 247, 247, 255};
  static constexpr Rgba kBlue{33, 102, 171, 255};  // less attention in B than in A
  static constexpr Rgba kRed{178, 24, 43, 255};    // more attention in B than in A
  if (!(value == value)) return kWhite;            // NaN
  const float t = std::clamp(value, -1.0f, 1.0f);
  return t < 0.0f ? mix(kWhite, kBlue, -t) : mix(kWhite, kRed, t);
}

}  // namespace attnviz

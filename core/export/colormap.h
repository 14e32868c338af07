// Colour maps for attention weights: viridis, perceptually uniform and readable in grey and by
// colour-blind readers, so equal steps of weight look like equal steps of colour.
#pragma once

#include <array>
#include <cstdint>

namespace attnviz {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// The 256 entries of matplotlib's viridis (van der Walt, Smith and Firing, CC0), as floats in
// [0, 1]; entry 0 is the colour of the lowest value. The GUI uploads this as a 1-D texture.
const std::array<std::array<float, 3>, 256>& viridis_table();

// The same table rounded to 8 bits per channel, RGB interleaved (768 bytes).
const std::array<uint8_t, 768>& viridis_table_rgb8();

// Colour of a value in [0, 1] (clamped; NaN reads as 0): the nearest of the 256 entries, so the
// exporters and a GL_NEAREST texture lookup give the same colour.
Rgb viridis(float value);

// Index of the entry viridis(value) uses.
int viridis_index(float value);

}  // namespace attnviz

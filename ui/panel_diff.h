// Diff mode: the attention of two runs side by side — the text on screen against a second
// text with the same model, or against a second model on the same text — and the difference
// map where their tokens line up (core/analysis/diff.h), for the current layer, head or
// aggregate. The engine runs the second text and computes the maps; this window draws the
// latest DiffResult and turns its inputs into actions.
//
// Legend: T_a, T_b tokens of the two runs, K aligned tokens. Maps are rows = queries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/engine/engine_state.h"
#include "ui/actions.h"
#include "ui/gl_renderer.h"

namespace attnviz::ui {

struct DiffPanelState {
  std::string text_b;         // the second text box
  std::string model_b_input;  // the second model's folder box (committed with Enter)
  uint64_t uploaded = 0;      // the DiffResult id the textures show
  GlTexture texture_a, texture_b, texture_diff;
};

struct DiffPanelInput {
  const ViewSpec* spec = nullptr;
  const DiffResult* result = nullptr;  // null while the first result is computed
  const std::string* main_text = nullptr;
};

// RGBA8 image (size x size) of a (cells, cells) map, each cell a block of pixels (nearest
// sampling when cells > size). Sequential: weight / max_value on viridis.
std::vector<uint8_t> sequential_image(const std::vector<float>& map, int cells, int size,
                                      float max_value);
// Diverging blue–white–red: −max_abs blue, 0 white, +max_abs red (core/view/colors.h).
std::vector<uint8_t> diverging_image(const std::vector<float>& map, int cells, int size,
                                     float max_abs);

void draw_diff_panel(DiffPanelState& state, const DiffPanelInput& input, Actions& out);

}  // namespace attnviz::ui

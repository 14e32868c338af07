// The model card window (Help ▸ Model card, or the Model panel's "Model card" button): family,
// parameters, layers, query and key/value heads, head dim, positions and their scaling, the
// window of each layer, soft-capping, stored precision and context, as the lines of
// core/model_card's card_lines, which `attnviz models --card DIR` prints too.
#pragma once

#include "app/engine/engine_state.h"

namespace attnviz::ui {

// `model` null: no model (imported attention), the window says so. `open` is cleared by the
// window's close box.
void draw_model_card_window(const ModelInfo* model, bool& open);

}  // namespace attnviz::ui

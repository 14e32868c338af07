// The arcs view: tokens on lines that wrap; the pinned (or hovered) token sends an arc to every
// key it attends to, width and opacity by weight, one colour per head in multi-head mode; or
// two columns (queries left, keys right) with every visible query's arcs, for long texts.
// Thresholds and top-k per query (ViewState) keep long texts readable and fast.
#pragma once

#include <optional>
#include <vector>

#include "core/attention_trace.h"
#include "ui/app_state.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

// Per-frame scratch and layout caches of the arcs view, owned by the app.
struct ArcsCache {
  FlowCache flow;
  ReceivedCache received;
  std::vector<float> row;   // (T) weights of one query
  std::vector<float> heat;  // (T) chip heat
  std::optional<int> columns_scrolled_to;  // the pin the two-column view last scrolled to
};

struct ArcsPanelContext {
  ViewState* view = nullptr;
  ArcsCache* cache = nullptr;
  LayoutRecorder* recorder = nullptr;
  std::optional<int>* hover_candidate = nullptr;  // see TextPanelContext
  float ui_scale = 1.0f;
};

// Draws into the current window (the centre window's "Arcs" tab).
void draw_arcs_view(const AttentionTrace& trace, const ArcsPanelContext& context);

}  // namespace attnviz::ui

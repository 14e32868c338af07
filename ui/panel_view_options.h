// View options that make big models readable: sub-words merged into words, the first token or
// every special token hidden with rows renormalized. The options turn the raw trace into a
// derived one (core/view_trace.h) that every panel and exporter draws unchanged; this file owns
// the cache of that derived trace, the small options bar, and the absorbed-share readout
// ("token 0 absorbed 62% of attention on average").
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <future>
#include <memory>
#include <string>

#include "core/attention_trace.h"
#include "core/view_trace.h"
#include "ui/layout_recorder.h"
#include "ui/view_state.h"

namespace attnviz::ui {

struct ViewOptionsState {
  bool hide_special = false;  // merge and hide-first live in ViewState (shared with exporters)
  // The derived view of `raw`, rebuilt only when the raw trace or the options change.
  std::shared_ptr<const AttentionTrace> raw;
  TraceViewOptions built_with;
  DerivedTrace derived;
  // A view of a large trace being built on a thread (see update_view_trace).
  std::future<DerivedTrace> pending;
  std::shared_ptr<const AttentionTrace> pending_raw;
  TraceViewOptions pending_options;
};

// The options the person picked, as core's TraceViewOptions.
TraceViewOptions trace_view_options(const ViewState& view, const ViewOptionsState& state);

// Brings state.derived up to date with `raw` and the options, and returns the trace the panels
// should draw (raw itself when no option is on). Views of large traces are built on a thread
// while the previous view stays on screen, so typing never waits. When the tokens change meaning
// (words merged or split, tokens hidden or shown), the pinned and hovered tokens follow the raw
// token they pointed at, so a pin survives toggling an option.
std::shared_ptr<const AttentionTrace> update_view_trace(ViewOptionsState& state,
                                                        std::shared_ptr<const AttentionTrace> raw,
                                                        ViewState& view);

// "token 0 absorbed 62.0% of attention on average (layer 1, enabled heads)": the mean share
// of the hidden tokens over the queries of the heads the view shows; empty when nothing is
// hidden.
std::string absorbed_summary(const DerivedTrace& derived, const ViewState& view);

struct ViewOptionsContext {
  LayoutRecorder* recorder = nullptr;
};

// Draws the options as one line of checkboxes plus the absorbed share, inside the current
// window. Returns true when an option changed this frame.
bool draw_view_options_bar(ViewOptionsState& state, ViewState& view,
                           const ViewOptionsContext& context);

// The bar in its own thin, fixed window (placed by the caller with SetNextWindowPos/Size).
bool draw_view_options_window(ViewOptionsState& state, ViewState& view,
                              const ViewOptionsContext& context);

// Shown in place of the inspector while a derived view is on: Q, K and V belong to the raw
// tokens, so the arithmetic of a word's score does not exist. Offers to switch the view off.
void draw_inspector_needs_raw_tokens(ViewOptionsState& state, ViewState& view);

// The same options as menu items (for a "View" menu).
bool draw_view_options_menu(ViewOptionsState& state, ViewState& view);

}  // namespace attnviz::ui

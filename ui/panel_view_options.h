// View options that make big models readable: sub-words merged into words, the first token or
// every special token hidden with rows renormalized. The engine derives the trace they ask for
// (core/view_trace.h); this file draws the options bar (and menu items) as actions, the
// absorbed-share readout ("token 0 absorbed 62% of attention on average"), and moves a pin to
// the token it meant when the derived view changes.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <string>

#include "core/view/view_spec.h"
#include "core/view_trace.h"
#include "ui/actions.h"

namespace attnviz::ui {

// "token 0 absorbed 62.0% of attention on average (layer 1, enabled heads)": the mean share
// of the hidden tokens over the queries of the heads the view shows; empty when nothing is
// hidden.
std::string absorbed_summary(const DerivedTrace& derived, const ViewSpec& spec);

// When the view's tokens change meaning (words merged or split, tokens hidden or shown), the
// pinned and hovered tokens follow the raw token they pointed at.
void follow_raw_tokens(const DerivedTrace& before, const DerivedTrace& after, ViewSpec& spec,
                       Pointer& pointer);

// The options as one line of checkboxes plus the absorbed share, in its own thin fixed window
// (placed by the caller). `derived` may be null (nothing on screen yet). `what_if`: the run's
// what-ifs in words (what_if_description), shown above every view; "" for the model's own run.
void draw_view_options_window(const ViewSpec& spec, const Pointer& pointer,
                              const DerivedTrace* derived, const std::string& what_if,
                              Actions& out);

// Shown in place of the inspector while a derived view is on: Q, K and V belong to the raw
// tokens, so the arithmetic of a word's score does not exist. Offers to switch the view off.
void draw_inspector_needs_raw_tokens(const ViewSpec& spec, const std::string& description,
                                     Actions& out);

// The same options as menu items (for a "View" menu).
void draw_view_options_menu(const ViewSpec& spec, Actions& out);

}  // namespace attnviz::ui

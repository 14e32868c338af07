// Selection: which token is pinned (clicked) and which is previewed (hovered), as a pure
// reducer so every transition — click, hover, arrow keys, Esc — is unit-tested without a window.
#pragma once

#include <optional>

#include "core/view/view_spec.h"
#include "core/view_trace.h"

namespace attnviz::ui {

// The transient part of what is shown: what the mouse is over (not in the ViewSpec, not
// exported).
struct Pointer {
  std::optional<int> hovered_token;  // a token previewing its arcs
  std::optional<int> hovered_key;    // the key under the mouse (inspector, tooltips)
};

// The query whose attention is shown: the hovered token previews, else the pinned one.
inline std::optional<int> active_query(const ViewSpec& spec, const Pointer& pointer) {
  return pointer.hovered_token ? pointer.hovered_token : spec.pinned_token;
}

struct Selection {
  std::optional<int> pinned;   // query pinned by a click
  std::optional<int> hovered;  // query under the mouse (previews, does not pin)

  bool operator==(const Selection&) const = default;
};

enum class SelectionEventKind {
  kHover,     // the mouse is over `token`
  kHoverEnd,  // the mouse left every token
  kClick,     // `token` clicked: pin it; clicking the pinned token again unpins it
  kNext,      // Right arrow: pin the next token (the first when nothing is pinned)
  kPrevious,  // Left arrow: pin the previous token (the last when nothing is pinned)
  kClear,     // Esc: nothing pinned, nothing previewed
  kReset,     // a new trace with `token` tokens: drop what no longer exists
};

struct SelectionEvent {
  SelectionEventKind kind = SelectionEventKind::kClear;
  int token = -1;  // kHover/kClick: the token; kReset: ignored
};

// The next selection; `tokens` is the number of tokens of the shown trace. Out-of-range tokens
// are ignored rather than trusted, so a stale event after a shorter trace cannot pin garbage.
Selection reduce_selection(const Selection& current, const SelectionEvent& event, int tokens);

inline void apply_selection(ViewSpec& spec, Pointer& pointer, const SelectionEvent& event,
                            int tokens) {
  const Selection next = reduce_selection({spec.pinned_token, pointer.hovered_token}, event, tokens);
  spec.pinned_token = next.pinned;
  pointer.hovered_token = next.hovered;
}

// The raw token a pin stands for, for what reads raw tokens (the logit lens, an ablation's
// before -> after, Rank heads): the pinned view token's last raw token (a merged word predicts
// from its last piece), else the text's last token. `derived` may be null (nothing derived).
int pinned_raw_token(const std::optional<int>& pinned_view_token, const DerivedTrace* derived,
                     int raw_tokens);

}  // namespace attnviz::ui

#include "ui/selection.h"

#include <algorithm>

namespace attnviz::ui {

namespace {

bool valid(int token, int tokens) { return token >= 0 && token < tokens; }

}  // namespace

Selection reduce_selection(const Selection& current, const SelectionEvent& event, int tokens) {
  Selection next = current;
  switch (event.kind) {
    case SelectionEventKind::kHover:
      if (valid(event.token, tokens)) next.hovered = event.token;
      break;
    case SelectionEventKind::kHoverEnd:
      next.hovered.reset();
      break;
    case SelectionEventKind::kClick:
      if (!valid(event.token, tokens)) break;
      if (current.pinned == event.token) {
        next.pinned.reset();
      } else {
        next.pinned = event.token;
      }
      // The click's own token is under the mouse; drop the preview so the pin shows at once.
      next.hovered.reset();
      break;
    case SelectionEventKind::kNext:
      if (tokens <= 0) break;
      next.pinned = current.pinned ? (*current.pinned + 1 < tokens ? *current.pinned + 1 : tokens - 1) : 0;
      next.hovered.reset();
      break;
    case SelectionEventKind::kPrevious:
      if (tokens <= 0) break;
      next.pinned = current.pinned ? (*current.pinned > 0 ? *current.pinned - 1 : 0) : tokens - 1;
      next.hovered.reset();
      break;
    case SelectionEventKind::kClear:
      next = {};
      break;
    case SelectionEventKind::kReset:
      if (next.pinned && !valid(*next.pinned, tokens)) next.pinned.reset();
      if (next.hovered && !valid(*next.hovered, tokens)) next.hovered.reset();
      break;
  }
  return next;
}

int pinned_raw_token(const std::optional<int>& pinned_view_token, const DerivedTrace* derived,
                     int raw_tokens) {
  if (raw_tokens <= 0) return 0;
  if (!pinned_view_token) return raw_tokens - 1;
  int raw = *pinned_view_token;
  if (derived && derived->derived && !derived->raw_tokens) {
    if (raw < 0 || raw >= static_cast<int>(derived->source_end.size())) return raw_tokens - 1;
    raw = derived->source_end[raw] - 1;
  }
  return std::clamp(raw, 0, raw_tokens - 1);
}

}  // namespace attnviz::ui

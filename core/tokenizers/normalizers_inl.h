// remove_chars and map_chars: the per-character rebuild that several normalizers share.
#pragma once

#include "core/tokenizers/normalizers.h"
#include "core/unicode.h"

namespace attnviz {

template <class Predicate>
void remove_chars(NormalizedText& text, Predicate remove, bool attach_to_previous) {
  const std::string& bytes = text.text();
  NormalizedText::Builder out(text);
  size_t kept_from = 0;  // start of the run of kept characters not copied yet
  bool removed_any = false;
  for (size_t pos = 0; pos < bytes.size();) {
    const unicode::DecodeStep step = unicode::decode_one(bytes, pos);
    if (remove(step.code_point)) {
      out.copy(kept_from, pos);
      if (attach_to_previous) out.extend_last_char(text.source(pos + step.length - 1).end);
      kept_from = pos + step.length;
      removed_any = true;
    }
    pos += step.length;
  }
  if (!removed_any) return;
  out.copy(kept_from, bytes.size());
  text = out.finish();
}

// Replaces each character c by map(c, replacement) when it returns true (replacement is the
// new UTF-8); the new bytes map to the character's original span.
template <class Mapping>
void map_chars(NormalizedText& text, Mapping map) {
  const std::string& bytes = text.text();
  NormalizedText::Builder out(text);
  size_t kept_from = 0;
  bool changed = false;
  std::string replacement;
  for (size_t pos = 0; pos < bytes.size();) {
    const unicode::DecodeStep step = unicode::decode_one(bytes, pos);
    replacement.clear();
    if (map(step.code_point, replacement)) {
      out.copy(kept_from, pos);
      out.add(replacement, {text.source(pos).start, text.source(pos + step.length - 1).end});
      kept_from = pos + step.length;
      changed = true;
    }
    pos += step.length;
  }
  if (!changed) return;
  out.copy(kept_from, bytes.size());
  text = out.finish();
}

}  // namespace attnviz

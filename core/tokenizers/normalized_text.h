// A piece of the user's text as the tokenizer pipeline sees it: the normalized bytes, and for
// every normalized byte the bytes of the original input it came from (Hugging Face tokenizers'
// NormalizedString, reduced to what attnviz needs: byte spans of tokens in the text the user
// typed).
//
// Alignment rules, which every transformation below keeps:
// - a byte that passes through unchanged maps to exactly its original byte, so a token that
//   holds part of a character (byte fallback, byte-level BPE) gets exact bytes;
// - the bytes of a replaced or composed run of characters all map to the whole original run
//   (a "group"), e.g. the 3 bytes of "▁" that replaced a space map to that 1-byte space;
// - inserted bytes (a prepended "▁") map to an empty span where they were inserted;
// - spans never decrease from one byte to the next.
// token_span() turns a token's normalized range into non-overlapping original spans: a token
// that starts inside a group (a later byte-fallback piece of a composed character) gets an
// empty span at the group's end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

// Bytes [start, end) of the original input.
struct SourceSpan {
  size_t start = 0;
  size_t end = 0;
  bool operator==(const SourceSpan&) const = default;
};

// Inputs are limited to this many bytes, so alignments fit in 32 bits.
inline constexpr size_t kMaxNormalizedInputBytes = size_t(1) << 31;

class NormalizedText {
  // One normalized byte's original span, compact (8 bytes a byte of text).
  struct Aligned {
    uint32_t start;
    uint32_t end;
    bool operator==(const Aligned&) const = default;
  };

 public:
  NormalizedText() = default;
  // Original text that starts at byte `offset` of the input, not normalized yet.
  NormalizedText(std::string_view original, size_t offset);

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  size_t size() const { return text_.size(); }

  // The original bytes normalized byte `i` (< size()) came from.
  SourceSpan source(size_t i) const {
    return aligned_.empty() ? SourceSpan{identity_base_ + i, identity_base_ + i + 1}
                            : SourceSpan{aligned_[i].start, aligned_[i].end};
  }
  // Where this text starts in the original input (HF's offsets_original().0).
  size_t original_start() const { return empty() ? identity_base_ : source(0).start; }
  // The original span of the normalized bytes [begin, end) under the rules above.
  SourceSpan token_span(size_t begin, size_t end) const;
  // True when [begin, end) starts and ends at group boundaries: its span is its own.
  bool whole_groups(size_t begin, size_t end) const;
  // True when the bytes [begin, end) are whole UTF-8 characters of text().
  bool on_char_boundaries(size_t begin, size_t end) const;

  // The normalized bytes [begin, end) (on character boundaries) with their alignment.
  NormalizedText slice(size_t begin, size_t end) const;

  // Rebuilds a NormalizedText from parts of an old one and new bytes. Stays in the cheap
  // identity form while everything is copied unchanged and in order.
  class Builder {
   public:
    explicit Builder(const NormalizedText& from);
    // Copies bytes [begin, end) of `from` with their alignment.
    void copy(size_t begin, size_t end);
    // Appends new bytes that all map to `span`.
    void add(std::string_view bytes, SourceSpan span);
    // Widens the last character written so far to end at `end` (a removed accent joins the
    // letter before it); no-op when nothing was written.
    void extend_last_char(size_t end);
    bool wrote_anything() const { return !text_.empty(); }
    NormalizedText finish();

   private:
    void materialize();
    const NormalizedText& from_;
    std::string text_;
    std::vector<Aligned> aligned_;
    bool identity_ = true;  // text_ is from_'s prefix copied unchanged (aligned_ unused)
    bool starts_with_from_start_ = false;  // text_ begins with a copy of from_'s first byte
    bool ends_with_from_end_ = false;      // text_ ends with a copy of from_'s last byte
  };

 private:
  std::string text_;
  std::vector<Aligned> aligned_;  // (size()) or empty for the identity form
  size_t identity_base_ = 0;      // identity form: byte i came from identity_base_ + i
  // A slice whose first byte belongs to a group that began before the slice (a pre-token that
  // starts inside a composed character): its first token does not own the group.
  bool continues_group_ = false;
  bool group_goes_on_ = false;  // ... and whose last byte's group goes on after it
};

}  // namespace attnviz

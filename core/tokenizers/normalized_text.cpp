#include "core/tokenizers/normalized_text.h"

#include <algorithm>
#include <cassert>

namespace attnviz {
namespace {

bool is_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

}  // namespace

NormalizedText::NormalizedText(std::string_view original, size_t offset)
    : text_(original), identity_base_(offset) {}

SourceSpan NormalizedText::token_span(size_t begin, size_t end) const {
  assert(begin <= end && end <= size() && "token_span: range outside the text");
  if (begin == end) {
    const size_t at = begin < size() ? source(begin).start
                      : empty()      ? identity_base_
                                     : source(size() - 1).end;
    return {at, at};
  }
  const SourceSpan first = source(begin);
  const bool starts_group = begin == 0 ? !continues_group_ : !(source(begin - 1) == first);
  const size_t stop = source(end - 1).end;
  const size_t start = starts_group ? first.start : first.end;
  return {start < stop ? start : stop, stop};
}

bool NormalizedText::whole_groups(size_t begin, size_t end) const {
  if (begin >= end) return false;
  const bool starts = begin == 0 ? !continues_group_ : !(source(begin - 1) == source(begin));
  const bool ends = end == size() ? !group_goes_on_ : !(source(end - 1) == source(end));
  return starts && ends;
}

bool NormalizedText::on_char_boundaries(size_t begin, size_t end) const {
  auto boundary = [&](size_t i) { return i >= size() || !is_continuation_byte(text_[i]); };
  return boundary(begin) && boundary(end);
}

NormalizedText NormalizedText::slice(size_t begin, size_t end) const {
  assert(begin <= end && end <= size() && "slice: range outside the text");
  NormalizedText out;
  out.text_ = text_.substr(begin, end - begin);
  if (aligned_.empty()) {
    out.identity_base_ = identity_base_ + begin;
  } else {
    out.aligned_.assign(aligned_.begin() + static_cast<ptrdiff_t>(begin),
                        aligned_.begin() + static_cast<ptrdiff_t>(end));
    // An empty slice keeps where it was (its position in the original).
    if (begin == end) out.identity_base_ = token_span(begin, begin).start;
  }
  out.continues_group_ =
      begin == 0 ? continues_group_ : begin < size() && source(begin - 1) == source(begin);
  out.group_goes_on_ = end == size() ? group_goes_on_ : end > 0 && source(end - 1) == source(end);
  return out;
}

NormalizedText::Builder::Builder(const NormalizedText& from)
    : from_(from), identity_(from.aligned_.empty()) {
  text_.reserve(from.size() + from.size() / 8 + 4);
}

void NormalizedText::Builder::materialize() {
  if (!identity_) return;
  identity_ = false;
  aligned_.reserve(text_.capacity());
  const auto base = uint32_t(from_.identity_base_);
  for (uint32_t i = 0; i < text_.size(); ++i) aligned_.push_back({base + i, base + i + 1});
}

void NormalizedText::Builder::copy(size_t begin, size_t end) {
  assert(begin <= end && end <= from_.size() && "copy: range outside the text");
  if (text_.empty() && begin == 0 && end > 0) starts_with_from_start_ = true;
  ends_with_from_end_ = end == from_.size() && end > begin;
  if (identity_ && begin == text_.size()) {
    text_.append(from_.text_, begin, end - begin);
    return;
  }
  materialize();
  text_.append(from_.text_, begin, end - begin);
  if (!from_.aligned_.empty()) {
    aligned_.insert(aligned_.end(), from_.aligned_.begin() + ptrdiff_t(begin),
                    from_.aligned_.begin() + ptrdiff_t(end));
    return;
  }
  const auto base = uint32_t(from_.identity_base_);
  for (auto i = uint32_t(begin); i < end; ++i) aligned_.push_back({base + i, base + i + 1});
}

void NormalizedText::Builder::add(std::string_view bytes, SourceSpan span) {
  if (bytes.empty()) return;
  ends_with_from_end_ = false;
  materialize();
  text_.append(bytes);
  aligned_.insert(aligned_.end(), bytes.size(), Aligned{uint32_t(span.start), uint32_t(span.end)});
}

void NormalizedText::Builder::extend_last_char(size_t end) {
  if (text_.empty()) return;
  materialize();
  size_t first = text_.size() - 1;
  while (first > 0 && is_continuation_byte(text_[first])) --first;
  const uint32_t start = aligned_[first].start;
  for (size_t i = first; i < text_.size(); ++i) {
    aligned_[i] = {start, std::max(uint32_t(end), aligned_[i].end)};
  }
}

NormalizedText NormalizedText::Builder::finish() {
  NormalizedText out;
  out.continues_group_ = from_.continues_group_ && starts_with_from_start_;
  out.group_goes_on_ = from_.group_goes_on_ && ends_with_from_end_;
  out.text_ = std::move(text_);
  if (identity_) {
    out.identity_base_ = from_.identity_base_;
  } else {
    out.aligned_ = std::move(aligned_);
    if (out.aligned_.empty()) out.identity_base_ = from_.original_start();
  }
  return out;
}

}  // namespace attnviz

#include "core/tokenizers/added_vocabulary.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <deque>

#include "core/unicode.h"

namespace attnviz {
namespace {

// Rust regex's Unicode \w, which HF uses for single_word.
bool is_word_char(char32_t c) {
  const auto cp = UChar32(c);
  return u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) || unicode::is_mark(c) ||
         u_charType(cp) == U_DECIMAL_DIGIT_NUMBER || u_charType(cp) == U_CONNECTOR_PUNCTUATION ||
         u_hasBinaryProperty(cp, UCHAR_JOIN_CONTROL);
}

// The last character of text[0, end), which is valid UTF-8 and non-empty.
char32_t char_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return unicode::decode_one(text, start).code_point;
}

// Where the run of whitespace that ends at `end` starts (HF's \s*$ on text[..end]).
size_t whitespace_run_start(std::string_view text, size_t end) {
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    if (!unicode::is_whitespace(unicode::decode_one(text, start).code_point)) break;
    end = start;
  }
  return end;
}

// Where the run of whitespace that starts at `begin` ends (HF's ^\s* on text[begin..]).
size_t whitespace_run_end(std::string_view text, size_t begin) {
  while (begin < text.size()) {
    const unicode::DecodeStep step = unicode::decode_one(text, begin);
    if (!unicode::is_whitespace(step.code_point)) break;
    begin += step.length;
  }
  return begin;
}

}  // namespace

LongestMatchFinder::LongestMatchFinder(const std::vector<std::string>& patterns) {
  std::fill(std::begin(root_children_), std::end(root_children_), -1);
  fail_.push_back(0);
  output_.push_back(-1);
  output_length_.push_back(0);
  std::vector<uint32_t> depth = {0};
  // The trie of the reversed patterns.
  for (size_t k = 0; k < patterns.size(); ++k) {
    const std::string& pattern = patterns[k];
    if (pattern.empty()) continue;
    int32_t state = 0;
    for (auto it = pattern.rbegin(); it != pattern.rend(); ++it) {
      const auto byte = static_cast<uint8_t>(*it);
      int32_t next = child(state, byte);
      if (next < 0) {
        next = int32_t(fail_.size());
        fail_.push_back(0);
        output_.push_back(-1);
        output_length_.push_back(0);
        depth.push_back(depth[size_t(state)] + 1);
        if (state == 0) {
          root_children_[byte] = next;
        } else {
          children_[(uint64_t(state) << 8) | byte] = next;
        }
      }
      state = next;
    }
    if (output_[size_t(state)] < 0) {  // the first of equal patterns wins
      output_[size_t(state)] = int32_t(k);
      output_length_[size_t(state)] = depth[size_t(state)];
    }
  }
  // Failure links breadth first; a state without a pattern of its own reports the longest
  // pattern among its suffixes (those of its failure state).
  std::vector<std::vector<std::pair<uint8_t, int32_t>>> edges(fail_.size());
  for (int b = 0; b < 256; ++b) {
    if (root_children_[b] >= 0) edges[0].push_back({uint8_t(b), root_children_[b]});
  }
  for (const auto& [key, to] : children_) edges[size_t(key >> 8)].push_back({uint8_t(key), to});
  std::deque<int32_t> queue;
  for (const auto& [byte, to] : edges[0]) queue.push_back(to);
  while (!queue.empty()) {
    const int32_t state = queue.front();
    queue.pop_front();
    for (const auto& [byte, to] : edges[size_t(state)]) {
      int32_t f = fail_[size_t(state)];
      while (f != 0 && child(f, byte) < 0) f = fail_[size_t(f)];
      const int32_t target = child(f, byte);
      fail_[size_t(to)] = (target >= 0 && target != to) ? target : 0;
      if (output_[size_t(to)] < 0) {
        output_[size_t(to)] = output_[size_t(fail_[size_t(to)])];
        output_length_[size_t(to)] = output_length_[size_t(fail_[size_t(to)])];
      }
      queue.push_back(to);
    }
  }
}

int32_t LongestMatchFinder::child(int32_t state, uint8_t byte) const {
  if (state == 0) return root_children_[byte];
  auto it = children_.find((uint64_t(state) << 8) | byte);
  return it == children_.end() ? -1 : it->second;
}

std::vector<LongestMatchFinder::Start> LongestMatchFinder::find(std::string_view text) const {
  std::vector<Start> starts;
  if (empty()) return starts;
  int32_t state = 0;
  for (size_t p = text.size(); p-- > 0;) {
    const auto byte = static_cast<uint8_t>(text[p]);
    while (state != 0 && child(state, byte) < 0) state = fail_[size_t(state)];
    const int32_t next = child(state, byte);
    state = next < 0 ? 0 : next;
    if (output_[size_t(state)] >= 0) {
      starts.push_back({p, output_[size_t(state)], output_length_[size_t(state)]});
    }
  }
  std::reverse(starts.begin(), starts.end());
  return starts;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedTokenSpec> tokens,
                                 const std::vector<std::string>& normalized_contents)
    : tokens_(std::move(tokens)) {
  std::vector<std::string> raw_patterns;
  std::vector<std::string> normalized_patterns;
  for (size_t k = 0; k < tokens_.size(); ++k) {
    if (tokens_[k].content.empty()) continue;
    if (tokens_[k].normalized) {
      normalized_patterns.push_back(normalized_contents[k]);
      normalized_tokens_.push_back(int32_t(k));
    } else {
      raw_patterns.push_back(tokens_[k].content);
      raw_tokens_.push_back(int32_t(k));
    }
  }
  if (!raw_patterns.empty()) raw_ = LongestMatchFinder(raw_patterns);
  if (!normalized_patterns.empty()) normalized_ = LongestMatchFinder(normalized_patterns);
}

std::vector<AddedSplit> AddedVocabulary::split(std::string_view text, bool normalized_set) const {
  const LongestMatchFinder& finder = normalized_set ? normalized_ : raw_;
  const std::vector<int32_t>& token_of = normalized_set ? normalized_tokens_ : raw_tokens_;
  std::vector<AddedSplit> splits;
  if (finder.empty() || text.empty()) {
    if (!text.empty()) splits.push_back({{0, text.size()}, -1});
    return splits;
  }
  size_t start_offset = 0;  // end of the last split written
  size_t pos = 0;           // where the search goes on: after the last match, kept or not
  for (const LongestMatchFinder::Start& found : finder.find(text)) {
    if (found.position < pos) continue;
    const int32_t token_index = token_of[size_t(found.pattern)];
    const AddedTokenSpec& token = tokens_[size_t(token_index)];
    size_t start = found.position;
    size_t stop = found.position + found.length;
    pos = stop;
    if (token.single_word) {
      const bool space_before = start == 0 || !is_word_char(char_before(text, start));
      const bool space_after =
          stop == text.size() || !is_word_char(unicode::decode_one(text, stop).code_point);
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) start = std::max(whitespace_run_start(text, start), start_offset);
    if (token.rstrip) stop = whitespace_run_end(text, stop);
    start = std::max(start, start_offset);  // (HF would overlap the previous split here)
    if (start_offset < start) splits.push_back({{start_offset, start}, -1});
    splits.push_back({{start, stop}, token_index});
    start_offset = stop;
    pos = std::max(pos, stop);
  }
  if (start_offset < text.size()) splits.push_back({{start_offset, text.size()}, -1});
  return splits;
}

}  // namespace attnviz

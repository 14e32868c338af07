#include "core/tokenizers/pre_tokenizers.h"

#include <algorithm>

#include "core/tokenizers/normalizers.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

// The parts of a text for a pattern: its matches and the gaps between them, in order.
std::vector<SplitPart> parts_of_pattern(const TextPattern& pattern, std::string_view text,
                                        bool invert) {
  std::vector<SplitPart> parts;
  if (text.empty()) return {{{0, 0}, invert}};
  std::vector<TextRange> matches;
  pattern.find_all(text, matches);
  size_t previous = 0;
  for (const TextRange& match : matches) {
    if (previous != match.begin) parts.push_back({{previous, match.begin}, invert});
    parts.push_back({match, !invert});
    previous = match.end;
  }
  if (previous != text.size()) parts.push_back({{previous, text.size()}, invert});
  return parts;
}

// The parts of a text for a character class: each matching character is a match of its own.
template <class Predicate>
std::vector<SplitPart> parts_of_chars(std::string_view text, Predicate is_delimiter) {
  std::vector<SplitPart> parts;
  if (text.empty()) return {{{0, 0}, false}};
  size_t previous = 0;
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep step = unicode::decode_one(text, pos);
    if (is_delimiter(step.code_point)) {
      if (previous < pos) parts.push_back({{previous, pos}, false});
      parts.push_back({{pos, pos + step.length}, true});
      previous = pos + step.length;
    }
    pos += step.length;
  }
  if (previous < text.size()) parts.push_back({{previous, text.size()}, false});
  return parts;
}

bool is_ascii_punctuation(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

bool is_hf_punctuation(char32_t c) {
  return is_ascii_punctuation(c) || unicode::is_punctuation(c);
}

template <class Split>
void for_each_piece(std::vector<NormalizedText>& pieces, Split split) {
  std::vector<NormalizedText> next;
  next.reserve(pieces.size());
  for (NormalizedText& piece : pieces) split(piece, next);
  pieces = std::move(next);
}

void apply_step(const PreTokenizerStep& step, std::vector<NormalizedText>& pieces) {
  using Kind = PreTokenizerStep::Kind;
  switch (step.kind) {
    case Kind::kByteLevel:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        if (step.add_prefix_space && piece.text().front() != ' ') prepend(piece, " ");
        if (!step.pattern) {
          out.push_back(std::move(piece));
          return;
        }
        split_by_parts(piece, parts_of_pattern(*step.pattern, piece.text(), false),
                       SplitBehavior::kIsolated, out);
      });
      return;
    case Kind::kSplit:
    case Kind::kWhitespace:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(piece, parts_of_pattern(*step.pattern, piece.text(), step.invert),
                       step.behavior, out);
      });
      return;
    case Kind::kMetaspace: {
      const TextPattern space = TextPattern::literal(" ");
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        replace(piece, space, step.replacement);
        const bool marked = piece.text().starts_with(step.replacement);
        const bool add = step.prepend_scheme == PreTokenizerStep::PrependScheme::kAlways ||
                         (step.prepend_scheme == PreTokenizerStep::PrependScheme::kFirst &&
                          piece.original_start() == 0);
        if (add && !marked) prepend(piece, step.replacement);
        if (!step.split) {
          out.push_back(std::move(piece));
          return;
        }
        const TextPattern marker = TextPattern::literal(step.replacement);
        split_by_parts(piece, parts_of_pattern(marker, piece.text(), false),
                       SplitBehavior::kMergedWithNext, out);
      });
      return;
    }
    case Kind::kDigits:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(
            piece, parts_of_chars(piece.text(), unicode::is_number),
            step.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, out);
      });
      return;
    case Kind::kPunctuation:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(piece, parts_of_chars(piece.text(), is_hf_punctuation), step.behavior, out);
      });
      return;
    case Kind::kWhitespaceSplit:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(piece, parts_of_chars(piece.text(), unicode::is_whitespace),
                       SplitBehavior::kRemoved, out);
      });
      return;
    case Kind::kBert:
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(piece, parts_of_chars(piece.text(), unicode::is_whitespace),
                       SplitBehavior::kRemoved, out);
      });
      for_each_piece(pieces, [&](NormalizedText& piece, std::vector<NormalizedText>& out) {
        split_by_parts(piece, parts_of_chars(piece.text(), is_hf_punctuation),
                       SplitBehavior::kIsolated, out);
      });
      return;
  }
}

}  // namespace

void split_by_parts(const NormalizedText& text, const std::vector<SplitPart>& parts,
                    SplitBehavior behavior, std::vector<NormalizedText>& out) {
  // (range, removed) as HF computes them for each behavior.
  std::vector<std::pair<TextRange, bool>> splits;
  splits.reserve(parts.size());
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const SplitPart& part : parts) splits.push_back({part.range, false});
      break;
    case SplitBehavior::kRemoved:
      for (const SplitPart& part : parts) splits.push_back({part.range, part.is_match});
      break;
    case SplitBehavior::kContiguous:
      for (const SplitPart& part : parts) {
        if (part.is_match == previous_match && !splits.empty()) {
          splits.back().first.end = part.range.end;
        } else {
          splits.push_back({part.range, false});
        }
        previous_match = part.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const SplitPart& part : parts) {
        if (part.is_match && !previous_match && !splits.empty()) {
          splits.back().first.end = part.range.end;
        } else {
          splits.push_back({part.range, false});
        }
        previous_match = part.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->is_match && !previous_match && !splits.empty()) {
          splits.back().first.begin = it->range.begin;
        } else {
          splits.push_back({it->range, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(splits.begin(), splits.end());
      break;
  }
  for (const auto& [range, removed] : splits) {
    if (removed || range.begin == range.end) continue;
    if (range.begin == 0 && range.end == text.size()) {
      out.push_back(text);
    } else {
      out.push_back(text.slice(range.begin, range.end));
    }
  }
}

void PreTokenizer::apply(std::vector<NormalizedText>& pieces) const {
  for (const PreTokenizerStep& step : steps) apply_step(step, pieces);
}

Result<std::shared_ptr<const TextPattern>> whitespace_pre_tokenizer_pattern() {
  auto pattern = TextPattern::icu_regex(
      R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|)"
      R"([^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+)");
  if (!pattern.ok()) return pattern.error();
  return std::make_shared<const TextPattern>(std::move(pattern).value());
}

}  // namespace attnviz

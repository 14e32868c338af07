#include "core/wordpiece_tokenizer.h"

#include <algorithm>
#include <cassert>

#include "core/unicode.h"

namespace attnviz {
namespace {

constexpr int64_t kMaxVocabularyId = (1 << 24) - 1;

// BERT's whitespace: \t \n \r and the White_Space property (HF's BertNormalizer uses Rust's
// char::is_whitespace; transformers' Python uses " \t\n\r" + Zs, which differs only for
// U+2028/U+2029 and controls that cleaning removes anyway).
bool is_bert_whitespace(char32_t c) {
  return unicode::is_whitespace(c);
}

// Controls are removed, except the three that count as whitespace.
bool is_bert_control(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return unicode::is_other(c);
}

// Puts combining marks of each run into canonical order (stable sort by combining class), the
// last step of NFD after the per-character decompositions.
void canonical_reorder(std::vector<char32_t>& chars, std::vector<size_t>& sources) {
  for (size_t i = 0; i < chars.size();) {
    if (unicode::combining_class(chars[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < chars.size() && unicode::combining_class(chars[end]) != 0) ++end;
    // Insertion sort: runs are a few marks long.
    for (size_t a = i + 1; a < end; ++a) {
      for (size_t b = a;
           b > i && unicode::combining_class(chars[b - 1]) > unicode::combining_class(chars[b]);
           --b) {
        std::swap(chars[b - 1], chars[b]);
        std::swap(sources[b - 1], sources[b]);
      }
    }
    i = end;
  }
}

}  // namespace

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  return c >= 0x80 && unicode::is_punctuation(c);
}

Result<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::create(
    std::vector<std::string> id_to_token, std::vector<AddedToken> added_tokens,
    WordPieceOptions options, const std::string& source) {
  std::unique_ptr<WordPieceTokenizer> tokenizer(new WordPieceTokenizer());
  for (const AddedToken& token : added_tokens) {
    if (token.id < 0 || token.id > kMaxVocabularyId) {
      return make_error(source + ": added token '" + token.content + "' has id " +
                        std::to_string(token.id) + ", out of range");
    }
    if (token.content.empty() || !unicode::validate_utf8(token.content).ok()) {
      return make_error(source + ": added token with id " + std::to_string(token.id) +
                        " is empty or not valid UTF-8");
    }
    if (size_t(token.id) >= id_to_token.size()) id_to_token.resize(size_t(token.id) + 1);
    std::string& slot = id_to_token[token.id];
    if (!slot.empty() && slot != token.content) {
      return make_error(source + ": added token '" + token.content + "' reuses id " +
                        std::to_string(token.id) + " of vocab token '" + slot + "'");
    }
    slot = token.content;
  }
  tokenizer->token_to_id_.reserve(id_to_token.size());
  for (size_t id = 0; id < id_to_token.size(); ++id) {
    // A repeated line keeps its last id, as HF's vocab readers do.
    if (!id_to_token[id].empty()) tokenizer->token_to_id_[id_to_token[id]] = int32_t(id);
  }
  for (auto [name, id] : {std::pair{&options.unk_token, &tokenizer->unk_id_},
                          std::pair{&options.cls_token, &tokenizer->cls_id_},
                          std::pair{&options.sep_token, &tokenizer->sep_id_}}) {
    auto it = tokenizer->token_to_id_.find(*name);
    if (it == tokenizer->token_to_id_.end()) {
      return make_error(source + ": the vocabulary has no '" + *name + "' token, which BERT " +
                        "needs");
    }
    *id = it->second;
  }
  if (options.max_input_chars_per_word < 1) {
    return make_error(source + ": max_input_chars_per_word must be positive");
  }
  tokenizer->id_to_token_ = std::move(id_to_token);
  tokenizer->added_tokens_ = std::move(added_tokens);
  tokenizer->options_ = std::move(options);
  return tokenizer;
}

void WordPieceTokenizer::normalize(std::string_view text, size_t offset,
                                   std::vector<NormalizedChar>& out) const {
  const bool lower = options_.lower_case;
  const bool strip = options_.strips_accents();
  // The current run of non-ASCII characters, decomposed, before Mn removal: canonical order is
  // defined over the whole string, so decompositions of neighbours are reordered together
  // (ASCII, whitespace and CJK characters are starters and end a run).
  std::vector<char32_t> chars;
  std::vector<size_t> sources;  // index into `spans`
  std::vector<unicode::DecodedChar> spans;
  auto flush = [&] {
    if (strip) canonical_reorder(chars, sources);
    for (size_t k = 0; k < chars.size(); ++k) {
      const unicode::DecodedChar& from = spans[sources[k]];
      if (strip && unicode::is_nonspacing_mark(chars[k])) {
        // A stripped accent typed as its own character still belongs to the letter before.
        if (!out.empty() && out.back().original_end == from.start)
          out.back().original_end = from.end;
        continue;
      }
      out.push_back({chars[k], from.start, from.end});
    }
    chars.clear();
    sources.clear();
    spans.clear();
  };
  auto emit = [&](char32_t c, size_t start, size_t end) {
    if (spans.empty() || spans.back().start != start) spans.push_back({c, start, end});
    chars.push_back(c);
    sources.push_back(spans.size() - 1);
  };

  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep step = unicode::decode_one(text, pos);
    assert(step.valid && "normalize: text must be valid UTF-8");
    const char32_t c = step.code_point;
    const size_t start = offset + pos;
    const size_t end = start + step.length;
    pos += step.length;

    if (options_.clean_text) {
      if (c == 0 || c == unicode::kReplacementCharacter || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) {
        flush();
        out.push_back({U' ', start, end});
        continue;
      }
    }
    if (options_.handle_chinese_chars && is_cjk_ideograph(c)) {
      flush();
      out.push_back({U' ', start, end});
      out.push_back({c, start, end});
      out.push_back({U' ', start, end});
      continue;
    }
    if (c < 0x80) {
      // ASCII has no decomposition and no marks: only case.
      flush();
      out.push_back({lower && c >= U'A' && c <= U'Z' ? c + 32 : c, start, end});
      continue;
    }
    const std::u32string lowered = lower ? unicode::to_lower(c) : std::u32string(1, c);
    for (char32_t l : lowered) {
      if (!strip) {
        emit(l, start, end);
        continue;
      }
      for (char32_t d : unicode::canonical_decomposition(l)) emit(d, start, end);
    }
    if (!strip) flush();
  }
  flush();
}

void WordPieceTokenizer::append_word_pieces(std::span<const NormalizedChar> word,
                                            std::vector<Token>& out) const {
  const size_t n = word.size();
  assert(n > 0);
  // Boundary k (between normalized chars k-1 and k) in original bytes; see the header.
  auto boundary = [&](size_t k) -> size_t {
    if (k == 0) return word[0].original_start;
    if (k == n) return word[n - 1].original_end;
    if (word[k].original_start != word[k - 1].original_start) return word[k].original_start;
    return word[k].original_end;  // inside one original character's expansion
  };
  const auto unknown = [&] {
    out.push_back({unk_id_, options_.unk_token, boundary(0), boundary(n), false});
  };
  if (n > size_t(options_.max_input_chars_per_word)) return unknown();

  std::string utf8;
  std::vector<size_t> char_offsets;  // (n + 1) byte offset of each char in utf8
  for (const NormalizedChar& c : word) {
    char_offsets.push_back(utf8.size());
    unicode::append_utf8(utf8, c.code_point);
  }
  char_offsets.push_back(utf8.size());

  struct Piece {
    int32_t id;
    size_t begin;  // normalized char index
    size_t end;
  };
  std::vector<Piece> pieces;
  std::string candidate;
  for (size_t begin = 0; begin < n;) {
    int32_t found = -1;
    size_t end = n;
    for (; end > begin; --end) {
      candidate.assign(begin > 0 ? options_.continuing_prefix : std::string());
      candidate.append(utf8, char_offsets[begin], char_offsets[end] - char_offsets[begin]);
      if (auto it = token_to_id_.find(candidate); it != token_to_id_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) return unknown();
    pieces.push_back({found, begin, end});
    begin = end;
  }
  for (const Piece& piece : pieces) {
    out.push_back(
        {piece.id, id_to_token_[piece.id], boundary(piece.begin), boundary(piece.end), false});
  }
}

Result<std::vector<Token>> WordPieceTokenizer::encode(std::string_view text) const {
  if (Status valid = unicode::validate_utf8(text); !valid.ok()) return valid.error();
  std::vector<Token> tokens;
  tokens.push_back({cls_id_, options_.cls_token, 0, 0, true});
  std::vector<NormalizedChar> chars;
  for (const TextSegment& segment : split_on_added_tokens(text, added_tokens_)) {
    if (segment.added_index >= 0) {
      const AddedToken& added = added_tokens_[segment.added_index];
      tokens.push_back(
          {added.id, added.content, segment.span.start, segment.span.end, added.special});
      continue;
    }
    chars.clear();
    normalize(text.substr(segment.span.start, segment.span.end - segment.span.start),
              segment.span.start, chars);
    // Words end at whitespace; every punctuation character is a word of its own.
    size_t word_start = 0;
    for (size_t k = 0; k <= chars.size(); ++k) {
      const bool at_end = k == chars.size();
      const bool space = !at_end && is_bert_whitespace(chars[k].code_point);
      const bool punctuation = !at_end && !space && is_bert_punctuation(chars[k].code_point);
      if (!at_end && !space && !punctuation) continue;
      if (k > word_start)
        append_word_pieces(std::span(chars).subspan(word_start, k - word_start), tokens);
      if (punctuation) append_word_pieces(std::span(chars).subspan(k, 1), tokens);
      word_start = k + 1;
    }
  }
  tokens.push_back({sep_id_, options_.sep_token, text.size(), text.size(), true});
  return tokens;
}

std::string WordPieceTokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  const std::string& prefix = options_.continuing_prefix;
  for (int32_t id : ids) {
    const std::string token = token_text(id);
    const bool continues = !prefix.empty() && token.size() > prefix.size() &&
                           token.compare(0, prefix.size(), prefix) == 0;
    if (continues && !out.empty()) {
      out.append(token, prefix.size());
    } else {
      if (!out.empty()) out.push_back(' ');
      out += token;
    }
  }
  return out;
}

std::string WordPieceTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "\xEF\xBF\xBD";  // U+FFFD: an id this vocab lacks
  return id_to_token_[id];
}

}  // namespace attnviz

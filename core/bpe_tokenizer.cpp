#include "core/bpe_tokenizer.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <queue>

#include "core/unicode.h"

namespace attnviz {
namespace {

// Ids live in one table indexed by id; this bounds it (GPT-2 has 50257, the largest public
// vocabularies about 260k).
constexpr int64_t kMaxVocabularyId = (1 << 24) - 1;
// Longer pieces (a run of thousands of letters) are merged but not cached.
constexpr size_t kMaxCachedPieceBytes = 256;
// The cache is dropped when it grows past this many pieces, which bounds its memory.
constexpr size_t kMaxCachedPieces = 200000;

bool is_printable_byte(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

// The inverse of gpt2_byte_to_char for the 256 characters it produces (all below U+0144).
struct CharToByte {
  int16_t byte_of[0x144];
  CharToByte() {
    std::fill(std::begin(byte_of), std::end(byte_of), int16_t{-1});
    for (int byte = 0; byte < 256; ++byte)
      byte_of[gpt2_byte_to_char(uint8_t(byte))] = int16_t(byte);
  }
  int byte(char32_t c) const { return c < 0x144 ? byte_of[c] : -1; }
};

// "Ġthe" -> " the"; false when a character is outside the byte alphabet (such a token can
// only come from added_tokens and is shown as written).
bool token_string_to_bytes(const CharToByte& table, std::string_view token, std::string& bytes) {
  bytes.clear();
  for (size_t pos = 0; pos < token.size();) {
    const unicode::DecodeStep step = unicode::decode_one(token, pos);
    const int byte = step.valid ? table.byte(step.code_point) : -1;
    if (byte < 0) return false;
    bytes.push_back(static_cast<char>(byte));
    pos += step.length;
  }
  return true;
}

enum class CharClass : uint8_t { kLetter, kNumber, kSpace, kOther };

CharClass classify(char32_t c) {
  if (unicode::is_whitespace(c)) return CharClass::kSpace;
  if (unicode::is_letter(c)) return CharClass::kLetter;
  if (unicode::is_number(c)) return CharClass::kNumber;
  return CharClass::kOther;
}

struct ScannedChar {
  size_t start;  // byte offset
  char32_t code_point;
  CharClass cls;
};

// The length in characters of a contraction ('s 't 're 've 'm 'll 'd, case-sensitive) at i,
// or 0.
size_t contraction_length(const std::vector<ScannedChar>& chars, size_t i) {
  if (chars[i].code_point != U'\'' || i + 1 >= chars.size()) return 0;
  const char32_t a = chars[i + 1].code_point;
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 >= chars.size()) return 0;
  const char32_t b = chars[i + 2].code_point;
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  return 0;
}

// One BPE symbol in a doubly linked list over the piece's bytes (HF tokenizers' Word).
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t byte_length;  // 0 once merged into its left neighbour
};

struct MergeCandidate {
  int32_t rank;
  int32_t position;  // index of the left symbol
  int32_t merged_id;
  // Lowest rank first; among equal ranks (one pair occurring several times) leftmost first.
  bool operator<(const MergeCandidate& other) const {
    if (rank != other.rank) return rank > other.rank;
    return position > other.position;
  }
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

}  // namespace

char32_t gpt2_byte_to_char(uint8_t byte) {
  if (is_printable_byte(byte)) return byte;
  // The n-th non-printable byte (in increasing order) maps to U+0100 + n.
  int n = 0;
  for (int b = 0; b < byte; ++b) n += is_printable_byte(b) ? 0 : 1;
  return 0x100 + n;
}

std::vector<ByteSpan> gpt2_pretokenize(std::string_view text) {
  std::vector<ScannedChar> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep step = unicode::decode_one(text, pos);
    assert(step.valid && "gpt2_pretokenize: text must be valid UTF-8");
    chars.push_back({pos, step.code_point, classify(step.code_point)});
    pos += step.length;
  }
  const size_t n = chars.size();
  auto byte_at = [&](size_t char_index) {
    return char_index < n ? chars[char_index].start : text.size();
  };
  auto run_end = [&](size_t i, CharClass cls) {
    while (i < n && chars[i].cls == cls) ++i;
    return i;
  };

  std::vector<ByteSpan> pieces;
  for (size_t i = 0; i < n;) {
    size_t end = i;
    if (size_t length = contraction_length(chars, i)) {
      end = i + length;
    } else if (chars[i].cls != CharClass::kSpace) {
      end = run_end(i, chars[i].cls);  // \p{L}+ | \p{N}+ | [^\s\p{L}\p{N}]+
    } else if (chars[i].code_point == U' ' && i + 1 < n && chars[i + 1].cls != CharClass::kSpace) {
      end = run_end(i + 1, chars[i + 1].cls);  // the optional leading space of ` ?X+`
    } else {
      // \s+(?!\S) | \s+ : a whitespace run followed by a non-space leaves its last character
      // to the next piece (which may take it as ` ?X+`), unless the run is one character.
      const size_t run = run_end(i, CharClass::kSpace);
      end = (run < n && run - i >= 2) ? run - 1 : run;
    }
    pieces.push_back({byte_at(i), byte_at(end)});
    i = end;
  }
  return pieces;
}

std::vector<TextSegment> split_on_added_tokens(std::string_view text,
                                               const std::vector<AddedToken>& added) {
  std::vector<TextSegment> segments;
  bool first_byte[256] = {};
  for (const AddedToken& token : added) {
    if (!token.content.empty()) first_byte[static_cast<uint8_t>(token.content[0])] = true;
  }
  size_t plain_start = 0;
  for (size_t pos = 0; pos < text.size();) {
    int best = -1;
    if (first_byte[static_cast<uint8_t>(text[pos])]) {
      for (size_t k = 0; k < added.size(); ++k) {
        const std::string& content = added[k].content;
        if (content.empty() || text.compare(pos, content.size(), content) != 0) continue;
        if (best < 0 || content.size() > added[best].content.size()) best = int(k);
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    if (pos > plain_start) segments.push_back({{plain_start, pos}, -1});
    segments.push_back({{pos, pos + added[best].content.size()}, best});
    pos += added[best].content.size();
    plain_start = pos;
  }
  if (plain_start < text.size()) segments.push_back({{plain_start, text.size()}, -1});
  return segments;
}

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::create(BpeModelData data,
                                                           const std::string& source) {
  std::unique_ptr<BpeTokenizer> tokenizer(new BpeTokenizer());
  const CharToByte char_to_byte;

  // Ids: unique, in range; the table is as long as the largest id.
  int64_t max_id = -1;
  for (const auto& [token, id] : data.vocab) {
    if (id < 0 || id > kMaxVocabularyId) {
      return make_error(source + ": vocab id out of range: token " + in_quotes(token) + " has id " +
                        std::to_string(id) + " (ids must be from 0 to " +
                        std::to_string(kMaxVocabularyId) + ")");
    }
    max_id = std::max<int64_t>(max_id, id);
  }
  for (const AddedToken& token : data.added_tokens) {
    if (token.id < 0 || token.id > kMaxVocabularyId) {
      return make_error(source + ": added token " + in_quotes(token.content) + " has id " +
                        std::to_string(token.id) + ", out of range");
    }
    max_id = std::max<int64_t>(max_id, token.id);
  }
  const size_t size = static_cast<size_t>(max_id + 1);
  std::vector<const std::string*> owner(size, nullptr);
  tokenizer->id_to_bytes_.assign(size, std::string());
  std::string bytes;
  for (const auto& [token, id] : data.vocab) {
    if (owner[id]) {
      return make_error(source + ": duplicate vocab id " + std::to_string(id) + " for tokens " +
                        in_quotes(*owner[id]) + " and " + in_quotes(token));
    }
    owner[id] = &token;
    if (token_string_to_bytes(char_to_byte, token, bytes)) {
      tokenizer->id_to_bytes_[id] = bytes;
      if (data.ignore_merges) tokenizer->bytes_to_id_.emplace(bytes, id);
    } else {
      tokenizer->id_to_bytes_[id] = token;
    }
  }
  for (const AddedToken& token : data.added_tokens) {
    if (owner[token.id] && *owner[token.id] != token.content) {
      return make_error(source + ": added token " + in_quotes(token.content) + " reuses id " +
                        std::to_string(token.id) + " of vocab token " +
                        in_quotes(*owner[token.id]));
    }
    if (token.content.empty()) {
      return make_error(source + ": added token with id " + std::to_string(token.id) + " is empty");
    }
    if (!unicode::validate_utf8(token.content).ok()) {
      return make_error(source + ": added token with id " + std::to_string(token.id) +
                        " is not valid UTF-8");
    }
    // Added tokens are matched in the text verbatim, so their bytes are their content.
    tokenizer->id_to_bytes_[token.id] = token.content;
  }
  tokenizer->id_to_display_.reserve(size);
  for (const std::string& token_bytes : tokenizer->id_to_bytes_) {
    tokenizer->id_to_display_.push_back(unicode::replace_invalid_utf8(token_bytes));
  }

  for (int byte = 0; byte < 256; ++byte) {
    std::string key;
    unicode::append_utf8(key, gpt2_byte_to_char(uint8_t(byte)));
    auto it = data.vocab.find(key);
    if (it == data.vocab.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", byte);
      return make_error(source + ": the vocabulary has no token for byte " + hex + " (" +
                        in_quotes(key) + "): not a GPT-2 byte-level BPE vocabulary");
    }
    tokenizer->byte_ids_[byte] = it->second;
  }

  tokenizer->merges_.reserve(data.merges.size());
  std::string merged;
  for (size_t rank = 0; rank < data.merges.size(); ++rank) {
    const auto& [left, right] = data.merges[rank];
    auto where = [&] {
      return rank < data.merge_lines.size() ? "line " + std::to_string(data.merge_lines[rank])
                                            : "merge " + std::to_string(rank);
    };
    merged = left;
    merged += right;
    auto left_it = data.vocab.find(left);
    auto right_it = data.vocab.find(right);
    auto merged_it = data.vocab.find(merged);
    for (const auto& [it, token] :
         {std::pair{left_it, &left}, std::pair{right_it, &right},
          std::pair{merged_it, static_cast<const std::string*>(&merged)}}) {
      if (it == data.vocab.end()) {
        return make_error(source + ": " + where() + ": merge " + in_quotes(left + " " + right) +
                          " uses " + in_quotes(*token) + ", which is not in the vocabulary");
      }
    }
    // A repeated pair keeps its last rank, as HF's merge map does.
    tokenizer->merges_[pair_key(left_it->second, right_it->second)] = {int32_t(rank),
                                                                       merged_it->second};
  }
  tokenizer->added_tokens_ = std::move(data.added_tokens);
  tokenizer->ignore_merges_ = data.ignore_merges;
  return tokenizer;
}

BpeTokenizer::PieceTokens BpeTokenizer::merge_piece(std::string_view piece_bytes) const {
  PieceTokens result;
  if (ignore_merges_) {
    if (auto it = bytes_to_id_.find(std::string(piece_bytes)); it != bytes_to_id_.end()) {
      result.ids.push_back(it->second);
      result.byte_lengths.push_back(uint32_t(piece_bytes.size()));
      return result;
    }
  }
  const auto count = static_cast<int32_t>(piece_bytes.size());
  std::vector<Symbol> symbols(count);
  for (int32_t i = 0; i < count; ++i) {
    symbols[i] = {byte_ids_[static_cast<uint8_t>(piece_bytes[i])], i - 1,
                  i + 1 < count ? i + 1 : -1, 1};
  }
  std::priority_queue<MergeCandidate> queue;
  auto push_pair = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push({it->second.first, left, it->second.second});
  };
  for (int32_t i = 0; i + 1 < count; ++i) push_pair(i);

  while (!queue.empty()) {
    const MergeCandidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.position];
    if (left.byte_length == 0 || left.next < 0) continue;
    // A candidate is stale when either symbol changed since it was queued.
    auto it = merges_.find(pair_key(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.second != top.merged_id) continue;

    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    left.byte_length += right.byte_length;
    right.byte_length = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.position;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.position);
  }
  for (int32_t i = 0; i >= 0 && i < count; i = symbols[i].next) {
    result.ids.push_back(symbols[i].id);
    result.byte_lengths.push_back(symbols[i].byte_length);
  }
  return result;
}

void BpeTokenizer::append_piece_tokens(std::string_view text, ByteSpan piece,
                                       std::vector<Token>& out) const {
  const std::string_view piece_bytes = text.substr(piece.start, piece.end - piece.start);
  PieceTokens merged;
  bool found = false;
  if (piece_bytes.size() <= kMaxCachedPieceBytes) {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(std::string(piece_bytes)); it != cache_.end()) {
      merged = it->second;
      found = true;
    }
  }
  if (!found) {
    merged = merge_piece(piece_bytes);
    if (piece_bytes.size() <= kMaxCachedPieceBytes) {
      std::lock_guard lock(cache_mutex_);
      if (cache_.size() >= kMaxCachedPieces) cache_.clear();
      cache_.emplace(std::string(piece_bytes), merged);
    }
  }
  size_t start = piece.start;
  for (size_t k = 0; k < merged.ids.size(); ++k) {
    const size_t end = start + merged.byte_lengths[k];
    // Display the bytes this token covers; a character split across tokens shows as U+FFFD.
    out.push_back({merged.ids[k], id_to_display_[merged.ids[k]], start, end, false});
    start = end;
  }
  assert(start == piece.end && "BPE tokens must tile their piece");
}

Result<std::vector<Token>> BpeTokenizer::encode(std::string_view text) const {
  if (Status valid = unicode::validate_utf8(text); !valid.ok()) return valid.error();
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 3 + 1);
  for (const TextSegment& segment : split_on_added_tokens(text, added_tokens_)) {
    if (segment.added_index >= 0) {
      const AddedToken& added = added_tokens_[segment.added_index];
      tokens.push_back(
          {added.id, added.content, segment.span.start, segment.span.end, added.special});
      continue;
    }
    const std::string_view plain =
        text.substr(segment.span.start, segment.span.end - segment.span.start);
    for (ByteSpan piece : gpt2_pretokenize(plain)) {
      append_piece_tokens(text, {piece.start + segment.span.start, piece.end + segment.span.start},
                          tokens);
    }
  }
  return tokens;
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) {
      bytes += id_to_bytes_[id];
    } else {
      unicode::append_utf8(bytes, unicode::kReplacementCharacter);  // an id this vocab lacks
    }
  }
  return unicode::replace_invalid_utf8(bytes);
}

std::string BpeTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "\xEF\xBF\xBD";  // U+FFFD
  return id_to_display_[id];
}

}  // namespace attnviz

#include "core/tokenizers/bpe_model.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <queue>

#include "core/unicode.h"

namespace attnviz {
namespace {

// HF caches pieces shorter than this many bytes (utils/cache.rs MAX_LENGTH).
constexpr size_t kMaxCachedPieceBytes = 256;
// The cache is dropped when it grows past this many pieces, which bounds its memory.
constexpr size_t kMaxCachedPieces = 200000;

bool is_printable_byte(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

struct CharToByte {
  int16_t byte_of[0x144];
  CharToByte() {
    std::fill(std::begin(byte_of), std::end(byte_of), int16_t{-1});
    for (int byte = 0; byte < 256; ++byte)
      byte_of[gpt2_byte_to_char(uint8_t(byte))] = int16_t(byte);
  }
};

const CharToByte& char_to_byte_table() {
  static const CharToByte table;
  return table;
}

uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += unicode::display_bytes(s);
  out.push_back('\'');
  return out;
}

// One symbol of HF's Word: a doubly linked list over the piece's symbols.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t begin;
  uint32_t end;
  bool removed;
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

}  // namespace

char32_t gpt2_byte_to_char(uint8_t byte) {
  if (is_printable_byte(byte)) return byte;
  int n = 0;  // the n-th non-printable byte (in increasing order) maps to U+0100 + n
  for (int b = 0; b < byte; ++b) n += is_printable_byte(b) ? 0 : 1;
  return 0x100 + n;
}

int gpt2_char_to_byte(char32_t c) {
  return c < 0x144 ? char_to_byte_table().byte_of[c] : -1;
}

std::optional<std::string> gpt2_string_to_bytes(std::string_view token) {
  std::string bytes;
  bytes.reserve(token.size());
  for (size_t pos = 0; pos < token.size();) {
    const unicode::DecodeStep step = unicode::decode_one(token, pos);
    const int byte = step.valid ? gpt2_char_to_byte(step.code_point) : -1;
    if (byte < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(byte));
    pos += step.length;
  }
  return bytes;
}

Result<std::unique_ptr<BpeModel>> BpeModel::create(
    StringMap<int32_t> vocab, const std::vector<BpeMerge>& merges, BpeOptions options,
    const std::function<std::string(size_t)>& where) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  if (merges.size() > kMaxMergesPerEntry * vocab.size() + 1024) {
    return make_error(where(0) + ": " + std::to_string(merges.size()) + " merges for a " +
                      "vocabulary of " + std::to_string(vocab.size()) + " entries; a BPE " +
                      "tokenizer has a few per entry, this file is damaged");
  }
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab) max_id = std::max(max_id, id);
  assert(max_id < (1 << 30) && "BpeModel: ids must be bounded by the loader");
  model->id_to_token_.assign(size_t(max_id + 1), std::string());
  model->has_token_.assign(size_t(max_id + 1), false);
  for (const auto& [token, id] : vocab) {
    model->id_to_token_[size_t(id)] = token;
    model->has_token_[size_t(id)] = true;
  }
  if (options.unk_token) {
    auto it = vocab.find(*options.unk_token);
    if (it == vocab.end()) {
      return make_error("model.unk_token " + in_quotes(*options.unk_token) +
                        " is not in the vocabulary");
    }
    model->unk_id_ = it->second;
  }
  char name[8];
  for (int byte = 0; byte < 256; ++byte) {
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    auto it = vocab.find(std::string_view(name));
    model->byte_fallback_ids_[byte] = it == vocab.end() ? -1 : it->second;
    std::string symbol;
    unicode::append_utf8(symbol, gpt2_byte_to_char(uint8_t(byte)));
    auto found = vocab.find(symbol);
    model->byte_symbol_ids_[byte] = found == vocab.end() ? -1 : found->second;
  }
  if (options.byte_level && options.ignore_merges) {
    for (const auto& [token, id] : vocab) {
      if (auto bytes = gpt2_string_to_bytes(token)) model->bytes_to_id_.emplace(*bytes, id);
    }
  }

  const size_t prefix_length = options.continuing_subword_prefix.size();
  model->merges_.reserve(merges.size());
  std::string merged;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& merge = merges[rank];
    auto left = vocab.find(merge.left);
    auto right = vocab.find(merge.right);
    auto spelled = [&] {
      return in_quotes(std::string(merge.left) + " " + std::string(merge.right));
    };
    if (left == vocab.end() || right == vocab.end()) {
      return make_error(where(rank) + ": merge " + spelled() + " uses " +
                        in_quotes(left == vocab.end() ? merge.left : merge.right) +
                        ", which is not in the vocabulary");
    }
    if (merge.right.size() < prefix_length) {
      return make_error(where(rank) + ": merge " + spelled() +
                        " has a right part shorter than continuing_subword_prefix");
    }
    merged.assign(merge.left);
    merged.append(merge.right.substr(prefix_length));
    auto result = vocab.find(merged);
    if (result == vocab.end()) {
      return make_error(where(rank) + ": merge " + spelled() + " makes " + in_quotes(merged) +
                        ", which is not in the vocabulary");
    }
    // A repeated pair keeps its last rank, as HF's merge map does.
    model->merges_[pair_key(left->second, right->second)] = {int32_t(rank), result->second};
  }
  model->vocab_ = std::move(vocab);
  model->options_ = std::move(options);
  return model;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || size_t(id) >= id_to_token_.size() || !has_token_[size_t(id)]) return std::nullopt;
  return std::string_view(id_to_token_[size_t(id)]);
}

int32_t BpeModel::symbol_id(std::string_view unit, bool first, bool last) const {
  const bool decorated = (!first && !options_.continuing_subword_prefix.empty()) ||
                         (last && !options_.end_of_word_suffix.empty());
  std::string spelled;
  if (options_.byte_level) {
    const auto byte = static_cast<uint8_t>(unit[0]);
    if (!decorated) return byte_symbol_ids_[byte];
    unicode::append_utf8(spelled, gpt2_byte_to_char(byte));
  } else {
    if (!decorated) {
      auto it = vocab_.find(unit);
      return it == vocab_.end() ? -1 : it->second;
    }
    spelled.assign(unit);
  }
  if (!first) spelled.insert(0, options_.continuing_subword_prefix);
  if (last) spelled += options_.end_of_word_suffix;
  auto it = vocab_.find(spelled);
  return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::initial_symbols(std::string_view piece, Merged& symbols) const {
  // A pending unk token, fused over consecutive unknown characters when fuse_unk.
  std::optional<PieceToken> unk;
  // HF keeps a pending unk pending across byte-fallback symbols (a character whose bytes all
  // have <0xNN> tokens, in a vocabulary that lacks some): the unk then comes after them in the
  // ids, as in HF, and its span starts where they end so that spans stay in order.
  auto flush_unk = [&] {
    if (!unk) return;
    if (!symbols.empty() && symbols.back().end > unk->begin) {
      unk->begin = symbols.back().end;
      unk->end = std::max(unk->end, unk->begin);
    }
    symbols.push_back(*unk);
    unk.reset();
  };
  auto unit_end = [&](size_t pos) {
    return options_.byte_level ? pos + 1 : pos + unicode::decode_one(piece, pos).length;
  };
  for (size_t pos = 0; pos < piece.size();) {
    const size_t end = unit_end(pos);
    const std::string_view unit = piece.substr(pos, end - pos);
    const int32_t id = symbol_id(unit, pos == 0, end == piece.size());
    if (id >= 0) {
      flush_unk();
      symbols.push_back({id, uint32_t(pos), uint32_t(end)});
      pos = end;
      continue;
    }
    if (options_.byte_fallback) {
      // HF spells the unit as the vocabulary would (a byte-level character, with prefix or
      // suffix) and needs a <0xNN> token for each of its bytes.
      std::string spelled;
      if (options_.byte_level) {
        unicode::append_utf8(spelled, gpt2_byte_to_char(static_cast<uint8_t>(unit[0])));
      } else {
        spelled.assign(unit);
      }
      if (pos != 0) spelled.insert(0, options_.continuing_subword_prefix);
      if (end == piece.size()) spelled += options_.end_of_word_suffix;
      bool all = true;
      for (char b : spelled) all = all && byte_fallback_ids_[static_cast<uint8_t>(b)] >= 0;
      if (all) {
        // Each fallback byte covers one byte; HF does not flush a pending unk here.
        size_t at = pos;
        for (char b : spelled) {
          const size_t next = std::min(at + 1, end);
          symbols.push_back({byte_fallback_ids_[static_cast<uint8_t>(b)], uint32_t(at),
                             uint32_t(std::max(next, at))});
          at = next;
        }
        pos = end;
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (unk && options_.fuse_unk) {
        unk->end = uint32_t(end);
      } else {
        flush_unk();
        unk = PieceToken{unk_id_, uint32_t(pos), uint32_t(end)};
      }
    }
    pos = end;  // no unk token: the character is dropped
  }
  flush_unk();
}

BpeModel::Merged BpeModel::merge(std::string_view piece) const {
  Merged initial;
  if (options_.ignore_merges) {
    const StringMap<int32_t>& whole = options_.byte_level ? bytes_to_id_ : vocab_;
    if (auto it = whole.find(piece); it != whole.end()) {
      initial.push_back({it->second, 0, uint32_t(piece.size())});
      return initial;
    }
  }
  initial_symbols(piece, initial);
  const auto count = int32_t(initial.size());
  std::vector<Symbol> symbols(initial.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i] = {initial[i].id,    i - 1,          i + 1 < count ? i + 1 : -1,
                  initial[i].begin, initial[i].end, false};
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
    if (left.removed || left.next < 0) continue;
    // A candidate is stale when either symbol changed since it was queued.
    auto it = merges_.find(pair_key(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.second != top.merged_id) continue;
    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    left.end = right.end;
    right.removed = true;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.position;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.position);
  }
  Merged result;
  for (int32_t i = count > 0 ? 0 : -1; i >= 0; i = symbols[i].next) {
    result.push_back({symbols[i].id, symbols[i].begin, symbols[i].end});
  }
  return result;
}

void BpeModel::set_space_marker(const std::string& marker) {
  space_marker_.clear();
  joins_marker_.clear();
  // Only where symbols are single characters spelled as themselves, and the marker is one.
  // (ignore_merges looks a whole piece up, which a cut would change.)
  if (options_.byte_level || options_.ignore_merges || marker.empty() ||
      !options_.continuing_subword_prefix.empty() || !options_.end_of_word_suffix.empty() ||
      !vocab_.count(marker)) {
    return;
  }
  for (const auto& [pair, merge] : merges_) {
    const std::string& token = id_to_token_[size_t(merge.second)];
    char32_t previous = 0;
    for (size_t pos = 0; pos < token.size();) {
      if (token.compare(pos, marker.size(), marker) == 0) {
        if (previous != 0) joins_marker_.insert(previous);
        previous = 0;
        pos += marker.size();
        continue;
      }
      const unicode::DecodeStep step = unicode::decode_one(token, pos);
      previous = step.code_point;
      pos += step.length;
    }
  }
  space_marker_ = marker;
}

void BpeModel::tokenize_part(std::string_view part, uint32_t offset,
                             std::vector<PieceToken>& out) const {
  const size_t first = out.size();
  if (part.size() >= kMaxCachedPieceBytes) {
    const Merged merged = merge(part);
    out.insert(out.end(), merged.begin(), merged.end());
  } else {
    bool found = false;
    {
      std::lock_guard lock(cache_mutex_);
      if (auto it = cache_.find(part); it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        found = true;
      }
    }
    if (!found) {
      Merged merged = merge(part);
      out.insert(out.end(), merged.begin(), merged.end());
      std::lock_guard lock(cache_mutex_);
      if (cache_.size() >= kMaxCachedPieces) cache_.clear();
      cache_.emplace(std::string(part), std::move(merged));
    }
  }
  for (size_t k = first; k < out.size(); ++k) {
    out[k].begin += offset;
    out[k].end += offset;
  }
}

void BpeModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  if (space_marker_.empty() || piece.size() < 2 * space_marker_.size()) {
    return tokenize_part(piece, 0, out);
  }
  // Cut before each marker whose previous character is a vocabulary entry of its own, not a
  // marker, and not one a merged token joins to the marker.
  size_t part_start = 0;
  size_t previous_start = std::string_view::npos;  // the character before `pos`
  for (size_t pos = 0; pos < piece.size();) {
    const bool marker = piece.compare(pos, space_marker_.size(), space_marker_) == 0;
    if (marker && previous_start != std::string_view::npos && pos > part_start) {
      const std::string_view previous = piece.substr(previous_start, pos - previous_start);
      const char32_t c = unicode::decode_one(previous, 0).code_point;
      if (previous != space_marker_ && !joins_marker_.count(c) && vocab_.count(previous)) {
        tokenize_part(piece.substr(part_start, pos - part_start), uint32_t(part_start), out);
        part_start = pos;
      }
    }
    const size_t length = marker ? space_marker_.size() : unicode::decode_one(piece, pos).length;
    previous_start = pos;
    pos += length;
  }
  tokenize_part(piece.substr(part_start), uint32_t(part_start), out);
}

}  // namespace attnviz

#include "core/tokenizers/hf_tokenizer.h"

#include <algorithm>
#include <cassert>
#include <unordered_map>

#include "core/tokenizers/bpe_model.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

// "<0x0A>" -> 0x0A; -1 for anything else (HF spells byte-fallback tokens "<0x%02X>").
int byte_fallback_value(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return -1;
  int value = 0;
  for (char c : token.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value += c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value += c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  if (from.empty()) return std::string(text);
  size_t pos = 0;
  for (size_t at = text.find(from); at != std::string_view::npos; at = text.find(from, pos)) {
    out.append(text.substr(pos, at - pos));
    out.append(to);
    pos = at + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

bool is_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

}  // namespace

Result<std::unique_ptr<HfTokenizer>> HfTokenizer::create(TokenizerPipeline pipeline,
                                                         const std::string& source) {
  assert(pipeline.model && "HfTokenizer: a pipeline needs a model");
  std::unique_ptr<HfTokenizer> tokenizer(new HfTokenizer());
  int32_t max_id = pipeline.model->max_id();
  std::vector<std::string> normalized_contents;
  for (const AddedTokenSpec& token : pipeline.added_tokens) {
    assert(token.id >= 0 && "HfTokenizer: added token ids come from the loader");
    max_id = std::max(max_id, token.id);
    normalized_contents.push_back(
        token.normalized ? pipeline.normalizer.normalize_string(token.content) : token.content);
    if (token.special) tokenizer->special_.insert(token.id);
  }
  auto known = [&](int32_t id) {
    if (pipeline.model->id_to_token(id)) return true;
    return std::any_of(pipeline.added_tokens.begin(), pipeline.added_tokens.end(),
                       [&](const AddedTokenSpec& t) { return t.id == id; });
  };
  for (const std::vector<int32_t>* ids : {&pipeline.prefix_ids, &pipeline.suffix_ids}) {
    for (int32_t id : *ids) {
      if (!known(id)) {
        return make_error(source + ": post_processor adds the special token id " +
                          std::to_string(id) + ", which is neither in the vocabulary nor an " +
                          "added token");
      }
      tokenizer->special_.insert(id);
    }
  }
  tokenizer->added_ = AddedVocabulary(pipeline.added_tokens, normalized_contents);
  if (auto* bpe = dynamic_cast<BpeModel*>(pipeline.model.get())) {
    bpe->set_space_marker(pipeline.space_marker);
  }
  tokenizer->pipeline_ = std::move(pipeline);

  const size_t size = size_t(max_id + 1);
  tokenizer->id_bytes_.resize(size);
  tokenizer->id_display_.resize(size);
  for (size_t id = 0; id < size; ++id) {
    tokenizer->id_bytes_[id] = tokenizer->bytes_of(int32_t(id));
  }
  for (const AddedTokenSpec& token : tokenizer->pipeline_.added_tokens) {
    tokenizer->id_bytes_[size_t(token.id)] = token.content;
  }
  for (size_t id = 0; id < size; ++id) {
    const auto vocabulary = tokenizer->pipeline_.model->id_to_token(int32_t(id));
    tokenizer->id_display_[id] = tokenizer->pipeline_.show_vocabulary_text && vocabulary
                                     ? std::string(*vocabulary)
                                     : unicode::display_bytes(tokenizer->id_bytes_[id]);
  }
  for (const AddedTokenSpec& token : tokenizer->pipeline_.added_tokens) {
    tokenizer->id_display_[size_t(token.id)] = token.content;
  }
  return tokenizer;
}

std::string HfTokenizer::bytes_of(int32_t id) const {
  const auto vocabulary = pipeline_.model->id_to_token(id);
  if (!vocabulary) return std::string();
  if (pipeline_.show_vocabulary_text) return std::string(*vocabulary);
  if (pipeline_.byte_level) {
    if (auto bytes = gpt2_string_to_bytes(*vocabulary)) return *bytes;
    return std::string(*vocabulary);  // as HF's ByteLevel decoder keeps such a token
  }
  if (pipeline_.byte_fallback) {
    if (int byte = byte_fallback_value(*vocabulary); byte >= 0) return std::string(1, char(byte));
  }
  return replace_all(*vocabulary, pipeline_.space_marker, " ");
}

void HfTokenizer::append_piece(std::string_view input, const NormalizedText& piece,
                               std::vector<PieceToken>& scratch, std::vector<Token>& out) const {
  scratch.clear();
  pipeline_.model->tokenize(piece.text(), scratch);
  for (const PieceToken& t : scratch) {
    const size_t begin = std::min<size_t>(t.begin, piece.size());
    const size_t end = std::min<size_t>(std::max<size_t>(t.end, begin), piece.size());
    const SourceSpan span = piece.token_span(begin, end);
    Token token;
    token.id = t.id;
    token.start = span.start;
    token.end = span.end;
    if (pipeline_.show_vocabulary_text) {
      token.text = id_display_[size_t(t.id)];
    } else if (!piece.on_char_boundaries(begin, end)) {
      // Some bytes of a character: show them as bytes, and say which characters they are of.
      size_t char_begin = begin;
      while (char_begin > 0 && is_continuation_byte(piece.text()[char_begin])) --char_begin;
      size_t char_end = end;
      while (char_end < piece.size() && is_continuation_byte(piece.text()[char_end])) ++char_end;
      token.partial = true;
      token.char_start = piece.source(char_begin).start;
      token.char_end = piece.source(char_end - 1).end;
      token.bytes = piece.text().substr(begin, end - begin);
      token.text = unicode::display_bytes(token.bytes);
    } else if (span.end > span.start && piece.whole_groups(begin, end)) {
      token.text = std::string(input.substr(span.start, span.end - span.start));
    } else {  // part of a normalized run of characters: what the token spells
      token.text = id_display_[size_t(t.id)];
    }
    out.push_back(std::move(token));
  }
}

Result<std::vector<Token>> HfTokenizer::encode(std::string_view text) const {
  if (Status valid = unicode::validate_utf8(text); !valid.ok()) return valid.error();
  if (text.size() >= kMaxNormalizedInputBytes) {
    return make_error("the text has " + std::to_string(text.size()) + " bytes, more than the " +
                      std::to_string(kMaxNormalizedInputBytes) + " attnviz tokenizes");
  }
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 2 + pipeline_.prefix_ids.size() + pipeline_.suffix_ids.size() + 1);
  for (int32_t id : pipeline_.prefix_ids)
    tokens.push_back({id, id_display_[size_t(id)], 0, 0, true});

  const std::vector<AddedTokenSpec>& added = added_.tokens();
  std::vector<NormalizedText> pieces;
  std::vector<PieceToken> scratch;
  for (const AddedSplit& raw : added_.split(text, false)) {
    if (raw.token >= 0) {
      const AddedTokenSpec& token = added[size_t(raw.token)];
      const std::string typed(text.substr(raw.range.begin, raw.range.end - raw.range.begin));
      tokens.push_back({token.id, typed, raw.range.begin, raw.range.end, token.special});
      continue;
    }
    NormalizedText normalized(text.substr(raw.range.begin, raw.range.end - raw.range.begin),
                              raw.range.begin);
    pipeline_.normalizer.apply(normalized);
    if (normalized.empty()) continue;
    const std::vector<AddedSplit> splits = added_.split(normalized.text(), true);
    for (const AddedSplit& split : splits) {
      if (split.token >= 0) {
        const AddedTokenSpec& token = added[size_t(split.token)];
        const SourceSpan span = normalized.token_span(split.range.begin, split.range.end);
        const std::string typed = span.end > span.start
                                      ? std::string(text.substr(span.start, span.end - span.start))
                                      : token.content;
        tokens.push_back({token.id, typed, span.start, span.end, token.special});
        continue;
      }
      pieces.clear();
      if (splits.size() == 1) {
        pieces.push_back(std::move(normalized));  // the whole stretch, not needed any more
      } else {
        pieces.push_back(normalized.slice(split.range.begin, split.range.end));
      }
      pipeline_.pre_tokenizer.apply(pieces);
      for (const NormalizedText& piece : pieces) append_piece(text, piece, scratch, tokens);
    }
  }
  for (int32_t id : pipeline_.suffix_ids) {
    tokens.push_back({id, id_display_[size_t(id)], text.size(), text.size(), true});
  }
  return tokens;
}

std::string HfTokenizer::decode(std::span<const int32_t> ids) const {
  std::string bytes;
  const std::string& prefix = pipeline_.wordpiece_prefix;
  for (int32_t id : ids) {
    const std::string unknown = "\xEF\xBF\xBD";  // U+FFFD: an id this vocab lacks
    const std::string& token = id >= 0 && id < vocab_size() ? id_bytes_[size_t(id)] : unknown;
    if (!pipeline_.show_vocabulary_text) {
      bytes += token;
    } else if (!prefix.empty() && token.size() > prefix.size() && token.starts_with(prefix) &&
               !bytes.empty()) {
      bytes.append(token, prefix.size());
    } else {
      if (!bytes.empty()) bytes.push_back(' ');
      bytes += token;
    }
  }
  return unicode::replace_invalid_utf8(bytes);
}

std::string HfTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "\xEF\xBF\xBD";  // U+FFFD: an id this vocab lacks
  return id_display_[size_t(id)];
}

}  // namespace attnviz

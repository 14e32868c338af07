#include "core/tokenizers/wordpiece_model.h"

#include <cassert>

#include "core/unicode.h"

namespace attnviz {
void PrefixTrie::insert(std::string_view key, int32_t id) {
  int32_t node = 0;
  for (char c : key) {
    const uint64_t edge = (uint64_t(node) << 8) | static_cast<uint8_t>(c);
    auto [it, fresh] = children_.emplace(edge, int32_t(ids_.size()));
    if (fresh) ids_.push_back(-1);
    node = it->second;
  }
  ids_[size_t(node)] = id;
}

std::pair<size_t, int32_t> PrefixTrie::longest_prefix(std::string_view text) const {
  std::pair<size_t, int32_t> best = {0, -1};
  int32_t node = 0;
  for (size_t k = 0; k < text.size(); ++k) {
    auto it = children_.find((uint64_t(node) << 8) | static_cast<uint8_t>(text[k]));
    if (it == children_.end()) break;
    node = it->second;
    if (ids_[size_t(node)] >= 0) best = {k + 1, ids_[size_t(node)]};
  }
  return best;
}

Result<std::unique_ptr<WordPieceModel>> WordPieceModel::create(StringMap<int32_t> vocab,
                                                               WordPieceModelOptions options) {
  std::unique_ptr<WordPieceModel> model(new WordPieceModel());
  auto unk = vocab.find(options.unk_token);
  if (unk == vocab.end()) {
    return make_error("model.unk_token '" + unicode::display_bytes(options.unk_token) +
                      "' is not in the vocabulary");
  }
  model->unk_id_ = unk->second;
  int32_t max_id = -1;
  const std::string& prefix = options.continuing_subword_prefix;
  for (const auto& [token, id] : vocab) {
    max_id = std::max(max_id, id);
    if (token.empty()) continue;
    model->words_.insert(token, id);
    if (token.size() > prefix.size() && token.starts_with(prefix)) {
      model->continuations_.insert(std::string_view(token).substr(prefix.size()), id);
    }
  }
  assert(max_id < (1 << 30) && "WordPieceModel: ids must be bounded by the loader");
  model->id_to_token_.assign(size_t(max_id + 1), std::string());
  model->has_token_.assign(size_t(max_id + 1), false);
  for (const auto& [token, id] : vocab) {
    model->id_to_token_[size_t(id)] = token;
    model->has_token_[size_t(id)] = true;
  }
  model->vocab_ = std::move(vocab);
  model->options_ = std::move(options);
  return model;
}

void WordPieceModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  const PieceToken unknown{unk_id_, 0, uint32_t(piece.size())};
  size_t chars = 0;
  for (size_t pos = 0; pos < piece.size(); pos += unicode::decode_one(piece, pos).length) ++chars;
  if (chars > options_.max_input_chars_per_word) {
    out.push_back(unknown);
    return;
  }
  // HF tries the longest candidate first, shortening it a character at a time; the longest
  // entry that begins the rest of the piece is the same candidate, found by one walk.
  const size_t first = out.size();
  for (size_t start = 0; start < piece.size();) {
    const PrefixTrie& entries = start == 0 ? words_ : continuations_;
    const auto [length, id] = entries.longest_prefix(piece.substr(start));
    if (id < 0) {
      out.resize(first);
      out.push_back(unknown);
      return;
    }
    out.push_back({id, uint32_t(start), uint32_t(start + length)});
    start += length;
  }
}

std::optional<int32_t> WordPieceModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> WordPieceModel::id_to_token(int32_t id) const {
  if (id < 0 || size_t(id) >= id_to_token_.size() || !has_token_[size_t(id)]) return std::nullopt;
  return std::string_view(id_to_token_[size_t(id)]);
}

}  // namespace attnviz

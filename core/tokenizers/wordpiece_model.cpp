#include "core/tokenizers/wordpiece_model.h"

#include <cassert>

#include "core/unicode.h"

namespace attnviz {
namespace {

bool is_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

}  // namespace

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
  for (const auto& [token, id] : vocab) {
    max_id = std::max(max_id, id);
    model->longest_entry_ = std::max(model->longest_entry_, token.size());
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
  const std::string& prefix = options_.continuing_subword_prefix;
  const size_t first = out.size();
  std::string candidate;
  for (size_t start = 0; start < piece.size();) {
    // Longest first; candidates longer than any entry cannot match, so start below that.
    const size_t room = longest_entry_ - (start > 0 ? std::min(prefix.size(), longest_entry_) : 0);
    size_t end = std::min(piece.size(), start + room);
    while (end > start && end < piece.size() && is_continuation_byte(piece[end])) --end;
    int32_t found = -1;
    while (end > start) {
      candidate.assign(start > 0 ? prefix : std::string());
      candidate.append(piece.substr(start, end - start));
      if (auto it = vocab_.find(candidate); it != vocab_.end()) {
        found = it->second;
        break;
      }
      do {
        --end;
      } while (end > start && is_continuation_byte(piece[end]));
    }
    if (found < 0) {
      out.resize(first);
      out.push_back(unknown);
      return;
    }
    out.push_back({found, uint32_t(start), uint32_t(end)});
    start = end;
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

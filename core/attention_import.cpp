#include "core/attention_import.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <unordered_map>

#include "core/json_read.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr uint64_t kMaxTokensFileBytes = uint64_t{256} << 20;
// Nested JSON lists cost far more memory than their text; larger tensors belong in .npy.
constexpr uint64_t kMaxAttentionJsonBytes = uint64_t{512} << 20;
constexpr float kMaxWeight = 1.0f + 1e-3f;

// How tokens JSON is read: an export's "attention" beside the tokens is skipped, and at most 16
// values a token are built (an object of id, text, start, end, special), so a file far longer
// than max_tokens tokens is refused before it costs memory.
JsonReadOptions tokens_json_options(const ImportLimits& limits) {
  JsonReadOptions options;
  options.skip_top_level_member = "attention";
  options.max_values = limits.max_tokens * 16 + 16;
  return options;
}

Error file_error(const fs::path& path, const std::string& problem) {
  return make_error(escape_invalid_utf8(path.string()) + ": " + problem);
}

// Texts that tokenizers add rather than read from the input.
bool looks_special(const std::string& text) {
  if (text.size() < 3) return false;
  const char first = text.front(), last = text.back();
  if (first == '[' && last == ']') {
    for (size_t i = 1; i + 1 < text.size(); ++i)
      if (!(std::isupper(static_cast<unsigned char>(text[i])) || text[i] == '_')) return false;
    return true;
  }
  if (first == '<' && last == '>') return text.find(' ') == std::string::npos;
  return false;
}

// The bytes a piece's text shows: its whole characters as they are and each other byte as
// "<0xE6>" (unicode::display_bytes); nullopt when the text is not such a display or shows
// whole characters only.
std::optional<std::string> bytes_of_piece(std::string_view text) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string bytes;
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "<0x" && i + 6 <= text.size() && hex(text[i + 3]) && hex(text[i + 4]) &&
        text[i + 5] == '>') {
      bytes.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 3, 2)), nullptr, 16)));
      i += 6;
    } else {
      bytes.push_back(text[i++]);
    }
  }
  // A piece holds at least one byte of a character it does not complete.
  if (unicode::validate_utf8(bytes).ok() || unicode::display_bytes(bytes) != text)
    return std::nullopt;
  return bytes;
}

// "partial": true with "char_start" <= "start" <= "end" <= "char_end" and a text of <0xNN>
// bytes: a piece of a character, as token_to_json writes it.
Status read_piece(const json& entry, const json& partial, bool has_span, const std::string& where,
                  Token& token) {
  if (!partial.is_boolean()) return make_error(where + ": \"partial\" must be true or false");
  if (!partial.get<bool>()) return Ok{};
  auto char_start = entry.find("char_start"), char_end = entry.find("char_end");
  if (!has_span || char_start == entry.end() || char_end == entry.end() ||
      !char_start->is_number_unsigned() || !char_end->is_number_unsigned() ||
      char_start->get<uint64_t>() > token.start || token.end > char_end->get<uint64_t>())
    return make_error(where + ": a \"partial\" token needs \"start\", \"end\" and "
                              "\"char_start\" <= start <= end <= \"char_end\"");
  std::optional<std::string> bytes = bytes_of_piece(token.text);
  if (!bytes || bytes->size() != token.end - token.start)
    return make_error(where + ": a \"partial\" token's text shows the bytes from start to end, "
                              "those of no whole character as <0xNN>");
  token.partial = true;
  token.bytes = std::move(*bytes);
  token.char_start = char_start->get<uint64_t>();
  token.char_end = char_end->get<uint64_t>();
  return Ok{};
}

Result<std::vector<Token>> tokens_from_json(const json& document, const std::string& origin) {
  const json* list = &document;
  if (document.is_object()) {
    auto it = document.find("tokens");
    if (it == document.end())
      return make_error(origin + ": the JSON object has no \"tokens\" list");
    list = &*it;
  }
  if (!list->is_array())
    return make_error(origin + ": expected a list of tokens (or {\"tokens\": [...]})");
  std::vector<Token> tokens;
  std::unordered_map<std::string, int32_t> stand_in_ids;
  bool all_spans = true;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    const std::string where = origin + ": token " + std::to_string(i);
    Token token;
    bool has_id = false, has_special = false, has_span = false;
    if (entry.is_string()) {
      token.text = entry.get<std::string>();
    } else if (entry.is_object()) {
      auto text = entry.find("text");
      if (text == entry.end() || !text->is_string())
        return make_error(where + " has no \"text\" string");
      token.text = text->get<std::string>();
      if (auto id = entry.find("id"); id != entry.end()) {
        if (!id->is_number_integer() || id->get<int64_t>() < 0 || id->get<int64_t>() > INT32_MAX)
          return make_error(where + ": \"id\" must be an integer from 0 to 2147483647");
        token.id = static_cast<int32_t>(id->get<int64_t>());
        has_id = true;
      }
      auto start = entry.find("start"), end = entry.find("end");
      if (start != entry.end() || end != entry.end()) {
        if (start == entry.end() || end == entry.end() || !start->is_number_unsigned() ||
            !end->is_number_unsigned() || start->get<uint64_t>() > end->get<uint64_t>())
          return make_error(where +
                            ": \"start\" and \"end\" must be byte offsets with start <= end");
        token.start = start->get<uint64_t>();
        token.end = end->get<uint64_t>();
        has_span = true;
      }
      if (auto special = entry.find("special"); special != entry.end()) {
        if (!special->is_boolean())
          return make_error(where + ": \"special\" must be true or false");
        token.special = special->get<bool>();
        has_special = true;
      }
      if (auto partial = entry.find("partial"); partial != entry.end()) {
        Status piece = read_piece(entry, *partial, has_span, where, token);
        if (!piece) return piece.error();
      }
    } else {
      return make_error(where + " is neither a string nor an object with \"text\"");
    }
    if (!has_id) token.id = stand_in_ids.emplace(token.text, static_cast<int32_t>(i)).first->second;
    if (!has_special) token.special = looks_special(token.text);
    all_spans = all_spans && has_span;
    tokens.push_back(std::move(token));
  }
  if (!all_spans) {
    size_t offset = 0;
    for (Token& token : tokens) {
      token.partial = false;  // its character's span means nothing over laid-out spans
      token.bytes.clear();
      token.char_start = token.char_end = 0;
      token.start = offset;
      token.end = token.special ? offset : offset + token.text.size();
      offset = token.end;
    }
  }
  return tokens;
}

// The tensor of a safetensors attention file: the only one, or "attentions" / "attention".
Result<const TensorInfo*> pick_tensor(const SafetensorsFile& file) {
  if (file.tensors().size() == 1) return &file.tensors().front();
  for (const char* name : {"attentions", "attention"})
    if (const TensorInfo* tensor = file.find(name)) return tensor;
  std::string names;
  for (size_t i = 0; i < file.tensors().size() && i < 8; ++i)
    names += (i ? ", " : "") + file.tensors()[i].name;
  return file_error(file.path(), "holds " + std::to_string(file.tensors().size()) + " tensors (" +
                                     names + (file.tensors().size() > 8 ? ", ..." : "") +
                                     ") and none is named \"attentions\"; save just the attention");
}

std::string shape_text(std::span<const uint64_t> shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

// Checks the shape against the limits and the token count, before any data is read.
Status check_shape(std::span<const uint64_t> shape, size_t token_count, const std::string& origin,
                   const ImportLimits& limits) {
  if (shape.size() < 2 || shape.size() > 4 || shape[shape.size() - 1] != shape[shape.size() - 2])
    return make_error(origin + ": attention of shape " + shape_text(shape) +
                      " is not (L, H, T, T), (H, T, T) or (T, T); drop any batch dimension "
                      "(e.g. attentions[0]) and stack layers first");
  const uint64_t t = shape.back();
  const uint64_t heads = shape.size() >= 3 ? shape[shape.size() - 3] : 1;
  const uint64_t layers = shape.size() == 4 ? shape[0] : 1;
  if (layers == 0 || heads == 0 || t == 0)
    return make_error(origin + ": attention of shape " + shape_text(shape) + " is empty");
  if (layers > limits.max_layers || heads > limits.max_heads || t > limits.max_tokens)
    return make_error(origin + ": attention of shape " + shape_text(shape) +
                      " is too large (at most " + std::to_string(limits.max_layers) + " layers, " +
                      std::to_string(limits.max_heads) + " heads, " +
                      std::to_string(limits.max_tokens) + " tokens)");
  // Each factor is bounded above, so the product fits in 64 bits.
  if (layers * heads * t * t * sizeof(float) > limits.max_bytes)
    return make_error(origin + ": attention of shape " + shape_text(shape) + " needs " +
                      std::to_string(layers * heads * t * t * sizeof(float) >> 20) +
                      " MiB as float32, more than the " + std::to_string(limits.max_bytes >> 20) +
                      " MiB allowed");
  if (t != token_count)
    return make_error(origin + ": attention covers " + std::to_string(t) +
                      " tokens but the tokens "
                      "file lists " +
                      std::to_string(token_count) + "; they must come from the same text");
  return Ok{};
}

Result<std::vector<Token>> tokens_from_metadata(const SafetensorsFile& file,
                                                const ImportLimits& limits) {
  auto it = file.metadata().find("tokens");
  if (it == file.metadata().end())
    return file_error(file.path(), "has no tokens in its metadata; pass a tokens file (--tokens)");
  const std::string origin = escape_invalid_utf8(file.path().string()) + " (metadata \"tokens\")";
  auto document = parse_json_bounded(it->second, origin, tokens_json_options(limits));
  if (!document) return document.error();
  return tokens_from_json(*document, origin);
}

// Reads the tokens of a JSON file of at most max_bytes (depth bounded by json_read): the top-level
// "attention" member (the tensor in attnviz's JSON export) is checked but never built.
Result<json> read_tokens_document(const fs::path& path, uint64_t max_bytes,
                                  const ImportLimits& limits) {
  return read_json_file_bounded(path, max_bytes, tokens_json_options(limits));
}

// Streams the nested lists of a JSON attention file into floats without building a JSON value
// (nlohmann's SAX events; a DOM costs ~16 bytes a number, this 4): the top-level list, or the
// top-level object's "attention" member, everything else skipped. The shape is (L, H, T, T),
// (H, T, T) or (T, T): the depth of the first number gives the rank, the first list to close at
// each depth its length, and every other list and number must agree. At most max_values numbers.
class AttentionJsonReader {
 public:
  using string_t = json::string_t;

  explicit AttentionJsonReader(uint64_t max_values) : max_values_(max_values) {}

  bool null() { return not_a_number(); }
  bool boolean(bool) { return not_a_number(); }
  bool string(string_t&) { return not_a_number(); }
  bool binary(json::binary_t&) { return not_a_number(); }
  bool number_integer(json::number_integer_t value) { return number(static_cast<double>(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return number(static_cast<double>(value)); }
  bool number_float(json::number_float_t value, const string_t&) { return number(value); }

  bool start_object(std::size_t) {
    if (!counts_.empty()) return fail("\"attention\" holds something other than numbers");
    if (depth_ == 0) root_is_object_ = true;
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool key(string_t& key) {
    next_is_attention_ = root_is_object_ && depth_ == 1 && key == "attention";
    return true;
  }
  bool start_array(std::size_t) {
    ++depth_;
    if (counts_.empty()) {
      const bool begins = (depth_ == 1 && !root_is_object_) || (depth_ == 2 && next_is_attention_);
      next_is_attention_ = false;
      if (!begins) return true;  // a list elsewhere (the tokens): not ours
      if (found_) return fail("has \"attention\" twice");
      found_ = true;
    } else {
      ++counts_.back();
      if (counts_.size() >= kMaxRank || (rank_ != 0 && counts_.size() >= rank_))
        return fail(kShapeProblem);
    }
    counts_.push_back(0);
    return true;
  }
  bool end_array() {
    --depth_;
    if (counts_.empty()) return true;
    const size_t level = counts_.size() - 1;
    if (shape_.size() <= level) shape_.resize(level + 1, kUnknown);
    if (shape_[level] == kUnknown) {
      shape_[level] = counts_.back();
    } else if (shape_[level] != counts_.back()) {
      return fail("\"attention\" is not rectangular (a list at depth " + std::to_string(level) +
                  " should hold " + std::to_string(shape_[level]) + " entries)");
    }
    counts_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    return fail(std::string("is not valid JSON (") + error.what() + ")");
  }

  // After a successful parse: the shape, or why there is none.
  Result<std::vector<uint64_t>> shape() const {
    if (!found_) return make_error("the JSON object has no \"attention\"");
    if (rank_ < 2 || shape_.size() < rank_) return make_error(kShapeProblem);
    return std::vector<uint64_t>(shape_.begin(), shape_.begin() + rank_);
  }
  std::vector<float>& values() { return values_; }
  const std::string& problem() const { return problem_; }

 private:
  static constexpr size_t kMaxRank = 4;
  static constexpr uint64_t kUnknown = UINT64_MAX;
  static constexpr const char* kShapeProblem =
      "\"attention\" must be nested lists of shape (L, H, T, T), (H, T, T) or (T, T)";

  bool fail(std::string problem) {
    problem_ = std::move(problem);
    return false;
  }
  bool not_a_number() {
    return counts_.empty() ? true : fail("\"attention\" holds something other than numbers");
  }
  bool number(double value) {
    if (counts_.empty()) return true;  // a number elsewhere (a token id)
    if (rank_ == 0) rank_ = counts_.size();
    if (counts_.size() != rank_)
      return fail("\"attention\" is not rectangular (numbers at depths " +
                  std::to_string(rank_ - 1) + " and " + std::to_string(counts_.size() - 1) + ")");
    if (values_.size() >= max_values_)
      return fail("\"attention\" holds more than " + std::to_string(max_values_) +
                  " values, more than attnviz imports");
    ++counts_.back();
    // Out of float range becomes infinity, which the weight check then reports.
    values_.push_back(std::abs(value) > 3.4e38 ? INFINITY : static_cast<float>(value));
    return true;
  }

  const uint64_t max_values_;
  int depth_ = 0;  // open objects and lists
  bool root_is_object_ = false;
  bool next_is_attention_ = false;
  bool found_ = false;
  std::vector<uint64_t> counts_;  // entries so far in each open list of the attention
  std::vector<uint64_t> shape_;   // the length of each depth, once a list of it closed
  size_t rank_ = 0;               // depth of the numbers + 1, once one was seen
  std::vector<float> values_;
  std::string problem_;
};

// Reads the attention of a JSON file: shape and values (C order).
Status read_attention_json(const fs::path& path, const std::string& origin,
                           const ImportLimits& limits, std::vector<uint64_t>& shape,
                           std::vector<float>& values) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return file_error(path, "cannot read the file (" + ec.message() + ")");
  if (size > kMaxAttentionJsonBytes)
    return file_error(path, "the file is " + std::to_string(size >> 20) + " MiB; at most " +
                                std::to_string(kMaxAttentionJsonBytes >> 20) +
                                " MiB of JSON is read (save larger attention as .npy)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(path, "cannot open the file");
  AttentionJsonReader reader(limits.max_bytes / sizeof(float));
  bool parsed = false;
  try {
    parsed = json::sax_parse(in, &reader);
  } catch (const json::exception& error) {
    return make_error(origin + ": is not valid JSON (" + error.what() + ")");
  }
  if (!parsed) return make_error(origin + ": " + reader.problem());
  auto found = reader.shape();
  if (!found) return make_error(origin + ": " + found.error().message);
  shape = std::move(found).value();
  values = std::move(reader.values());
  return Ok{};
}

}  // namespace

Result<std::vector<Token>> load_tokens_json(const fs::path& path, const ImportLimits& limits) {
  auto document = read_tokens_document(path, kMaxTokensFileBytes, limits);
  if (!document) return document.error();
  return tokens_from_json(*document, escape_invalid_utf8(path.string()));
}

Result<std::shared_ptr<AttentionTrace>> trace_from_dense(std::vector<Token> tokens,
                                                         std::span<const uint64_t> shape,
                                                         std::span<const float> values,
                                                         const std::string& origin,
                                                         const ImportLimits& limits) {
  auto shape_ok = check_shape(shape, tokens.size(), origin, limits);
  if (!shape_ok) return shape_ok.error();
  const int t = static_cast<int>(shape.back());
  const int heads = shape.size() >= 3 ? static_cast<int>(shape[shape.size() - 3]) : 1;
  const int layers = shape.size() == 4 ? static_cast<int>(shape[0]) : 1;
  const size_t per_head = static_cast<size_t>(t) * t;
  if (values.size() != static_cast<size_t>(layers) * heads * per_head)
    return make_error(origin + ": internal error: the data does not match the shape");

  bool causal = true;
  for (size_t head = 0; head < static_cast<size_t>(layers) * heads; ++head) {
    for (int q = 0; q < t; ++q) {
      const float* row = values.data() + head * per_head + static_cast<size_t>(q) * t;
      for (int k = 0; k < t; ++k) {
        const float value = row[k];
        if (!std::isfinite(value) || value < 0.0f || value > kMaxWeight) {
          return make_error(origin + ": value " + std::to_string(value) + " at layer " +
                            std::to_string(head / heads) + ", head " +
                            std::to_string(head % heads) + ", query " + std::to_string(q) +
                            ", key " + std::to_string(k) +
                            " is not an attention weight (finite, from 0 to 1); save the "
                            "post-softmax attention, not the scores");
        }
        if (k > q && value != 0.0f) causal = false;
      }
    }
  }
  auto trace = std::make_shared<AttentionTrace>(std::move(tokens), layers, heads, causal);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < t; ++q) {
        std::span<float> row = trace->mutable_row(l, h, q);
        const float* src = values.data() + (static_cast<size_t>(l) * heads + h) * per_head +
                           static_cast<size_t>(q) * t;
        std::memcpy(row.data(), src, row.size() * sizeof(float));
      }
  return trace;
}

Result<std::shared_ptr<AttentionTrace>> load_attention_file(const fs::path& attention,
                                                            const fs::path& tokens_json,
                                                            const ImportLimits& limits) {
  const std::string origin = escape_invalid_utf8(attention.string());
  std::string extension = attention.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  std::optional<std::vector<Token>> tokens;
  if (!tokens_json.empty()) {
    auto loaded = load_tokens_json(tokens_json, limits);
    if (!loaded) return loaded.error();
    tokens = std::move(loaded).value();
  }

  std::vector<uint64_t> shape;
  std::vector<float> values;
  if (extension == ".npy") {
    if (!tokens) return file_error(attention, "a .npy file holds no tokens; pass a tokens file");
    auto info = read_npy_info(attention);
    if (!info) return info.error();
    auto shape_ok = check_shape(info->shape, tokens->size(), origin, limits);
    if (!shape_ok) return shape_ok.error();
    auto data = read_npy_floats(attention, *info);
    if (!data) return data.error();
    shape = info->shape;
    values = std::move(data).value();
  } else if (extension == ".safetensors") {
    auto file = SafetensorsFile::open(attention);
    if (!file) return file.error();
    auto tensor = pick_tensor(*file);
    if (!tensor) return tensor.error();
    const TensorInfo& info = **tensor;
    if (info.dtype != DType::kF32 && info.dtype != DType::kF16 && info.dtype != DType::kBF16)
      return file_error(attention, "tensor \"" + info.name + "\" is " +
                                       std::string(dtype_name(info.dtype)) +
                                       "; attention must be F32, F16 or BF16");
    if (!tokens) {
      auto from_metadata = tokens_from_metadata(*file, limits);
      if (!from_metadata) return from_metadata.error();
      tokens = std::move(from_metadata).value();
    }
    auto shape_ok = check_shape(info.shape, tokens->size(), origin, limits);
    if (!shape_ok) return shape_ok.error();
    auto data = file->read_floats(info);
    if (!data) return data.error();
    shape = info.shape;
    values = std::move(data).value();
  } else if (extension == ".json") {
    if (!tokens) {
      // The tokens of attnviz's own export, beside its "attention" (a bare list has none).
      char first = ' ';
      std::ifstream peek(attention, std::ios::binary);
      while (peek.get(first) && std::isspace(static_cast<unsigned char>(first))) {
      }
      if (first != '{') return file_error(attention, "holds no tokens; pass a tokens file");
      auto document = read_tokens_document(attention, kMaxAttentionJsonBytes, limits);
      if (!document) return document.error();
      auto inside = tokens_from_json(*document, origin);
      if (!inside) return inside.error();
      tokens = std::move(inside).value();
    }
    auto read = read_attention_json(attention, origin, limits, shape, values);
    if (!read) return read.error();
    auto shape_ok = check_shape(shape, tokens->size(), origin, limits);
    if (!shape_ok) return shape_ok.error();
  } else {
    return file_error(attention, "unknown attention file type '" + extension +
                                     "'; use .npy (numpy.save), .safetensors or .json");
  }
  auto trace = trace_from_dense(std::move(*tokens), shape, values, origin, limits);
  if (!trace) return trace.error();
  (*trace)->model_name = attention.filename().string();
  return trace;
}

nlohmann::ordered_json token_to_json(const Token& token) {
  nlohmann::ordered_json entry = {{"id", token.id},
                                  {"text", token.text},
                                  {"start", token.start},
                                  {"end", token.end},
                                  {"special", token.special}};
  if (token.partial) {
    entry["partial"] = true;
    entry["char_start"] = token.char_start;
    entry["char_end"] = token.char_end;
  }
  return entry;
}

std::string tokens_to_json(std::span<const Token> tokens) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Token& token : tokens) list.push_back(token_to_json(token));
  return list.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace attnviz

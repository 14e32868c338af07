#include "core/json_read.h"

#include <fstream>
#include <vector>

#include "core/unicode.h"

namespace attnviz {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Builds the value from nlohmann's SAX events, like its json_sax_dom_parser, with two additions
// made in the same pass: a key repeated in one object stops the parse (when asked), and one
// member of the top-level object is skipped. Every step is O(log n) at most (the object's map).
class BoundedDomBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  BoundedDomBuilder(json& root, const JsonReadOptions& options) : root_(root), options_(options) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(number_integer_t value) { return add(value); }
  bool number_unsigned(number_unsigned_t value) { return add(value); }
  bool number_float(number_float_t value, const string_t&) { return add(value); }
  bool string(string_t& value) { return add(std::move(value)); }
  bool binary(binary_t& value) { return add(json::binary(std::move(value))); }

  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& key) {
    if (skipping_ > 0) return true;
    json& object = *stack_.back();
    if (options_.reject_duplicate_keys && object.contains(key)) {
      duplicate_key_ = key;
      return false;  // stops the parse; parse_json_bounded reports it
    }
    if (stack_.size() == 1 && !options_.skip_top_level_member.empty() &&
        key == options_.skip_top_level_member) {
      skip_next_ = true;
      return true;
    }
    member_ = &object[key];
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    error_ = error.what();
    return false;
  }

  const std::string& duplicate_key() const { return duplicate_key_; }
  bool too_many_values() const { return too_many_values_; }
  const std::string& error() const { return error_; }

 private:
  // Where the next value goes: the root, the end of the open array, or the member just named.
  json* place(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& container = *stack_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    *member_ = std::move(value);
    return member_;
  }
  bool add(json value) {
    if (skipping_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    if (!count_value()) return false;
    place(std::move(value));
    return true;
  }
  bool count_value() {
    if (options_.max_values != 0 && ++values_ > options_.max_values) {
      too_many_values_ = true;
      return false;  // stops the parse; parse_json_bounded reports it
    }
    return true;
  }
  bool open(json::value_t type) {
    if (skipping_ > 0 || skip_next_) {
      skip_next_ = false;
      ++skipping_;
      return true;
    }
    if (!count_value()) return false;
    stack_.push_back(place(json(type)));
    return true;
  }
  bool close() {
    if (skipping_ > 0) {
      --skipping_;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  json& root_;
  const JsonReadOptions& options_;
  std::vector<json*> stack_;  // the open objects and arrays, outermost first
  json* member_ = nullptr;    // the member a key just named
  bool skip_next_ = false;    // the next value is the skipped top-level member
  int skipping_ = 0;          // depth inside the skipped member
  uint64_t values_ = 0;       // values built so far
  bool too_many_values_ = false;
  std::string duplicate_key_, error_;
};

}  // namespace

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot close the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<nlohmann::json> parse_json_bounded(std::string_view text, const std::string& source,
                                          int max_depth) {
  JsonReadOptions options;
  options.max_depth = max_depth;
  return parse_json_bounded(text, source, options);
}

Result<nlohmann::json> parse_json_bounded(std::string_view text, const std::string& source,
                                          const JsonReadOptions& options) {
  const int depth = json_nesting_depth(text, options.max_depth);
  if (depth > options.max_depth)
    return make_error(source + ": JSON nested more than " + std::to_string(options.max_depth) +
                      " levels deep; the file is damaged or not what it claims to be");
  json root;
  BoundedDomBuilder builder(root, options);
  bool parsed = false;
  try {
    parsed = json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const json::exception& e) {  // e.g. a number out of range in a binary format
    return make_error(source + ": not valid JSON (" + e.what() + ")");
  }
  if (builder.too_many_values())
    return make_error(source + ": more than " + std::to_string(options.max_values) +
                      " JSON values, more than attnviz reads from this kind of file");
  if (!builder.duplicate_key().empty())
    return make_error(source + ": has the key '" + escape_invalid_utf8(builder.duplicate_key()) +
                      "' twice in one object; the file is ambiguous");
  if (!parsed)
    return make_error(source + ": not valid JSON (" +
                      (builder.error().empty() ? "incomplete" : builder.error()) + ")");
  return root;
}

Result<nlohmann::json> read_json_file_bounded(const fs::path& path, uint64_t max_bytes,
                                              int max_depth) {
  JsonReadOptions options;
  options.max_depth = max_depth;
  return read_json_file_bounded(path, max_bytes, options);
}

Result<nlohmann::json> read_json_file_bounded(const fs::path& path, uint64_t max_bytes,
                                              const JsonReadOptions& options) {
  const std::string name = escape_invalid_utf8(path.string());
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(name + ": a folder, expected a file");
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return make_error(name + ": cannot read the file (" + ec.message() + ")");
  if (size > max_bytes)
    return make_error(name + ": the file is " + std::to_string(size) + " bytes, more than the " +
                      std::to_string(max_bytes) + " bytes attnviz reads for it");
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(size)))
    return make_error(name + ": cannot read the file");
  return parse_json_bounded(text, name, options);
}

std::string json_excerpt(const nlohmann::json& value, size_t max_chars) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() <= max_chars) return text;
  // Cut on a UTF-8 character boundary.
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

std::string escape_invalid_utf8(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const unicode::DecodeStep step = unicode::decode_one(bytes, i);
    if (step.valid) {
      out.append(bytes.substr(i, step.length));
      i += step.length;
      continue;
    }
    for (size_t k = 0; k < step.length; ++k) {  // each byte of the invalid subpart
      const auto byte = static_cast<unsigned char>(bytes[i + k]);
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
    i += step.length;
  }
  return out;
}

}  // namespace attnviz

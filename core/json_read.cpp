#include "core/json_read.h"

#include <fstream>
#include <set>
#include <vector>

#include "core/unicode.h"

namespace attnviz {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Thrown from inside the parser callback to stop at a repeated key; never leaves this file.
struct DuplicateKey {
  std::string key;
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
  std::vector<std::set<std::string>> open_objects;  // keys seen in each enclosing object
  const json::parser_callback_t watch = [&](int level, json::parse_event_t event, json& parsed) {
    if (options.reject_duplicate_keys) {
      if (event == json::parse_event_t::object_start) {
        open_objects.emplace_back();
      } else if (event == json::parse_event_t::object_end) {
        if (!open_objects.empty()) open_objects.pop_back();
      } else if (event == json::parse_event_t::key && !open_objects.empty()) {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second) throw DuplicateKey{key};
      }
    }
    return !options.keep || options.keep(level, event, parsed);
  };
  try {
    if (!options.reject_duplicate_keys && !options.keep) return json::parse(text);
    return json::parse(text, watch);
  } catch (const DuplicateKey& duplicate) {
    return make_error(source + ": has the key '" + escape_invalid_utf8(duplicate.key) +
                      "' twice in one object; the file is ambiguous");
  } catch (const json::exception& e) {
    return make_error(source + ": not valid JSON (" + e.what() + ")");
  }
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

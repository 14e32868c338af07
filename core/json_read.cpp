#include "core/json_read.h"

#include <fstream>

namespace attnviz {

namespace fs = std::filesystem;

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
  const int depth = json_nesting_depth(text, max_depth);
  if (depth > max_depth)
    return make_error(source + ": JSON nested more than " + std::to_string(max_depth) +
                      " levels deep; the file is damaged or not what it claims to be");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return make_error(source + ": not valid JSON (" + e.what() + ")");
  }
}

Result<nlohmann::json> read_json_file_bounded(const fs::path& path, uint64_t max_bytes,
                                              int max_depth) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(path.string() + ": a folder, expected a file");
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return make_error(path.string() + ": cannot read the file (" + ec.message() + ")");
  if (size > max_bytes)
    return make_error(path.string() + ": the file is " + std::to_string(size) +
                      " bytes, more than the " + std::to_string(max_bytes) +
                      " bytes attnviz reads for it");
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(size)))
    return make_error(path.string() + ": cannot read the file");
  return parse_json_bounded(text, path.string(), max_depth);
}

std::string json_excerpt(const nlohmann::json& value, size_t max_chars) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() <= max_chars) return text;
  // Cut on a UTF-8 character boundary.
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

}  // namespace attnviz

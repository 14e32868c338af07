// Reading JSON that comes from outside (config.json, tokenizer.json, sessions, imported
// attention, settings): the file's size and the nesting depth are bounded before nlohmann::json
// builds anything, because its recursive serializer and destructor overflow the stack on a
// value nested ~100,000 levels deep, and error messages quote a short prefix of the input,
// never a dump of an unbounded value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace attnviz {

// Real configs and tokenizers nest 6-8 levels; imported attention nests 5.
//
// Parsing is one linear pass (nlohmann's SAX parser building the value here). nlohmann's own
// callback parser is not used: its end_object() scans the parent for a discarded value, which
// makes a list of n objects cost O(n^2) (1,000,000 tokens {"text": …}: minutes).
inline constexpr int kMaxJsonDepth = 64;

// The deepest nesting of objects and arrays in `text` (strings and escapes skipped), by one
// linear scan; stops counting past `limit` + 1.
int json_nesting_depth(std::string_view text, int limit = kMaxJsonDepth);

// What a reader may ask of the parse beyond the defaults.
struct JsonReadOptions {
  int max_depth = kMaxJsonDepth;
  // A key repeated within one object is an error ("has the key 'w' twice in one object")
  // instead of nlohmann's silent last-one-wins; for formats where a repeat hides an attack.
  bool reject_duplicate_keys = false;
  // A member of the top-level object that is checked for syntax but not kept (e.g. the large
  // "attention" of an export when only its "tokens" are wanted); empty: keep everything.
  std::string skip_top_level_member;
  // At most this many values (numbers, strings, lists, objects…) are built, skipped ones not
  // counted; 0: no limit beyond the file's size. Bounds the memory of a file that is mostly a
  // member to skip, or far longer than its reader can use.
  uint64_t max_values = 0;
};

// Parses `text`, refusing nesting deeper than max_depth and malformed JSON with a message that
// starts with `source` (a file name, or "file (field)"). Never throws.
Result<nlohmann::json> parse_json_bounded(std::string_view text, const std::string& source,
                                          int max_depth = kMaxJsonDepth);
Result<nlohmann::json> parse_json_bounded(std::string_view text, const std::string& source,
                                          const JsonReadOptions& options);

// Reads and parses a file of at most max_bytes (refused, naming the size and the limit, when
// larger). Errors name the file.
Result<nlohmann::json> read_json_file_bounded(const std::filesystem::path& path,
                                              uint64_t max_bytes, int max_depth = kMaxJsonDepth);
Result<nlohmann::json> read_json_file_bounded(const std::filesystem::path& path, uint64_t max_bytes,
                                              const JsonReadOptions& options);

// A JSON value for an error message: its compact text cut to max_chars with "…" (the value
// is dumped only when parse_json_bounded has bounded its depth).
std::string json_excerpt(const nlohmann::json& value, size_t max_chars = 80);

// `bytes` made safe for JSON output and messages: valid UTF-8 is kept as it is, and each byte
// that is not part of a valid sequence is written as the four characters \xFF, so a path such
// as "\xFF\xFEmodel" is shown (and stays distinguishable) instead of making nlohmann::json
// throw type_error 316 when it is dumped.
std::string escape_invalid_utf8(std::string_view bytes);

}  // namespace attnviz

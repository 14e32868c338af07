// libFuzzer harness: UTF-8 decoding of arbitrary bytes, with the invariants the tokenizers and
// the views rely on: decode_utf8 succeeds exactly when validate_utf8 does, its spans tile the
// text, replace_invalid_utf8 and escape_invalid_utf8 always give valid UTF-8 and keep valid
// input unchanged.
#include "core/json_read.h"
#include "core/unicode.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = unicode::validate_utf8(text).ok();
  auto decoded = unicode::decode_utf8(text);
  if (decoded.ok() != valid) __builtin_trap();
  if (decoded.ok()) {
    size_t at = 0;
    for (const unicode::DecodedChar& c : *decoded) {
      if (c.start != at || c.end <= c.start || c.end > text.size()) __builtin_trap();
      at = c.end;
    }
    if (at != text.size()) __builtin_trap();
  }
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep step = unicode::decode_one(text, pos);
    if (step.length == 0 || pos + step.length > text.size()) __builtin_trap();
    pos += step.length;
  }
  const std::string replaced = unicode::replace_invalid_utf8(text);
  if (!unicode::validate_utf8(replaced).ok()) __builtin_trap();
  if (valid && replaced != text) __builtin_trap();
  const std::string escaped = escape_invalid_utf8(text);
  if (!unicode::validate_utf8(escaped).ok()) __builtin_trap();
  if (valid && escaped != text) __builtin_trap();
  return 0;
}

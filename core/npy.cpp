#include "core/npy.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>

#include "core/json_read.h"    // escape_invalid_utf8
#include "core/safetensors.h"  // half_to_float

namespace attnviz {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// numpy itself refuses headers over 10,000 bytes unless told otherwise; a real one is < 200.
constexpr uint64_t kMaxHeaderBytes = 1 << 20;
// A tuple (the shape) holds at most NPY_MAXDIMS of numpy 2 (32 before) items.
constexpr size_t kMaxDimensions = 64;

// A value of the header dict: the subset of Python literals numpy writes.
struct PyValue {
  enum Kind { kString, kBool, kInt, kTuple, kNone } kind = kNone;
  std::string text;
  bool boolean = false;
  uint64_t integer = 0;
  std::vector<PyValue> items;
};

// A recursive-descent parser over the header text; errors say what was expected where.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  Result<std::map<std::string, PyValue>> parse_dict() {
    std::map<std::string, PyValue> dict;
    skip_space();
    if (!eat('{')) return fail("expected '{'");
    while (true) {
      skip_space();
      if (eat('}')) break;
      auto key = parse_value();
      if (!key) return key.error();
      if (key->kind != PyValue::kString) return fail("dict keys must be strings");
      skip_space();
      if (!eat(':')) return fail("expected ':'");
      auto value = parse_value();
      if (!value) return value.error();
      dict[key->text] = std::move(value).value();
      skip_space();
      if (eat(',')) continue;
      skip_space();
      if (eat('}')) break;
      return fail("expected ',' or '}'");
    }
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected text after the dict");
    return dict;
  }

 private:
  Error fail(const std::string& what) const {
    return make_error(origin_ + ": the .npy header is malformed (" + what + " at character " +
                      std::to_string(pos_) + "); save the array again with numpy.save");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<PyValue> parse_value(int depth = 0) {
    if (depth > 8) return fail("nesting too deep");
    skip_space();
    PyValue value;
    if (pos_ >= text_.size()) return fail("unexpected end");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      ++pos_;
      const size_t end = text_.find(c, pos_);
      if (end == std::string_view::npos) return fail("unterminated string");
      value.kind = PyValue::kString;
      value.text = std::string(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return value;
    }
    if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      ++pos_;
      value.kind = PyValue::kTuple;
      while (true) {
        skip_space();
        if (eat(close)) break;
        if (value.items.size() == kMaxDimensions)
          return fail("more than " + std::to_string(kMaxDimensions) + " items in a tuple");
        auto item = parse_value(depth + 1);
        if (!item) return item.error();
        value.items.push_back(std::move(item).value());
        skip_space();
        if (eat(',')) continue;
        skip_space();
        if (eat(close)) break;
        return fail(std::string("expected ',' or '") + close + "'");
      }
      return value;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      value.kind = PyValue::kInt;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        const uint64_t digit = text_[pos_] - '0';
        if (value.integer > (UINT64_MAX - digit) / 10) return fail("integer too large");
        value.integer = value.integer * 10 + digit;
        ++pos_;
      }
      eat('L');  // Python 2 longs
      return value;
    }
    if (eat_word("True")) {
      value.kind = PyValue::kBool;
      value.boolean = true;
      return value;
    }
    if (eat_word("False")) {
      value.kind = PyValue::kBool;
      return value;
    }
    if (eat_word("None")) return value;
    return fail("unexpected character '" + std::string(1, c) + "'");
  }

  std::string_view text_;
  const std::string& origin_;
  size_t pos_ = 0;
};

uint32_t read_le(const unsigned char* bytes, size_t count) {
  uint32_t value = 0;
  for (size_t i = 0; i < count; ++i) value |= static_cast<uint32_t>(bytes[i]) << (8 * i);
  return value;
}

}  // namespace

Result<NpyInfo> parse_npy_header_dict(std::string_view header, const std::string& origin) {
  HeaderParser parser(header, origin);
  auto dict = parser.parse_dict();
  if (!dict) return dict.error();
  for (const char* key : {"descr", "fortran_order", "shape"})
    if (!dict->count(key))
      return make_error(origin + ": the .npy header has no '" + key + "'; save it with numpy.save");
  const PyValue& descr = dict->at("descr");
  const PyValue& fortran = dict->at("fortran_order");
  const PyValue& shape = dict->at("shape");
  if (descr.kind != PyValue::kString)
    return make_error(origin + ": the array has a structured dtype; save a plain float32 array");
  if (fortran.kind != PyValue::kBool)
    return make_error(origin + ": the .npy header's fortran_order is not True or False");
  if (shape.kind != PyValue::kTuple)
    return make_error(origin + ": the .npy header's shape is not a tuple");

  NpyInfo info;
  info.descr = descr.text;
  info.fortran_order = fortran.boolean;
  if (info.descr == "<f4" || info.descr == ">f4") {
    info.item_bytes = 4;
  } else if (info.descr == "<f2" || info.descr == ">f2") {
    info.item_bytes = 2;
  } else {
    return make_error(origin + ": dtype '" + info.descr +
                      "' is not supported; save float32 or float16 (array.astype('float32'))");
  }
  info.big_endian = info.descr[0] == '>';
  if (info.fortran_order) {
    return make_error(origin +
                      ": the array is in Fortran order; save it in C order "
                      "(numpy.save(path, numpy.ascontiguousarray(array)))");
  }
  info.elements = 1;
  for (const PyValue& dim : shape.items) {
    if (dim.kind != PyValue::kInt)
      return make_error(origin + ": the .npy shape holds something other than integers");
    info.shape.push_back(dim.integer);
    if (dim.integer != 0 && info.elements > UINT64_MAX / dim.integer)
      return make_error(origin + ": the .npy shape's element count overflows");
    info.elements *= dim.integer;
  }
  return info;
}

Result<NpyInfo> read_npy_info(const std::filesystem::path& path) {
  const std::string origin = escape_invalid_utf8(path.string());
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(origin + ": cannot read the file (" + ec.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(origin + ": cannot open the file");
  unsigned char prefix[12] = {};
  const size_t prefix_read = in.read(reinterpret_cast<char*>(prefix), sizeof prefix).gcount();
  if (prefix_read < 10 || std::memcmp(prefix, kMagic, kMagicBytes) != 0)
    return make_error(origin + ": not a .npy file (no \\x93NUMPY magic); save it with numpy.save");
  const int major = prefix[6];
  if (major < 1 || major > 3) {
    return make_error(origin + ": .npy format version " + std::to_string(major) + "." +
                      std::to_string(prefix[7]) + " is not supported (1.0, 2.0, 3.0 are)");
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (prefix_read < 8 + length_bytes) return make_error(origin + ": the .npy file is truncated");
  const uint64_t header_bytes = read_le(prefix + 8, length_bytes);
  const uint64_t data_offset = 8 + length_bytes + header_bytes;
  if (header_bytes > kMaxHeaderBytes || data_offset > file_size) {
    return make_error(origin + ": the .npy header claims " + std::to_string(header_bytes) +
                      " bytes but the file has " + std::to_string(file_size) +
                      "; the file is truncated or not a .npy file");
  }
  std::string header(header_bytes, '\0');
  in.seekg(static_cast<std::streamoff>(8 + length_bytes));
  if (!in.read(header.data(), static_cast<std::streamsize>(header_bytes)))
    return make_error(origin + ": cannot read the .npy header");
  auto info = parse_npy_header_dict(header, origin);
  if (!info) return info.error();
  info->data_offset = data_offset;
  const uint64_t available = file_size - data_offset;
  // elements * item_bytes cannot overflow once elements <= available (a byte per element at least).
  if (info->elements > available / info->item_bytes) {
    return make_error(origin + ": the header's shape needs " + std::to_string(info->elements) +
                      " values but the file holds only " + std::to_string(available) +
                      " bytes of data; the file is truncated or its header is wrong");
  }
  const uint64_t data_bytes = info->elements * info->item_bytes;
  if (data_bytes != available) {
    return make_error(origin + ": " + std::to_string(available - data_bytes) +
                      " unexpected bytes after the array data; the header's shape is wrong");
  }
  return info;
}

Result<std::vector<float>> read_npy_floats(const std::filesystem::path& path, const NpyInfo& info) {
  const std::string origin = escape_invalid_utf8(path.string());
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size != info.data_offset + info.elements * info.item_bytes)
    return make_error(origin + ": the file changed while it was being read");
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(info.data_offset));
  std::vector<float> out(info.elements);
  const bool swap = info.big_endian != (std::endian::native == std::endian::big);
  constexpr size_t kChunk = 1 << 18;  // values per read
  std::vector<unsigned char> buffer(kChunk * info.item_bytes);
  for (uint64_t done = 0; done < info.elements;) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(kChunk, info.elements - done));
    if (!in.read(reinterpret_cast<char*>(buffer.data()),
                 static_cast<std::streamsize>(count * info.item_bytes)))
      return make_error(origin + ": the file ended early while reading the array data");
    for (size_t i = 0; i < count; ++i) {
      unsigned char* item = buffer.data() + i * info.item_bytes;
      if (swap) std::reverse(item, item + info.item_bytes);
      if (info.item_bytes == 4) {
        std::memcpy(&out[done + i], item, 4);
      } else {
        uint16_t half;
        std::memcpy(&half, item, 2);
        out[done + i] = half_to_float(half);
      }
    }
    done += count;
  }
  return out;
}

}  // namespace attnviz

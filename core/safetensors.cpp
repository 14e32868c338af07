// Reader and writer of safetensors files. The rules and their order follow the reference reader
// (huggingface/safetensors `tensor.rs`, REFERENCE.md §1) so that a file attnviz accepts is one
// the reference accepts too. Duplicate JSON keys, which the reference silently resolves to the
// last one, are reported by name here, because "a gap in the data" would hide the real cause.
#include "core/safetensors.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <tuple>

#include "core/json_read.h"

namespace attnviz {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; attnviz copies it without byte swapping");

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kHeaderLengthBytes = 8;
constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference reader's MAX_HEADER_SIZE
constexpr uint64_t kMaxIndexBytes = 100'000'000;
constexpr int kMaxHeaderJsonDepth = 16;  // the schemas nest 3 deep; deeper is an attack or garbage
// numpy's limit (NPY_MAXDIMS in numpy 2); the reference reader has none, but no tensor has more.
constexpr size_t kMaxDimensions = 64;

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  size_t bits;
};

constexpr std::array<DTypeEntry, 15> kDTypes = {{
    {DType::kBool, "BOOL", 8},
    {DType::kU8, "U8", 8},
    {DType::kI8, "I8", 8},
    {DType::kF8E5M2, "F8_E5M2", 8},
    {DType::kF8E4M3, "F8_E4M3", 8},
    {DType::kI16, "I16", 16},
    {DType::kU16, "U16", 16},
    {DType::kF16, "F16", 16},
    {DType::kBF16, "BF16", 16},
    {DType::kI32, "I32", 32},
    {DType::kU32, "U32", 32},
    {DType::kF32, "F32", 32},
    {DType::kI64, "I64", 64},
    {DType::kU64, "U64", 64},
    {DType::kF64, "F64", 64},
}};

const DTypeEntry* find_dtype(std::string_view name) {
  for (const auto& entry : kDTypes)
    if (entry.name == name) return &entry;
  return nullptr;
}

std::string in_quotes(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result.append(1, '\'').append(text).append(1, '\'');
  return result;
}

Error file_error(const fs::path& path, const std::string& problem) {
  return make_error(escape_invalid_utf8(path.string()) + ": " + problem);
}

Error tensor_error(const fs::path& path, std::string_view tensor, const std::string& problem) {
  return make_error(escape_invalid_utf8(path.string()) + ": tensor " + in_quotes(tensor) + ": " +
                    problem);
}

// a * b, or false when it does not fit in 64 bits.
bool checked_multiply(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

// "[2, 3]"; a shape of more than 8 dimensions is cut ("[1, 1, …, 1] (70 dimensions)") so that
// a message stays short whatever the file says.
std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size() && i < 8; ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() > 8)
    return text + ", \xE2\x80\xA6] (" + std::to_string(shape.size()) + " dimensions)";
  return text + "]";
}

// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, surrogates or
// code points past U+10FFFF), or npos when all of `text` is valid.
size_t invalid_utf8_offset(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0, smallest = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
      return i;
    i += length;
  }
  return std::string_view::npos;
}

// Parses a header or an index: bounded depth, and a key repeated within one object is an error
// (nlohmann keeps the last one silently; the reference then reports "a gap", hiding the cause).
Result<json> parse_json_strict(std::string_view text, const std::string& source) {
  JsonReadOptions options;
  options.max_depth = kMaxHeaderJsonDepth;
  options.reject_duplicate_keys = true;
  return parse_json_bounded(text, source, options);
}

// A JSON number that is a non-negative integer (not 1.0, not -1, not 1e3).
bool is_unsigned_integer(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

struct ParsedHeader {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

// Rule 4 of the reference reader: UTF-8, JSON, and the schema.
Result<ParsedHeader> parse_header(const fs::path& path, std::string_view text) {
  if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos)
    return file_error(path, "the header is not valid UTF-8 (byte " + std::to_string(bad) +
                                " of the header); the file is damaged or not a safetensors file");
  auto parsed = parse_json_strict(text, escape_invalid_utf8(path.string()) + " (header)");
  if (!parsed) return parsed.error();
  const json& header = parsed.value();
  if (!header.is_object()) return file_error(path, "the header is not a JSON object of tensors");

  ParsedHeader result;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_null()) continue;
      if (!entry.is_object())
        return file_error(path, "the header's __metadata__ is not an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          return file_error(path, "the header's __metadata__ value for " + in_quotes(key) +
                                      " is not a string (metadata maps strings to strings)");
        result.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) return tensor_error(path, name, "its header entry is not an object");
    TensorInfo info;
    info.name = name;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end()) return tensor_error(path, name, "missing field \"dtype\"");
    if (!dtype->is_string()) return tensor_error(path, name, "field \"dtype\" is not a string");
    const DTypeEntry* known = find_dtype(dtype->get_ref<const std::string&>());
    if (!known)
      return tensor_error(path, name, "unknown dtype " + in_quotes(dtype->get<std::string>()));
    info.dtype = known->dtype;

    const auto shape = entry.find("shape");
    if (shape == entry.end()) return tensor_error(path, name, "missing field \"shape\"");
    if (!shape->is_array())
      return tensor_error(path, name, "field \"shape\" is not an array of sizes");
    if (shape->size() > kMaxDimensions)
      return tensor_error(path, name,
                          "field \"shape\" has " + std::to_string(shape->size()) +
                              " dimensions, more than the limit of " +
                              std::to_string(kMaxDimensions));
    for (const json& size : *shape) {
      if (!is_unsigned_integer(size))
        return tensor_error(
            path, name,
            "field \"shape\" holds " + json_excerpt(size) + ", not a non-negative integer");
      info.shape.push_back(size.get<uint64_t>());
    }

    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end()) return tensor_error(path, name, "missing field \"data_offsets\"");
    if (!offsets->is_array() || offsets->size() != 2)
      return tensor_error(path, name, "field \"data_offsets\" is not a pair [BEGIN, END]");
    for (const json& offset : *offsets)
      if (!is_unsigned_integer(offset))
        return tensor_error(path, name,
                            "field \"data_offsets\" holds " + json_excerpt(offset) +
                                ", not a non-negative integer");
    info.begin = (*offsets)[0].get<uint64_t>();
    info.end = (*offsets)[1].get<uint64_t>();
    result.tensors.push_back(std::move(info));
  }
  return result;
}

// Rules 5–8, tensor by tensor in (BEGIN, END) order as the reference does; returns the end of
// the data the tensors cover.
Result<uint64_t> validate_layout(const fs::path& path, std::vector<TensorInfo>& tensors) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t expected_begin = 0;
  for (const TensorInfo& info : tensors) {
    const std::string offsets =
        "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
    if (info.end < info.begin)
      return tensor_error(path, info.name, offsets + " end before they begin");
    if (info.begin < expected_begin)
      return tensor_error(path, info.name,
                          offsets + " overlap the previous tensor, which ends at " +
                              std::to_string(expected_begin) + " (tensors must be contiguous)");
    if (info.begin > expected_begin)
      return tensor_error(path, info.name,
                          offsets + " leave a gap after byte " + std::to_string(expected_begin) +
                              " (tensors must be contiguous from 0)");
    expected_begin = info.end;

    uint64_t elements = 1;
    for (uint64_t size : info.shape)
      if (!checked_multiply(elements, size, &elements))
        return tensor_error(path, info.name,
                            "shape " + shape_text(info.shape) + " overflows the element count");
    uint64_t bits = 0;
    if (!checked_multiply(elements, dtype_bits(info.dtype), &bits))
      return tensor_error(path, info.name,
                          "shape " + shape_text(info.shape) + " overflows the byte count");
    if (bits % 8 != 0)
      return tensor_error(path, info.name, "its size is not a whole number of bytes");
    if (info.end - info.begin != bits / 8)
      return tensor_error(path, info.name,
                          offsets + " hold " + std::to_string(info.end - info.begin) +
                              " bytes, which does not match its shape " + shape_text(info.shape) +
                              " of " + std::string(dtype_name(info.dtype)) + " (" +
                              std::to_string(bits / 8) + " bytes)");
  }
  return expected_begin;
}

// Opens `path` for a bounded read after checking it still has the size it had when opened.
Result<std::ifstream> reopen_unchanged(const fs::path& path, uint64_t size_at_open) {
  std::error_code ec;
  const uint64_t size_now = fs::file_size(path, ec);
  if (ec) return file_error(path, "cannot read the file any more (" + ec.message() + ")");
  if (size_now != size_at_open)
    return file_error(path, "the file changed on disk since it was opened (it was " +
                                std::to_string(size_at_open) + " bytes, now " +
                                std::to_string(size_now) + "); load the model again");
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(path, "cannot open the file again for reading");
  return in;
}

// Reads exactly `size` bytes at `offset`; false when the file holds fewer.
bool read_exact(std::ifstream& in, uint64_t offset, void* out, uint64_t size) {
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in) return false;
  in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
  return in && static_cast<uint64_t>(in.gcount()) == size;
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry.name;
  assert(false && "dtype_name: dtype missing from kDTypes");
  return "?";
}

size_t dtype_bits(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry.bits;
  assert(false && "dtype_bits: dtype missing from kDTypes");
  return 0;
}

uint64_t TensorInfo::elements() const {
  uint64_t count = 1;
  for (uint64_t size : shape) count *= size;  // checked against overflow when the file opened
  return count;
}

// ---- SafetensorsFile ----

Result<SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return file_error(path, "is a folder, not a safetensors file");
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) return file_error(path, "cannot open the file (" + ec.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(path, "cannot open the file for reading");

  // Rule 1.
  if (file_size < kHeaderLengthBytes)
    return file_error(path, "the file is " + std::to_string(file_size) +
                                " bytes, shorter than 8 bytes: not a safetensors file "
                                "(an empty or interrupted download?)");
  std::array<unsigned char, kHeaderLengthBytes> length_bytes{};
  if (!read_exact(in, 0, length_bytes.data(), length_bytes.size()))
    return file_error(path, "the file shrank while it was being opened");
  if (std::memcmp(length_bytes.data(), "version ", kHeaderLengthBytes) == 0)
    return file_error(path,
                      "this looks like a Git LFS pointer, not the weights; fetch the real file "
                      "(git lfs pull) or download it again");
  uint64_t header_bytes = 0;
  for (size_t i = 0; i < kHeaderLengthBytes; ++i)
    header_bytes |= static_cast<uint64_t>(length_bytes[i]) << (8 * i);

  // Rules 2 and 3.
  if (header_bytes > kMaxHeaderBytes)
    return file_error(path, "the header length " + std::to_string(header_bytes) +
                                " is larger than the limit of 100,000,000 bytes: not a "
                                "safetensors file, or a damaged one");
  uint64_t data_start = 0;
  if (__builtin_add_overflow(header_bytes, kHeaderLengthBytes, &data_start) ||
      data_start > file_size)
    return file_error(path, "the header length " + std::to_string(header_bytes) +
                                " runs past the end of the file (" + std::to_string(file_size) +
                                " bytes): the file is truncated");

  std::string header_text(header_bytes, '\0');
  if (!read_exact(in, kHeaderLengthBytes, header_text.data(), header_bytes))
    return file_error(path, "the file shrank while its header was being read");

  // Rule 4, then rules 5–8.
  auto header = parse_header(path, header_text);
  if (!header) return header.error();
  auto data_end = validate_layout(path, header->tensors);
  if (!data_end) return data_end.error();

  // Rule 9.
  const uint64_t data_bytes = file_size - data_start;
  if (data_end.value() > data_bytes)
    return file_error(path, "the tensors need " + std::to_string(data_end.value()) +
                                " bytes of data but the file holds " + std::to_string(data_bytes) +
                                " after its header: the file is truncated");
  if (data_end.value() < data_bytes)
    return file_error(path, "the file has " + std::to_string(data_bytes - data_end.value()) +
                                " trailing bytes after the last tensor: not a valid "
                                "safetensors file (damaged, or something was appended)");

  SafetensorsFile file;
  file.path_ = path;
  file.data_start_ = data_start;
  file.file_size_ = file_size;
  file.tensors_ = std::move(header->tensors);
  file.metadata_ = std::move(header->metadata);
  return file;
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  for (const TensorInfo& info : tensors_)
    if (info.name == name) return &info;
  return nullptr;
}

Result<std::vector<uint8_t>> SafetensorsFile::read_bytes(const TensorInfo& tensor) const {
  if (tensor.end < tensor.begin || data_start_ + tensor.end > file_size_)
    return tensor_error(path_, tensor.name, "its data lies outside the file");
  std::vector<uint8_t> bytes(tensor.end - tensor.begin);
  if (Status read = read_bytes(tensor, bytes); !read) return read.error();
  return bytes;
}

Status SafetensorsFile::read_bytes(const TensorInfo& tensor, std::span<uint8_t> out) const {
  if (tensor.end < tensor.begin || data_start_ + tensor.end > file_size_ ||
      out.size() != tensor.end - tensor.begin)
    return tensor_error(path_, tensor.name, "its data lies outside the file");
  auto in = reopen_unchanged(path_, file_size_);
  if (!in) return in.error();
  if (!read_exact(in.value(), data_start_ + tensor.begin, out.data(), out.size()))
    return tensor_error(path_, tensor.name,
                        "the file ended before the tensor's data (it changed on disk?)");
  return Ok{};
}

Status SafetensorsFile::read_floats(const TensorInfo& tensor, std::span<float> out) const {
  if (tensor.dtype != DType::kF32 && tensor.dtype != DType::kF16 && tensor.dtype != DType::kBF16)
    return tensor_error(path_, tensor.name,
                        "has dtype " + std::string(dtype_name(tensor.dtype)) +
                            ", but attnviz reads only F32, F16 and BF16 weights");
  const uint64_t elements = tensor.elements();
  if (out.size() != elements)
    return tensor_error(path_, tensor.name,
                        "holds " + std::to_string(elements) + " values but " +
                            std::to_string(out.size()) + " were expected");
  const uint64_t element_bytes = dtype_bits(tensor.dtype) / 8;
  if (tensor.end < tensor.begin || tensor.end - tensor.begin != elements * element_bytes ||
      data_start_ + tensor.end > file_size_)
    return tensor_error(path_, tensor.name, "its data lies outside the file");
  auto in = reopen_unchanged(path_, file_size_);
  if (!in) return in.error();
  const Error short_read = tensor_error(
      path_, tensor.name, "the file ended before the tensor's data (it changed on disk?)");

  const uint64_t offset = data_start_ + tensor.begin;
  if (tensor.dtype == DType::kF32) {
    if (!read_exact(in.value(), offset, out.data(), elements * sizeof(float))) return short_read;
    return Ok{};
  }
  // 16-bit formats: read a bounded chunk at a time and widen it.
  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint16_t> chunk(std::min<uint64_t>(kChunk, elements));
  const bool is_half = tensor.dtype == DType::kF16;
  for (uint64_t done = 0; done < elements;) {
    const uint64_t count = std::min<uint64_t>(kChunk, elements - done);
    if (!read_exact(in.value(), offset + done * 2, chunk.data(), count * 2)) return short_read;
    for (uint64_t i = 0; i < count; ++i)
      out[done + i] = is_half ? half_to_float(chunk[i]) : bfloat16_to_float(chunk[i]);
    done += count;
  }
  return Ok{};
}

Result<std::vector<float>> SafetensorsFile::read_floats(const TensorInfo& tensor) const {
  std::vector<float> values(tensor.elements());
  Status status = read_floats(tensor, values);
  if (!status) return status.error();
  return values;
}

// ---- TensorStore ----

namespace {

// A shard name from an index file must name a file in the same folder and nothing else.
std::string shard_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos)
    return "contains a path separator";
  if (name.find("..") != std::string::npos) return "contains \"..\"";
  if (name.find('\0') != std::string::npos) return "contains a NUL character";
  if (fs::path(name).is_absolute()) return "is an absolute path";
  return {};
}

Result<std::string> read_small_file(const fs::path& path, uint64_t limit) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return file_error(path, "cannot open the file (" + ec.message() + ")");
  if (size > limit)
    return file_error(path, "the file is " + std::to_string(size) + " bytes, more than the " +
                                std::to_string(limit) + "-byte limit for this kind of file");
  std::ifstream in(path, std::ios::binary);
  std::string text(size, '\0');
  if (!in || !read_exact(in, 0, text.data(), size)) return file_error(path, "cannot read the file");
  return text;
}

}  // namespace

Result<TensorStore> TensorStore::open_file(const fs::path& file) {
  auto opened = SafetensorsFile::open(file);
  if (!opened) return opened.error();
  TensorStore store;
  store.description_path_ = file;
  store.files_.push_back(std::make_unique<SafetensorsFile>(std::move(opened.value())));
  const SafetensorsFile* only = store.files_.back().get();
  for (const TensorInfo& info : only->tensors()) store.entries_[info.name] = Entry{only, &info};
  return store;
}

Result<TensorStore> TensorStore::open_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    return file_error(folder,
                      "is not a folder (expected a model folder holding "
                      "model.safetensors or model.safetensors.index.json)");
  const fs::path single = folder / "model.safetensors";
  const fs::path index_path = folder / "model.safetensors.index.json";
  // A name that is there but cannot be followed (a link loop, no permission) is named as such,
  // not reported as missing.
  for (const fs::path& path : {single, index_path}) {
    (void)fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      return file_error(path, ec == std::errc::too_many_symbolic_link_levels
                                  ? "is a symbolic link loop; link it to the real file"
                                  : "cannot be read (" + ec.message() + ")");
  }
  if (fs::exists(single, ec)) return open_file(single);  // Hugging Face prefers it too
  if (!fs::exists(index_path, ec))
    return file_error(folder,
                      "holds neither model.safetensors nor "
                      "model.safetensors.index.json; point --model at a folder with the "
                      "weights in safetensors format");

  auto text = read_small_file(index_path, kMaxIndexBytes);
  if (!text) return text.error();
  if (invalid_utf8_offset(text.value()) != std::string_view::npos)
    return file_error(index_path, "the index is not valid UTF-8");
  auto parsed = parse_json_strict(text.value(), escape_invalid_utf8(index_path.string()));
  if (!parsed) return parsed.error();
  const json& index = parsed.value();
  const auto weight_map = index.is_object() ? index.find("weight_map") : index.end();
  if (!index.is_object() || weight_map == index.end() || !weight_map->is_object())
    return file_error(index_path, "the index has no \"weight_map\" object {tensor: shard file}");
  if (weight_map->empty()) return file_error(index_path, "the index's weight_map lists no tensors");

  TensorStore store;
  store.description_path_ = index_path;
  std::map<std::string, const SafetensorsFile*> shards;  // shard name -> opened file
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string())
      return file_error(index_path,
                        "weight_map entry for tensor " + in_quotes(tensor) + " is not a file name");
    const std::string& shard_name = shard.get_ref<const std::string&>();
    if (shards.count(shard_name)) continue;
    if (std::string problem = shard_name_problem(shard_name); !problem.empty())
      return file_error(index_path, "shard file name " + in_quotes(shard_name) + " (for tensor " +
                                        in_quotes(tensor) + ") " + problem +
                                        "; shards must be plain file names in the same folder");
    const fs::path shard_path = folder / shard_name;
    if (!fs::is_regular_file(shard_path, ec))
      return file_error(index_path, "shard " + in_quotes(shard_name) + " (for tensor " +
                                        in_quotes(tensor) + ") is missing from " + folder.string());
    auto opened = SafetensorsFile::open(shard_path);
    if (!opened) return opened.error();
    store.files_.push_back(std::make_unique<SafetensorsFile>(std::move(opened.value())));
    const SafetensorsFile* file = store.files_.back().get();
    shards[shard_name] = file;
    for (const TensorInfo& info : file->tensors()) {
      auto [existing, inserted] = store.entries_.try_emplace(info.name, Entry{file, &info});
      if (!inserted)
        return file_error(
            index_path, "tensor " + in_quotes(info.name) + " is in two shards, " +
                            in_quotes(existing->second.file->path().filename().string()) + " and " +
                            in_quotes(shard_name) + "; the checkpoint is inconsistent");
    }
  }
  for (const auto& [tensor, shard] : weight_map->items()) {
    const SafetensorsFile* file = shards.at(shard.get<std::string>());
    if (!file->find(tensor))
      return file_error(index_path, "the index puts tensor " + in_quotes(tensor) + " in shard " +
                                        in_quotes(shard.get<std::string>()) +
                                        ", but that shard does not contain it");
  }
  return store;
}

const TensorStore::Entry* TensorStore::find(std::string_view name) const {
  auto found = entries_.find(name);
  return found == entries_.end() ? nullptr : &found->second;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> result;
  result.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) result.push_back(name);
  return result;
}

// ---- writer ----

namespace {

// The header text, padded with spaces so that the data starts at a multiple of 8.
// `check_bytes`: each tensor's bytes must match its shape (write_safetensors); a streamed file's
// tensors carry no bytes (safetensors_prefix).
Result<std::string> header_text(const fs::path& path, std::span<const TensorToWrite> tensors,
                                const std::map<std::string, std::string>& metadata,
                                bool check_bytes) {
  std::string text = "{";
  try {
    if (!metadata.empty()) text += "\"__metadata__\":" + json(metadata).dump();
    std::set<std::string_view> names;
    uint64_t offset = 0;
    for (const TensorToWrite& tensor : tensors) {
      if (tensor.name.empty() || tensor.name == "__metadata__")
        return tensor_error(path, tensor.name, "this name cannot be written");
      if (!names.insert(tensor.name).second)
        return tensor_error(path, tensor.name, "the name appears twice");
      uint64_t elements = 1, bits = 0;
      for (uint64_t size : tensor.shape)
        if (!checked_multiply(elements, size, &elements))
          return tensor_error(path, tensor.name, "shape overflows the element count");
      if (!checked_multiply(elements, dtype_bits(tensor.dtype), &bits) || bits % 8 != 0)
        return tensor_error(path, tensor.name, "shape overflows the byte count");
      if (check_bytes && tensor.bytes.size() != bits / 8)
        return tensor_error(path, tensor.name,
                            "has " + std::to_string(tensor.bytes.size()) + " bytes, but shape " +
                                shape_text(tensor.shape) + " of " +
                                std::string(dtype_name(tensor.dtype)) + " needs " +
                                std::to_string(bits / 8));
      if (text.size() > 1) text += ",";
      text += json(tensor.name).dump() + ":{\"dtype\":\"" + std::string(dtype_name(tensor.dtype)) +
              "\",\"shape\":" + json(tensor.shape).dump() + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + bits / 8) + "]}";
      offset += bits / 8;
    }
  } catch (const json::exception& e) {
    return file_error(
        path, std::string("a tensor name or metadata text is not valid UTF-8 (") + e.what() + ")");
  }
  text += "}";
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

fs::path temporary_beside(const fs::path& path) {
  std::random_device random;
  const uint64_t tag = (static_cast<uint64_t>(random()) << 32) | random();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(tag));
  return path.parent_path() / ("." + path.filename().string() + ".tmp-" + hex);
}

}  // namespace

Result<std::string> safetensors_prefix(const fs::path& path, std::span<const TensorToWrite> tensors,
                                       const std::map<std::string, std::string>& metadata) {
  auto header = header_text(path, tensors, metadata, false);
  if (!header) return header.error();
  std::string prefix(kHeaderLengthBytes, '\0');
  for (size_t i = 0; i < kHeaderLengthBytes; ++i)
    prefix[i] = static_cast<char>((header->size() >> (8 * i)) & 0xFF);
  return prefix + *header;
}

Status write_safetensors(const fs::path& path, std::span<const TensorToWrite> tensors,
                         const std::map<std::string, std::string>& metadata) {
  auto header = header_text(path, tensors, metadata, true);
  if (!header) return header.error();
  if (path.filename().empty()) return file_error(path, "is not a file name");

  const fs::path temporary = temporary_beside(path);
  std::error_code ec;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      return file_error(path, "cannot create a file in " +
                                  escape_invalid_utf8(path.parent_path().string()) +
                                  " (does the folder exist, and may it be written?)");
    std::array<char, kHeaderLengthBytes> length{};
    for (size_t i = 0; i < kHeaderLengthBytes; ++i)
      length[i] = static_cast<char>((header->size() >> (8 * i)) & 0xFF);
    out.write(length.data(), length.size());
    out.write(header->data(), static_cast<std::streamsize>(header->size()));
    for (const TensorToWrite& tensor : tensors)
      out.write(reinterpret_cast<const char*>(tensor.bytes.data()),
                static_cast<std::streamsize>(tensor.bytes.size()));
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      return file_error(path, "writing failed (disk full?); the previous file is untouched");
    }
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return file_error(path, "cannot replace the file (" + ec.message() + ")");
  }
  return Ok{};
}

// ---- 16-bit floats ----

float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t float_to_half(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u)  // NaN: keep it a (quiet) NaN with the top payload bits
    return static_cast<uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu));
  if (magnitude >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds to infinity
  if (magnitude < 0x38800000u) {
    // Below the smallest normal half (2^-14): the result is a multiple of 2^-24.
    const uint32_t exponent = magnitude >> 23;
    if (exponent < 102) return sign;  // below 2^-25: rounds to zero
    const uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    uint32_t result = mantissa >> shift;
    const uint32_t remainder = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (result & 1))) ++result;
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t result = (magnitude >> 13) - (112u << 10);  // rebias the exponent from 127 to 15
  const uint32_t remainder = magnitude & 0x1FFFu;
  if (remainder > 0x1000u || (remainder == 0x1000u && (result & 1))) ++result;  // may carry
  return static_cast<uint16_t>(sign | result);
}

float bfloat16_to_float(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

uint16_t float_to_bfloat16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u)  // NaN: rounding could turn it into infinity
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  const uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace attnviz

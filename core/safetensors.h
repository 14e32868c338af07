// Reader and writer of the safetensors format (huggingface/safetensors), with every rule of the
// reference reader enforced (REFERENCE.md §1). Tensors are read with bounded reads into owned
// buffers, never through pointers into a mapping, so a file that changes on disk while in use
// yields an error, not a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace attnviz {

enum class DType { kBool, kU8, kI8, kF8E5M2, kF8E4M3, kI16, kU16, kF16, kBF16, kI32, kU32, kF32,
                   kI64, kU64, kF64 };

std::string_view dtype_name(DType dtype);  // "F32", "BF16", ...
size_t dtype_bits(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;  // offsets relative to the data buffer, end exclusive
  uint64_t end = 0;
  uint64_t elements() const;  // product of shape (1 for a scalar)
};

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Converts F32, F16 or BF16 to float into out (size = elements). Any other dtype, or a file
  // that no longer holds the bytes, is an Error naming the file and tensor.
  Status read_floats(const TensorInfo& tensor, std::span<float> out) const;
  Result<std::vector<float>> read_floats(const TensorInfo& tensor) const;
  // The raw little-endian bytes of any dtype (tests read int64 ids this way).
  Result<std::vector<uint8_t>> read_bytes(const TensorInfo& tensor) const;
  // The same into `out` (exactly the tensor's byte count), which the caller allocated.
  Status read_bytes(const TensorInfo& tensor, std::span<uint8_t> out) const;

 private:
  std::filesystem::path path_;
  uint64_t data_start_ = 0;  // 8 + N
  uint64_t file_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// The tensors of a checkpoint: one model.safetensors, or shards listed in
// model.safetensors.index.json (file names untrusted; a tensor in two shards is an error).
class TensorStore {
 public:
  static Result<TensorStore> open_folder(const std::filesystem::path& folder);
  static Result<TensorStore> open_file(const std::filesystem::path& file);

  struct Entry {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  const Entry* find(std::string_view name) const;
  std::vector<std::string> names() const;
  const std::filesystem::path& description_path() const { return description_path_; }

 private:
  std::filesystem::path description_path_;  // model.safetensors or the index file
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> entries_;
};

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;  // little-endian, row-major, elements * dtype size
};

// Writes a valid file (tensors in the given order, header padded to 8 bytes) to a temporary
// file beside `path`, then renames it over `path`.
Status write_safetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                         const std::map<std::string, std::string>& metadata = {});

// The bytes write_safetensors starts a file with (the header's length, then the header padded
// to 8 bytes) for these tensors, reading only their names, types and shapes: a large tensor's
// data can then be streamed after it in order.
Result<std::string> safetensors_prefix(const std::filesystem::path& path,
                                       std::span<const TensorToWrite> tensors,
                                       const std::map<std::string, std::string>& metadata = {});

// Conversions between float and the 16-bit float formats (round to nearest even).
float half_to_float(uint16_t bits);
uint16_t float_to_half(float value);
float bfloat16_to_float(uint16_t bits);
uint16_t float_to_bfloat16(float value);

}  // namespace attnviz

// SHA-256 (FIPS 180-4), for the fingerprints a session keeps of the model files it was made
// with. Streaming: a multi-gigabyte weight file is hashed in fixed-size chunks.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace attnviz {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  void block(const uint8_t* data);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed
};

// The SHA-256 of a file's contents (64 hex digits); an Error names the file.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace attnviz

#include "core/export/npy.h"

#include <bit>
#include <cstring>

#include "core/atomic_file.h"

namespace attnviz {

std::string npy_header_f32(std::span<const int64_t> shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (i + 1 < shape.size() || shape.size() == 1) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // magic (6) + version (2) + length (2) + dict + padding + '\n' ≡ 0 mod 64
  constexpr size_t kPrefix = 10, kAlign = 64;
  const size_t unpadded = kPrefix + dict.size() + 1;
  dict.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xFF);
  header += static_cast<char>((dict.size() >> 8) & 0xFF);
  return header + dict;
}

std::string attention_npy(const AttentionTrace& trace) {
  const int64_t shape[4] = {trace.layers(), trace.heads(), trace.tokens_count(),
                            trace.tokens_count()};
  const std::vector<float> weights = trace.dense();  // (L, H, T, T)
  std::string file = npy_header_f32(shape);
  const size_t offset = file.size();
  file.resize(offset + weights.size() * sizeof(float));
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(file.data() + offset, weights.data(), weights.size() * sizeof(float));
  } else {
    for (size_t i = 0; i < weights.size(); ++i) {
      const uint32_t bits = std::bit_cast<uint32_t>(weights[i]);
      for (int b = 0; b < 4; ++b) file[offset + i * 4 + b] = static_cast<char>(bits >> (8 * b));
    }
  }
  return file;
}

Status write_attention_npy(const AttentionTrace& trace, const std::filesystem::path& path) {
  return write_file_atomic(path, attention_npy(trace));
}

}  // namespace attnviz

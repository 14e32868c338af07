#include "core/export/npy.h"

#include <bit>
#include <cstring>

#include "core/atomic_file.h"
#include "core/view/attention_reader.h"

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
  const AttentionReader reader(trace);
  const int t = trace.tokens_count();
  const int64_t shape[4] = {trace.layers(), trace.heads(), t, t};
  std::string file = npy_header_f32(shape);
  const size_t header = file.size();
  // Written row by row into the file buffer (no dense copy): masked keys stay 0.
  file.resize(header + static_cast<size_t>(trace.layers()) * trace.heads() * t * t * sizeof(float),
              '\0');
  char* out = file.data() + header;
  for (int l = 0; l < trace.layers(); ++l) {
    for (int h = 0; h < trace.heads(); ++h) {
      for (int q = 0; q < t; ++q, out += static_cast<size_t>(t) * sizeof(float)) {
        reader.visit_row(l, h, q, [out](std::span<const float> row) {  // visible keys
          if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(out, row.data(), row.size() * sizeof(float));
          } else {
            for (size_t k = 0; k < row.size(); ++k) {
              const uint32_t bits = std::bit_cast<uint32_t>(row[k]);
              for (int b = 0; b < 4; ++b) out[k * 4 + b] = static_cast<char>(bits >> (8 * b));
            }
          }
        });
      }
    }
  }
  return file;
}

Status write_attention_npy(const AttentionTrace& trace, const std::filesystem::path& path) {
  return write_file_atomic(path, attention_npy(trace));
}

}  // namespace attnviz

#include "core/export/npy.h"

#include <array>

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

Status write_attention_npy(const AttentionTrace& trace, const TensorSlice& slice,
                           const ByteSink& sink, const RowProgress& progress) {
  if (Status s = check_slice(dims_of(trace), slice); !s.ok()) return s;
  const std::array<int64_t, 4> shape = slice_shape(dims_of(trace), slice);
  if (Status written = sink(npy_header_f32(shape)); !written.ok()) return written;
  return stream_slice_f32(trace, slice, sink, progress);
}

std::string attention_npy(const AttentionTrace& trace) {
  std::string file;
  const Status done = write_attention_npy(trace, {}, [&file](std::string_view bytes) -> Status {
    file.append(bytes);
    return Ok{};
  });
  (void)done;  // the whole slice is always valid, and appending cannot fail
  return file;
}

}  // namespace attnviz

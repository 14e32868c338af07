// Reader of NumPy .npy files (numpy/lib/format.py, format versions 1.0, 2.0, 3.0) for
// float arrays: what people save with np.save(attentions) in Python. (Writing attention as .npy
// is core/export/npy.h.)
//
// Read: '<f4', '>f4', '<f2', '>f2' (converted to float), C order only. The header is parsed and
// checked against the file size before anything is allocated, so a header that lies about the
// shape is an error, not a huge allocation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace attnviz {

struct NpyInfo {
  std::string descr;  // as written, e.g. "<f4"
  bool fortran_order = false;
  std::vector<uint64_t> shape;  // () for a scalar
  uint64_t elements = 0;        // product of shape (1 for a scalar)
  size_t item_bytes = 0;        // 4 or 2
  bool big_endian = false;
  uint64_t data_offset = 0;  // bytes before the data: magic + version + length + header
};

// Parses and validates the header: magic, version, header length, the dict, the dtype (float32 or
// float16 only), C order, shape, and data size == file size − data_offset. Errors name the file.
Result<NpyInfo> read_npy_info(const std::filesystem::path& path);

// The data as float, C order, info.elements values. `info` must come from read_npy_info(path);
// a file that changed size since is an Error.
Result<std::vector<float>> read_npy_floats(const std::filesystem::path& path, const NpyInfo& info);

// Parses only the header dict text, e.g. "{'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }" (exposed for tests). `origin` names the file in messages.
Result<NpyInfo> parse_npy_header_dict(std::string_view header, const std::string& origin);

}  // namespace attnviz

// libFuzzer harness: a NumPy .npy file through read_npy_info and read_npy_floats, and the same
// bytes as a bare header dict through parse_npy_header_dict.
#include "core/npy.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)parse_npy_header_dict(bytes, "fuzz");
  const fs::path path = fuzz::scratch() / "input.npy";
  fuzz::write_file(path, bytes);
  auto info = read_npy_info(path);
  if (!info) return 0;
  auto floats = read_npy_floats(path, *info);
  if (!floats || floats->size() != info->elements) __builtin_trap();
  return 0;
}

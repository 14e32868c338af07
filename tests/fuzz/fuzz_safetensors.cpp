// libFuzzer harness: a safetensors file (header length, JSON header, data) through
// SafetensorsFile::open, then every tensor read back (raw bytes, and floats for F32/F16/BF16).
#include "core/safetensors.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path path = fuzz::scratch() / "input.safetensors";
  fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto file = SafetensorsFile::open(path);
  if (!file) return 0;
  for (const TensorInfo& tensor : file->tensors()) {
    auto bytes = file->read_bytes(tensor);
    if (!bytes || bytes->size() != tensor.end - tensor.begin) __builtin_trap();
    if (tensor.dtype == DType::kF32 || tensor.dtype == DType::kF16 ||
        tensor.dtype == DType::kBF16) {
      auto floats = file->read_floats(tensor);
      if (!floats || floats->size() != tensor.elements()) __builtin_trap();
    }
  }
  auto store = TensorStore::open_file(path);
  if (!store) __builtin_trap();  // opened once, it must open again the same way
  return 0;
}

// libFuzzer harness: config.json through load_model_config (sizes, model_type, rope_scaling,
// layer_types, ... whatever the config reader understands).
#include "core/model_config.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path path = fuzz::scratch() / "config.json";
  fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto config = load_model_config(path);
  if (config && (config->vocab_size <= 0 || config->layers <= 0 || config->heads <= 0))
    __builtin_trap();  // a config it accepts has positive sizes
  return 0;
}

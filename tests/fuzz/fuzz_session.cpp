// libFuzzer harness: a .attnviz session through load_session (format, version, model files,
// text, run what-ifs, the whole view description, window). A session it accepts must save and
// read back to the same JSON, with a version it knows and well-formed fingerprints.
#include "core/session.h"
#include "fuzz_support.h"

using namespace attnviz;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path path = fuzz::scratch() / "input.attnviz";
  fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto session = load_session(path);
  if (!session) return 0;
  for (const ModelFile& file : session->model.files)
    if (file.sha256.size() != 64 || file.name.empty() || file.name.find('/') != std::string::npos)
      __builtin_trap();  // fingerprints are checked on the way in
  if (session->run.temperature <= 0.0f) __builtin_trap();
  const fs::path again = fuzz::scratch() / "again.attnviz";
  if (!save_session(again, *session)) __builtin_trap();
  auto reread = load_session(again);
  if (!reread) __builtin_trap();  // what attnviz writes, attnviz reads
  if (session_json(*reread) != session_json(*session)) __builtin_trap();
  return 0;
}

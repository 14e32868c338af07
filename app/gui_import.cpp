// Opening attention computed elsewhere from inside the app: the model path box (and a drop on
// the window) also take an .npy / .safetensors / .json attention file, as `attnviz view` does.
#include <filesystem>
#include <system_error>

#include "app/gui_app.h"
#include "app/worker.h"
#include "core/analysis/head_roles.h"
#include "core/attention_import.h"

namespace attnviz {
namespace {

// The tokens file that goes with an attention file: FILE.tokens.json or tokens.json beside it.
// Empty when neither exists: attnviz's own safetensors and JSON files carry their tokens.
std::string tokens_beside(const std::filesystem::path& attention) {
  std::error_code ec;
  std::filesystem::path named = attention;
  named.replace_extension(".tokens.json");
  if (std::filesystem::is_regular_file(named, ec)) return named.string();
  const std::filesystem::path plain = attention.parent_path() / "tokens.json";
  if (plain != attention && std::filesystem::is_regular_file(plain, ec)) return plain.string();
  return {};
}

}  // namespace

bool is_attention_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const std::string extension = std::filesystem::path(path).extension().string();
  return extension == ".npy" || extension == ".safetensors" || extension == ".json";
}

void show_imported_attention(App& app, std::shared_ptr<const AttentionTrace> trace,
                             const std::string& source) {
  app.raw_trace = std::move(trace);
  app.trace = app.raw_trace;
  app.model.imported = true;
  app.model.imported_source = source;
  app.model.error.clear();
  app.text.text.clear();
  for (const Token& token : app.raw_trace->tokens()) app.text.text += token.text;
  app.view.clamp_to(app.raw_trace->layers(), app.raw_trace->heads(), app.raw_trace->tokens_count());
  // The worker computes roles for its own traces only; an imported one gets them here, once.
  app.head_roles.table = compute_head_roles(*app.raw_trace);
  app.head_roles.valid = true;
  app.head_roles_of = app.raw_trace.get();
}

void open_attention_file(App& app, const std::string& path) {
  auto trace = load_attention_file(path, tokens_beside(path));
  if (!trace) {
    app.model.error = trace.error().message;  // what was on screen stays
    return;
  }
  if (!app.model.imported) app.text_before_import = app.text.text;
  show_imported_attention(app, trace.value(), path);
}

void leave_imported_attention(App& app, ComputeWorker& worker) {
  if (!app.model.imported) return;
  app.model.imported = false;
  app.model.imported_source.clear();
  app.text.text = app.text_before_import;
  app.trace_generation = 0;  // take the worker's trace again
  worker.run_text(app.text.text, app.run_options);
}

}  // namespace attnviz

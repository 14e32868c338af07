// `attnviz view-data --attention FILE [--tokens TOKENS.json] --out FILE`: loads attention saved
// by another program (.npy, .safetensors, .json; validated as the app would) and writes it in
// attnviz's own formats (.json, .npy, or .safetensors with the tokens inside). A headless round
// trip of the import.
#include <cstdio>
#include <filesystem>
#include <new>
#include <string>
#include <system_error>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/attention_import.h"
#include "core/export/exporter.h"

namespace attnviz {
namespace {

constexpr const char* kUsage =
    "usage: attnviz view-data --attention FILE.npy|.safetensors|.json [--tokens TOKENS.json]\n"
    "                         "
    "--out FILE.json|FILE.npy|FILE.safetensors\n";

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

int run_view_data(const Args& words) {
  auto args = CliArgs::parse(words, {"attention", "tokens", "out"}, {});
  if (!args || !args->positional().empty() || !args->value("attention") || !args->value("out")) {
    std::fprintf(stderr, "attnviz view-data: %s\n%s",
                 !args ? args.error().message.c_str()
                       : (!args->positional().empty() ? "unexpected argument"
                                                      : "--attention and --out are required"),
                 kUsage);
    return 2;
  }
  const std::filesystem::path attention = *args->value("attention");
  const std::filesystem::path tokens = args->value("tokens").value_or("");
  const std::filesystem::path out = *args->value("out");
  if (same_file(out, attention) || (!tokens.empty() && same_file(out, tokens))) {
    std::fprintf(stderr, "attnviz view-data: --out %s is one of the input files; choose another\n",
                 out.c_str());
    return 1;
  }
  std::string extension = out.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  // The loader checks every size against the file and ImportLimits before allocating; a
  // std::bad_alloc can still come from a machine that lacks the memory those limits allow.
  Result<std::shared_ptr<AttentionTrace>> trace = make_error("");
  try {
    trace = load_attention_file(attention, tokens);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "attnviz view-data: %s: not enough memory to load this attention\n",
                 attention.c_str());
    return 1;
  }
  if (!trace) {
    std::fprintf(stderr, "attnviz view-data: %s\n", trace.error().message.c_str());
    return 1;
  }
  Status written = Ok{};
  if (extension == ".safetensors" || extension == ".json" || extension == ".npy") {
    written = export_data(**trace, *export_format_from_path(out), out);
  } else {
    std::fprintf(stderr,
                 "attnviz view-data: %s: unknown output type '%s'; use .json, .npy or "
                 ".safetensors\n",
                 out.c_str(), extension.c_str());
    return 2;
  }
  if (!written) {
    std::fprintf(stderr, "attnviz view-data: %s\n", written.error().message.c_str());
    return 1;
  }
  const AttentionTrace& t = **trace;
  std::printf("%s: %d layers, %d heads, %d tokens, %s; wrote %s\n", attention.c_str(), t.layers(),
              t.heads(), t.tokens_count(), t.causal() ? "causal" : "bidirectional", out.c_str());
  return 0;
}

}  // namespace attnviz

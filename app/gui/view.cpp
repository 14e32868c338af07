// `attnviz view --attention FILE [--tokens TOKENS.json]`: opens attention computed elsewhere
// (numpy .npy or safetensors, with its tokens) in the desktop app. Every view works; the
// inspector and runs need a model, which File ▸ Open brings back.
#include <cstdio>
#include <cstdlib>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/gui/app.h"
#include "app/gui/window.h"
#include "core/attention_import.h"

namespace attnviz {

int run_view(const Args& words) {
  const auto start = std::chrono::steady_clock::now();
  std::set<std::string> value_options = kAppValueOptions;
  value_options.insert({"attention", "tokens"});
  auto args = CliArgs::parse(words, value_options, kAppFlagOptions);
  if (!args) {
    std::fprintf(stderr, "attnviz view: %s\n", args.error().message.c_str());
    return 2;
  }
  const auto attention = args->value("attention");
  if (!attention || !args->positional().empty()) {
    std::fputs(
        "usage: attnviz view --attention FILE.npy|FILE.safetensors [--tokens TOKENS.json]\n"
        "  FILE holds (L, H, T, T), (H, T, T) or (T, T) post-softmax weights, rows = queries;\n"
        "  TOKENS.json lists the T tokens (optional for attnviz's own safetensors files).\n",
        stderr);
    return 2;
  }
  auto options = parse_app_options(args.value());
  if (!options) {
    std::fprintf(stderr, "attnviz view: %s\n", options.error().message.c_str());
    return 2;
  }
  options->process_start = start;
  if (Status view = read_view_option(args.value(), *options); !view) {
    std::fprintf(stderr, "attnviz view: --view: %s\n", view.error().message.c_str());
    return 1;
  }
  // Load before opening a window: a bad file is a message on stderr and exit code 1.
  // The tokens: --tokens, else FILE.tokens.json or tokens.json beside it (as the Model box).
  auto trace =
      load_attention_file(*attention, args->value("tokens").value_or(tokens_beside(*attention)));
  if (!trace) {
    std::fprintf(stderr, "attnviz view: %s\n", trace.error().message.c_str());
    return 1;
  }
  options->imported = trace.value();
  options->imported_source = *attention;
  if (!display_named()) {
    std::fputs(
        "attnviz view: the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY "
        "is set).\nWithout one, use `attnviz export` or `attnviz tokenize`.\n",
        stderr);
    return 1;
  }
  return run_gui(std::move(options).value());
}

}  // namespace attnviz

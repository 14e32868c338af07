// `attnviz view --attention FILE [--tokens TOKENS.json]`: opens attention computed elsewhere
// (numpy .npy or safetensors, with its tokens) in the desktop app. Every view works; the
// inspector and re-runs are off because there is no model.
#include <cstdio>
#include <cstdlib>

#include "app/cli_args.h"
#include "app/commands.h"
#include "app/gui_app.h"
#include "app/gui_window.h"
#include "core/attention_import.h"

namespace attnviz {

int run_view(const Args& words) {
  const auto start = std::chrono::steady_clock::now();
  auto args = CliArgs::parse(words, {"attention", "tokens", "dump-layout", "frame-stats",
                                     "exit-after-frames", "exit-after-seconds", "tab", "pin"},
                             {"time-to-first-frame"});
  if (!args) {
    std::fprintf(stderr, "attnviz view: %s\n", args.error().message.c_str());
    return 2;
  }
  const auto attention = args->value("attention");
  if (!attention || !args->positional().empty()) {
    std::fputs("usage: attnviz view --attention FILE.npy|FILE.safetensors [--tokens TOKENS.json]\n"
               "  FILE holds (L, H, T, T), (H, T, T) or (T, T) post-softmax weights, rows = queries;\n"
               "  TOKENS.json lists the T tokens (optional for attnviz's own safetensors files).\n",
               stderr);
    return 2;
  }
  AppOptions options;
  options.process_start = start;
  options.dump_layout = args->value("dump-layout").value_or("");
  options.frame_stats = args->value("frame-stats").value_or("");
  options.start_tab = args->value("tab").value_or("arcs");
  options.print_time_to_first_frame = args->has("time-to-first-frame");
  auto frames = args->integer("exit-after-frames", 1, 100000000);
  auto pin = args->integer("pin", 0, 1000000);
  if (!frames || !pin) {
    std::fprintf(stderr, "attnviz view: %s\n", (!frames ? frames.error() : pin.error()).message.c_str());
    return 2;
  }
  options.exit_after_frames = frames.value().value_or(0);
  if (pin.value()) options.pin_token = static_cast<int>(*pin.value());
  if (auto seconds = args->value("exit-after-seconds")) {
    char* end = nullptr;
    options.exit_after_seconds = std::strtod(seconds->c_str(), &end);
    if (seconds->empty() || *end != '\0' || !(options.exit_after_seconds > 0.0)) {
      std::fprintf(stderr, "attnviz view: option --exit-after-seconds expects a positive number, got '%s'\n",
                   seconds->c_str());
      return 2;
    }
  }

  // Load before opening a window: a bad file is a message on stderr and exit code 1.
  auto trace = load_attention_file(*attention, args->value("tokens").value_or(""));
  if (!trace) {
    std::fprintf(stderr, "attnviz view: %s\n", trace.error().message.c_str());
    return 1;
  }
  options.imported = trace.value();
  options.imported_source = *attention;
  if (!display_named()) {
    std::fputs("attnviz view: the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY "
               "is set).\nWithout one, use `attnviz export` or `attnviz tokenize`.\n", stderr);
    return 1;
  }
  return run_gui(std::move(options));
}

}  // namespace attnviz

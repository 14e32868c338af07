// `attnviz [--model DIR] [--text TEXT]`: parses the desktop app's command line and runs it.
#include <cstdio>
#include <cstdlib>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/gui/app.h"
#include "app/gui/window.h"
#include "core/json_read.h"

namespace attnviz {

namespace {

const std::set<std::string> kModelOptions = {"model", "text", "session"};

void print_no_display() {
  std::fputs(
      "attnviz: the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
      "Without one, use the command line:\n"
      "  attnviz tokenize --text TEXT            the tokens of a text\n"
      "  attnviz export --text TEXT --out F.png  attention as PNG, SVG, JSON or NPY\n"
      "  attnviz --help                          everything else\n",
      stderr);
}

}  // namespace

const std::set<std::string> kAppValueOptions = {
    "dump-layout", "frame-stats", "exit-after-frames", "exit-after-seconds", "tab", "pin",
    "layer",       "view"};
const std::set<std::string> kAppFlagOptions = {"time-to-first-frame", "log-runs"};

Result<AppOptions> parse_app_options(const CliArgs& args) {
  AppOptions options;
  options.model_folder = args.value("model");
  options.text = args.value("text");
  options.dump_layout = args.value("dump-layout").value_or("");
  options.frame_stats = args.value("frame-stats").value_or("");
  options.start_tab = args.value("tab").value_or("arcs");
  options.print_time_to_first_frame = args.has("time-to-first-frame");
  options.log_runs = args.has("log-runs");
  if (options.start_tab != "arcs" && options.start_tab != "heatmap" && options.start_tab != "grid")
    return make_error("option --tab expects arcs, heatmap or grid, got '" + options.start_tab +
                      "'");
  auto frames = args.integer("exit-after-frames", 1, 100000000);
  if (!frames) return frames.error();
  options.exit_after_frames = frames.value().value_or(0);
  auto pin = args.integer("pin", 0, 1000000);
  if (!pin) return pin.error();
  if (pin.value()) options.pin_token = static_cast<int>(*pin.value());
  auto layer = args.integer("layer", 0, 100000);
  if (!layer) return layer.error();
  if (layer.value()) options.start_layer = static_cast<int>(*layer.value());
  if (auto seconds = args.value("exit-after-seconds")) {
    char* end = nullptr;
    options.exit_after_seconds = std::strtod(seconds->c_str(), &end);
    if (seconds->empty() || *end != '\0' || !(options.exit_after_seconds > 0.0))
      return make_error("option --exit-after-seconds expects a positive number, got '" + *seconds +
                        "'");
  }
  return options;
}

Status read_view_option(const CliArgs& args, AppOptions& options) {
  const auto file = args.value("view");
  if (!file) return Ok{};
  auto json = read_json_file_bounded(*file, 1u << 20);
  if (!json) return json.error();
  auto view = view_spec_from_json(*json, *file);
  if (!view) return view.error();
  options.view = std::move(view).value();
  return Ok{};
}

int run_desktop_app(const Args& words) {
  const auto start = std::chrono::steady_clock::now();
  std::set<std::string> value_options = kAppValueOptions;
  value_options.insert(kModelOptions.begin(), kModelOptions.end());
  auto args = CliArgs::parse(words, value_options, kAppFlagOptions);
  if (!args) {
    std::fprintf(stderr, "attnviz: %s\n", args.error().message.c_str());
    return 2;
  }
  if (!args->positional().empty()) {
    std::fprintf(stderr, "attnviz: unexpected argument '%s' (see attnviz --help)\n",
                 args->positional().front().c_str());
    return 2;
  }
  auto options = parse_app_options(args.value());
  if (!options) {
    std::fprintf(stderr, "attnviz: %s\n", options.error().message.c_str());
    return 2;
  }
  options->process_start = start;
  if (Status view = read_view_option(args.value(), *options); !view) {
    std::fprintf(stderr, "attnviz: --view: %s\n", view.error().message.c_str());
    return 1;
  }
  if (auto file = args->value("session")) {
    if (args->has("model") || args->has("text") || args->has("view")) {
      std::fprintf(stderr,
                   "attnviz: --session holds the model, the text and the view; give it "
                   "without --model, --text and --view\n");
      return 2;
    }
    auto session = load_session(*file);
    if (!session) {
      std::fprintf(stderr, "attnviz: --session: %s\n", session.error().message.c_str());
      return 1;
    }
    options->session = std::move(session).value();
  }
  if (!display_named()) {
    print_no_display();
    return 1;
  }
  return run_gui(std::move(options.value()));
}

}  // namespace attnviz

// attnviz entry point: the desktop app by default, or a command-line subcommand.
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "app/cli/commands.h"

namespace {

const char* kUsage =
    "attnviz " ATTNVIZ_VERSION " - see where a transformer's attention goes\n"
    "\n"
    "usage:\n"
    "  attnviz [--model DIR] [--text TEXT] [--layer L] [--pin I] [--tab arcs|heatmap|grid]\n"
    "          [--view VIEW.json]   the desktop app (built-in model by default)\n"
    "  attnviz --session FILE.attnviz   the app as a saved session left it (File > Save session)\n"
    "  attnviz view --attention FILE [--tokens TOKENS.json]\n"
    "          attention computed elsewhere (.npy/.safetensors, (L,H,T,T), (H,T,T) or (T,T))\n"
    "  attnviz tokenize [--model DIR] --text TEXT [--json]\n"
    "  attnviz export [--model DIR] (--text TEXT | --text-file FILE) --out FILE\n"
    "                 [--format png|svg|json|npy] [--layer L] [--head H | --grid] [--token I]\n"
    "                 [--aggregate single|multi|mean|max|all-layers|rollout] [--heads H,H]\n"
    "                 [--min-weight W] [--top-k K] [--columns] [--view VIEW.json]\n"
    "                 [--merge-words] [--hide-first] [--hide-special] [--scale 1|2|4]\n"
    "                 [--theme light|dark] [--weights raw|value|rollout] [--timings]\n"
    "  attnviz export --session FILE.attnviz --out FILE   a session's figure, headless\n"
    "  attnviz heads [--model DIR] [--text TEXT | --probe induction] [--repeat R] [--seed S]\n"
    "                [--exclude-first-token] [--exclude-current-token] [--json]\n"
    "  attnviz lens [--model DIR] --text TEXT [--position I] [--width W] [--top-k K] [--json]\n"
    "                the logit lens: each layer's top next token around position I\n"
    "  attnviz models [--dir DIR] [--json]     models in the Hugging Face cache, supported or not\n"
    "  attnviz models --card DIR [--json]      one model's card: family, heads, positions, windows\n"
    "  attnviz view-data --attention FILE [--tokens TOKENS.json] --out FILE.json|.npy|.safetensors\n"
    "  attnviz selftest-gl                      render a known heatmap offscreen and check it\n"
    "  attnviz --help | --version\n"
    "\n"
    "--model defaults to the built-in model. --format defaults from the file extension.\n"
    "PNG/SVG: one head's heatmap (--layer, --head), all heads (--grid), or the arcs from one\n"
    "token (--token). JSON/NPY: the attention tensor (L, H, T, T) float32, rows = queries.\n"
    "Texts longer than the model's context are truncated with a warning.\n"
    "Errors go to stderr with a non-zero exit code (1 bad input, 2 usage); nothing is written\n"
    "on failure.\n"
    "App automation (tests, benchmarks): --dump-layout FILE, --frame-stats FILE,\n"
    "--exit-after-frames N, --exit-after-seconds S, --time-to-first-frame, --log-runs.\n";

// Runs the subcommand or the app that `words` name; the exit code.
int dispatch(const std::vector<std::string>& words) {
  if (!words.empty() && (words[0] == "--help" || words[0] == "-h" || words[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!words.empty() && words[0] == "--version") {
    std::printf("attnviz %s\n", ATTNVIZ_VERSION);
    return 0;
  }
  if (!words.empty() && words[0].rfind("--", 0) != 0) {
    const std::string command = words[0];
    std::vector<std::string> rest(words.begin() + 1, words.end());
    for (const attnviz::Command& entry : attnviz::commands()) {
      if (command == entry.name) return entry.run(rest);
    }
    std::fprintf(stderr, "attnviz: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  }
  return attnviz::run_desktop_app(words);
}

}  // namespace

// The one exception boundary of the executable: readers return errors as values, but an
// exception that escapes anyway (a library's type_error, bad_alloc) is reported with the command
// it ended, and the exit code is 1 (bad input), never an abort.
int main(int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  const std::string command = words.empty() || words[0].rfind("--", 0) == 0 ? "" : words[0];
  const std::string prefix = command.empty() ? "attnviz: " : "attnviz " + command + ": ";
  try {
    return dispatch(words);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "%snot enough memory for this input (std::bad_alloc); nothing was written\n",
                 prefix.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%sunexpected error: %s\n", prefix.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "%sunexpected error of an unknown kind\n", prefix.c_str());
  }
  return 1;
}

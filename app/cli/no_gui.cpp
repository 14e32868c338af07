// Built instead of the desktop app when CMake is configured with -DATTNVIZ_GUI=OFF (the
// sanitizer build): the subcommands work, the window does not exist.
#include <cstdio>

#include "app/cli/commands.h"

namespace attnviz {

int run_desktop_app(const Args&) {
  std::fputs(
      "attnviz: this build has no desktop app (configured with ATTNVIZ_GUI=OFF).\n"
      "Use the command line: attnviz export, tokenize, heads (see attnviz --help).\n",
      stderr);
  return 1;
}

}  // namespace attnviz

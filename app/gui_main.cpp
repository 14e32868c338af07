#include <cstdio>

#include "app/commands.h"

namespace attnviz {

int run_desktop_app(const Args&) {
  std::fputs("attnviz: the desktop app is not part of this build yet; use the subcommands.\n", stderr);
  return 1;
}

}  // namespace attnviz

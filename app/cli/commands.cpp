#include "app/cli/commands.h"

#ifdef ATTNVIZ_GUI
#include "ui/gl_selftest.h"
#endif

namespace attnviz {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"tokenize", run_tokenize},
      {"export", run_export},
      {"heads", run_heads},
      {"lens", run_lens},
      {"models", run_models},
      {"view-data", run_view_data},
#ifdef ATTNVIZ_GUI
      {"view", run_view},
      {"selftest-gl", run_gl_selftest_command},
#endif
  };
  return kCommands;
}

}  // namespace attnviz

#include "app/commands.h"

namespace attnviz {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"export", run_export},
  };
  return kCommands;
}

}  // namespace attnviz

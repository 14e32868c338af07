#include "app/commands.h"

namespace attnviz {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"tokenize", run_tokenize},
      {"export", run_export},
  };
  return kCommands;
}

}  // namespace attnviz

#include "app/commands.h"

namespace attnviz {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"tokenize", run_tokenize},
      {"export", run_export},
      {"heads", run_heads},
      {"models", run_models},
      {"view-data", run_view_data},
  };
  return kCommands;
}

}  // namespace attnviz

// The subcommands of the attnviz executable. Each returns the process exit code: 0 on success,
// 1 when the input was bad (message on stderr), 2 for usage errors.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  int (*run)(const Args& args);
};

// Every subcommand, in the order --help lists them (commands.cpp).
const std::vector<Command>& commands();

// The desktop app (gui_main.cpp); without a display it says so and points to the CLI.
int run_desktop_app(const Args& args);

int run_tokenize(const Args& args);  // cli_tokenize.cpp
int run_export(const Args& args);    // cli_export.cpp
int run_heads(const Args& args);     // cli_heads.cpp
int run_lens(const Args& args);      // cli/lens.cpp
int run_models(const Args& args);    // cli_models.cpp
int run_view_data(const Args& args); // cli_view_data.cpp
int run_view(const Args& args);      // gui_view.cpp: imported attention in the desktop app

}  // namespace attnviz

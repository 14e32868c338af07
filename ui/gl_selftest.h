// `attnviz selftest-gl`: proves on this machine that the heatmap shaders compile and colour a
// known map correctly. It opens a hidden GLFW window with an OpenGL 3.3 core context, renders
// a 4x4 causal map offscreen, reads the pixels back and compares each cell with the viridis
// table (within 2/255) and the masked cells with the mask colour. Prints PASS or FAIL.
#pragma once

#include <string>
#include <vector>

namespace attnviz::ui {

// 0 on PASS, 1 on FAIL (the reason on stderr).
int run_gl_selftest();

}  // namespace attnviz::ui

namespace attnviz {

// The subcommand entry (registered in app/commands.cpp); takes no arguments.
int run_gl_selftest_command(const std::vector<std::string>& args);

}  // namespace attnviz

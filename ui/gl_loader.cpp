// OpenGL 3.3 core function loading goes through GLFW (glfwGetProcAddress) in the renderer;
// this unit anchors the ui library until the panels land.
namespace attnviz::ui {}

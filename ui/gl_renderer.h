// Small RAII owners of the OpenGL 3.3 core objects the heatmaps need: textures, an offscreen
// framebuffer and shader programs built from files in shaders/. GL names are plain unsigned
// ints here so that this header pulls in no GL header; the functions come from Mesa's
// libOpenGL (GL_GLEXT_PROTOTYPES in the .cpp), linked through OpenGL::GL.
//
// Every call needs a current OpenGL 3.3 context (the app's GLFW window, or the hidden window
// of the self test). Shader compile and link logs come back as Errors to show in the UI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace attnviz::ui {

// A 2D texture: single-channel float values (GL_R32F, read with texelFetch) or RGBA8 colours.
class GlTexture {
 public:
  GlTexture() = default;
  ~GlTexture();
  GlTexture(GlTexture&& other) noexcept;
  GlTexture& operator=(GlTexture&& other) noexcept;
  GlTexture(const GlTexture&) = delete;
  GlTexture& operator=(const GlTexture&) = delete;

  // (height, width) floats, row-major; reallocates only when the size changes.
  void upload_r32f(int width, int height, std::span<const float> values);
  // (height, width, 4) bytes, row-major, clamped; nearest filtering picks whole entries of a
  // colour-map table (as the exporters do), linear blends them.
  void upload_rgba8(int width, int height, std::span<const uint8_t> rgba, bool nearest);
  // Storage for a render target; mip levels are allocated when `mipmaps` (for minified
  // thumbnails; call generate_mipmaps() after drawing into it).
  void allocate_rgba8(int width, int height, bool mipmaps);
  void generate_mipmaps();

  unsigned id() const { return id_; }
  int width() const { return width_; }
  int height() const { return height_; }
  bool valid() const { return id_ != 0; }
  // The id as ImGui's ImTextureID wants it, without including imgui.h here.
  void* imgui_id() const { return reinterpret_cast<void*>(static_cast<uintptr_t>(id_)); }

 private:
  void ensure_created();
  void release();
  unsigned id_ = 0;
  int width_ = 0, height_ = 0;
  unsigned internal_format_ = 0;
};

// An offscreen colour target: draw into it, then show its texture with ImGui::Image.
// Its rows go bottom-up as in any GL framebuffer: show it with uv0 = (0, 1), uv1 = (1, 0).
class GlRenderTarget {
 public:
  GlRenderTarget() = default;
  ~GlRenderTarget();
  GlRenderTarget(GlRenderTarget&& other) noexcept;
  GlRenderTarget& operator=(GlRenderTarget&& other) noexcept;
  GlRenderTarget(const GlRenderTarget&) = delete;
  GlRenderTarget& operator=(const GlRenderTarget&) = delete;

  // (Re)allocates when the size or the mip choice changes. Fails when the driver rejects the
  // framebuffer (message from glCheckFramebufferStatus).
  Status resize(int width, int height, bool mipmaps = false);
  const GlTexture& texture() const { return texture_; }
  GlTexture& texture() { return texture_; }
  unsigned framebuffer() const { return framebuffer_; }
  int width() const { return texture_.width(); }
  int height() const { return texture_.height(); }

  // Reads the target's pixels back (RGBA8, bottom row first), for tests and the self test.
  std::vector<uint8_t> read_rgba() const;

 private:
  void release();
  GlTexture texture_;
  unsigned framebuffer_ = 0;
  bool mipmaps_ = false;
};

// A linked vertex + fragment program. Uniform locations are looked up once and cached.
class ShaderProgram {
 public:
  ShaderProgram() = default;
  ~ShaderProgram();
  ShaderProgram(ShaderProgram&& other) noexcept;
  ShaderProgram& operator=(ShaderProgram&& other) noexcept;
  ShaderProgram(const ShaderProgram&) = delete;
  ShaderProgram& operator=(const ShaderProgram&) = delete;

  // Compiles and links; `name` (e.g. the file names) prefixes the compile/link log in errors.
  static Result<ShaderProgram> from_sources(const std::string& name,
                                            const std::string& vertex_source,
                                            const std::string& fragment_source);
  // Reads `<dir>/<vertex_file>` and `<dir>/<fragment_file>`, see shader_directory().
  static Result<ShaderProgram> from_files(const std::filesystem::path& dir,
                                          const std::string& vertex_file,
                                          const std::string& fragment_file);

  unsigned id() const { return program_; }
  bool valid() const { return program_ != 0; }
  void use() const;
  // -1 when the uniform is absent or optimized out (setting it is then a no-op, as in GL).
  int uniform(const char* name);

 private:
  void release();
  unsigned program_ = 0;
  std::unordered_map<std::string, int> uniforms_;
};

// Where the GLSL sources are: $ATTNVIZ_SHADER_DIR, else shaders/ beside the executable (the
// build copies them there), else ../share/attnviz/shaders (install), else the source tree's
// shaders/ (compile-time ATTNVIZ_SHADER_DIR). Fails with the list of places looked at.
Result<std::filesystem::path> shader_directory();

// Saves the GL state the heatmap passes change during ImGui's frame building (framebuffer,
// viewport, program, vertex array, textures of units 0 and 1, blend/scissor/depth) and restores
// it on destruction, so drawing into a render target never disturbs the app's own rendering.
class GlStateGuard {
 public:
  GlStateGuard();
  ~GlStateGuard();
  GlStateGuard(const GlStateGuard&) = delete;
  GlStateGuard& operator=(const GlStateGuard&) = delete;

 private:
  int framebuffer_ = 0, program_ = 0, vertex_array_ = 0, active_texture_ = 0;
  int texture0_ = 0, texture1_ = 0;
  int viewport_[4] = {0, 0, 0, 0};
  bool blend_ = false, scissor_ = false, depth_ = false, cull_ = false;
};

// A GL error code left by the last calls, as text ("" when none); drains the error queue.
std::string gl_error_text();

}  // namespace attnviz::ui

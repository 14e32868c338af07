#include "ui/gl_renderer.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <cassert>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace attnviz::ui {

// ---- GlTexture ----

GlTexture::~GlTexture() {
  release();
}

GlTexture::GlTexture(GlTexture&& other) noexcept
    : id_(std::exchange(other.id_, 0)),
      width_(std::exchange(other.width_, 0)),
      height_(std::exchange(other.height_, 0)),
      internal_format_(std::exchange(other.internal_format_, 0)) {}

GlTexture& GlTexture::operator=(GlTexture&& other) noexcept {
  if (this != &other) {
    release();
    id_ = std::exchange(other.id_, 0);
    width_ = std::exchange(other.width_, 0);
    height_ = std::exchange(other.height_, 0);
    internal_format_ = std::exchange(other.internal_format_, 0);
  }
  return *this;
}

void GlTexture::release() {
  if (id_ != 0) glDeleteTextures(1, &id_);
  id_ = 0;
  width_ = height_ = 0;
}

void GlTexture::ensure_created() {
  if (id_ == 0) glGenTextures(1, &id_);
}

void GlTexture::upload_r32f(int width, int height, std::span<const float> values) {
  assert(width > 0 && height > 0 && values.size() >= static_cast<size_t>(width) * height &&
         "upload_r32f: too few values for the size");
  ensure_created();
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  if (width != width_ || height != height_ || internal_format_ != GL_R32F) {
    // Values are read with texelFetch; nearest keeps cells crisp if someone samples them.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, width, height, 0, GL_RED, GL_FLOAT, values.data());
    width_ = width;
    height_ = height;
    internal_format_ = GL_R32F;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RED, GL_FLOAT, values.data());
  }
}

void GlTexture::upload_rgba8(int width, int height, std::span<const uint8_t> rgba, bool nearest) {
  assert(width > 0 && height > 0 && rgba.size() >= static_cast<size_t>(width) * height * 4 &&
         "upload_rgba8: too few bytes for the size");
  ensure_created();
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  const GLint filter = nearest ? GL_NEAREST : GL_LINEAR;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
               rgba.data());
  width_ = width;
  height_ = height;
  internal_format_ = GL_RGBA8;
}

void GlTexture::allocate_rgba8(int width, int height, bool mipmaps) {
  assert(width > 0 && height > 0 && "allocate_rgba8: empty size");
  release();
  ensure_created();
  glBindTexture(GL_TEXTURE_2D, id_);
  // Without mip levels a target is shown pixel for pixel: nearest is exact and is the
  // cheapest sampling for a software rasterizer (llvmpipe).
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER,
                  mipmaps ? GL_LINEAR_MIPMAP_LINEAR : GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, mipmaps ? GL_LINEAR : GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  if (mipmaps) glGenerateMipmap(GL_TEXTURE_2D);  // allocates the chain
  width_ = width;
  height_ = height;
  internal_format_ = GL_RGBA8;
}

void GlTexture::generate_mipmaps() {
  if (id_ == 0) return;
  glBindTexture(GL_TEXTURE_2D, id_);
  glGenerateMipmap(GL_TEXTURE_2D);
}

// ---- GlRenderTarget ----

GlRenderTarget::~GlRenderTarget() {
  release();
}

GlRenderTarget::GlRenderTarget(GlRenderTarget&& other) noexcept
    : texture_(std::move(other.texture_)),
      framebuffer_(std::exchange(other.framebuffer_, 0)),
      mipmaps_(other.mipmaps_) {}

GlRenderTarget& GlRenderTarget::operator=(GlRenderTarget&& other) noexcept {
  if (this != &other) {
    release();
    texture_ = std::move(other.texture_);
    framebuffer_ = std::exchange(other.framebuffer_, 0);
    mipmaps_ = other.mipmaps_;
  }
  return *this;
}

void GlRenderTarget::release() {
  if (framebuffer_ != 0) glDeleteFramebuffers(1, &framebuffer_);
  framebuffer_ = 0;
}

Status GlRenderTarget::resize(int width, int height, bool mipmaps) {
  if (width <= 0 || height <= 0) return make_error("render target: empty size");
  if (framebuffer_ != 0 && width == texture_.width() && height == texture_.height() &&
      mipmaps == mipmaps_)
    return Ok{};
  GLint previous = 0;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous);
  texture_.allocate_rgba8(width, height, mipmaps);
  mipmaps_ = mipmaps;
  if (framebuffer_ == 0) glGenFramebuffers(1, &framebuffer_);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture_.id(), 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(previous));
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    std::ostringstream message;
    message << "render target " << width << "x" << height << ": framebuffer incomplete (status 0x"
            << std::hex << status
            << "); the OpenGL driver cannot render to an RGBA8 texture of this size";
    return make_error(message.str());
  }
  return Ok{};
}

std::vector<uint8_t> GlRenderTarget::read_rgba() const {
  std::vector<uint8_t> pixels(static_cast<size_t>(width()) * height() * 4);
  if (framebuffer_ == 0) return pixels;
  GLint previous = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &previous);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width(), height(), GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(previous));
  return pixels;
}

// ---- ShaderProgram ----

namespace {

std::string shader_log(GLuint shader) {
  GLint length = 0;
  glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
  std::string log(static_cast<size_t>(length > 0 ? length : 0), '\0');
  if (length > 0) glGetShaderInfoLog(shader, length, nullptr, log.data());
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

std::string program_log(GLuint program) {
  GLint length = 0;
  glGetProgramiv(program, GL_INFO_LOG_LENGTH, &length);
  std::string log(static_cast<size_t>(length > 0 ? length : 0), '\0');
  if (length > 0) glGetProgramInfoLog(program, length, nullptr, log.data());
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

Result<GLuint> compile_shader(const std::string& name, GLenum stage, const std::string& source) {
  const GLuint shader = glCreateShader(stage);
  if (shader == 0) return make_error(name + ": glCreateShader failed (no current GL context?)");
  const char* text = source.c_str();
  glShaderSource(shader, 1, &text, nullptr);
  glCompileShader(shader);
  GLint compiled = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &compiled);
  if (compiled != GL_TRUE) {
    const std::string log = shader_log(shader);
    glDeleteShader(shader);
    return make_error(name + (stage == GL_VERTEX_SHADER ? " (vertex)" : " (fragment)") +
                      ": GLSL compile failed:\n" + log);
  }
  return shader;
}

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error("cannot open shader file " + path.string());
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().empty()) return make_error("shader file " + path.string() + " is empty");
  return text.str();
}

}  // namespace

ShaderProgram::~ShaderProgram() {
  release();
}

ShaderProgram::ShaderProgram(ShaderProgram&& other) noexcept
    : program_(std::exchange(other.program_, 0)), uniforms_(std::move(other.uniforms_)) {}

ShaderProgram& ShaderProgram::operator=(ShaderProgram&& other) noexcept {
  if (this != &other) {
    release();
    program_ = std::exchange(other.program_, 0);
    uniforms_ = std::move(other.uniforms_);
  }
  return *this;
}

void ShaderProgram::release() {
  if (program_ != 0) glDeleteProgram(program_);
  program_ = 0;
  uniforms_.clear();
}

Result<ShaderProgram> ShaderProgram::from_sources(const std::string& name,
                                                  const std::string& vertex_source,
                                                  const std::string& fragment_source) {
  auto vertex = compile_shader(name, GL_VERTEX_SHADER, vertex_source);
  if (!vertex) return vertex.error();
  auto fragment = compile_shader(name, GL_FRAGMENT_SHADER, fragment_source);
  if (!fragment) {
    glDeleteShader(*vertex);
    return fragment.error();
  }
  const GLuint program = glCreateProgram();
  glAttachShader(program, *vertex);
  glAttachShader(program, *fragment);
  glLinkProgram(program);
  glDetachShader(program, *vertex);
  glDetachShader(program, *fragment);
  glDeleteShader(*vertex);
  glDeleteShader(*fragment);
  GLint linked = GL_FALSE;
  glGetProgramiv(program, GL_LINK_STATUS, &linked);
  if (linked != GL_TRUE) {
    const std::string log = program_log(program);
    glDeleteProgram(program);
    return make_error(name + ": GLSL link failed:\n" + log);
  }
  ShaderProgram result;
  result.program_ = program;
  return result;
}

Result<ShaderProgram> ShaderProgram::from_files(const std::filesystem::path& dir,
                                                const std::string& vertex_file,
                                                const std::string& fragment_file) {
  auto vertex = read_text_file(dir / vertex_file);
  if (!vertex) return vertex.error();
  auto fragment = read_text_file(dir / fragment_file);
  if (!fragment) return fragment.error();
  return from_sources((dir / vertex_file).string() + " + " + fragment_file, *vertex, *fragment);
}

void ShaderProgram::use() const {
  glUseProgram(program_);
}

int ShaderProgram::uniform(const char* name) {
  auto found = uniforms_.find(name);
  if (found != uniforms_.end()) return found->second;
  const int location = glGetUniformLocation(program_, name);
  uniforms_.emplace(name, location);
  return location;
}

// ---- shader_directory ----

Result<std::filesystem::path> shader_directory() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("ATTNVIZ_SHADER_DIR"); env != nullptr && *env != '\0')
    candidates.emplace_back(env);
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    candidates.push_back(executable.parent_path() / "shaders");
    candidates.push_back(executable.parent_path().parent_path() / "share/attnviz/shaders");
  }
#ifdef ATTNVIZ_SHADER_DIR
  candidates.emplace_back(ATTNVIZ_SHADER_DIR);
#endif
  std::string looked;
  for (const fs::path& dir : candidates) {
    if (fs::is_regular_file(dir / "heatmap.frag", error)) return dir;
    looked += "\n  " + dir.string();
  }
  return make_error("cannot find the GLSL shaders (heatmap.frag); looked in:" + looked +
                    "\nset ATTNVIZ_SHADER_DIR to the attnviz shaders/ folder");
}

// ---- GlStateGuard ----

GlStateGuard::GlStateGuard() {
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &framebuffer_);
  glGetIntegerv(GL_CURRENT_PROGRAM, &program_);
  glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vertex_array_);
  glGetIntegerv(GL_ACTIVE_TEXTURE, &active_texture_);
  glActiveTexture(GL_TEXTURE1);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture1_);
  glActiveTexture(GL_TEXTURE0);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture0_);
  glGetIntegerv(GL_VIEWPORT, viewport_);
  blend_ = glIsEnabled(GL_BLEND);
  scissor_ = glIsEnabled(GL_SCISSOR_TEST);
  depth_ = glIsEnabled(GL_DEPTH_TEST);
  cull_ = glIsEnabled(GL_CULL_FACE);
}

GlStateGuard::~GlStateGuard() {
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(framebuffer_));
  glUseProgram(static_cast<GLuint>(program_));
  glBindVertexArray(static_cast<GLuint>(vertex_array_));
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture1_));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture0_));
  glActiveTexture(static_cast<GLenum>(active_texture_));
  glViewport(viewport_[0], viewport_[1], viewport_[2], viewport_[3]);
  auto set = [](GLenum capability, bool on) { on ? glEnable(capability) : glDisable(capability); };
  set(GL_BLEND, blend_);
  set(GL_SCISSOR_TEST, scissor_);
  set(GL_DEPTH_TEST, depth_);
  set(GL_CULL_FACE, cull_);
}

std::string gl_error_text() {
  std::string text;
  for (GLenum error = glGetError(); error != GL_NO_ERROR; error = glGetError()) {
    std::ostringstream one;
    one << (text.empty() ? "" : ", ") << "GL error 0x" << std::hex << error;
    text += one.str();
  }
  return text;
}

}  // namespace attnviz::ui

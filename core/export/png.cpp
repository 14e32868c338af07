#include "core/export/png.h"

#include <stb_image_write.h>

#include "core/atomic_file.h"

namespace attnviz {

Result<std::string> encode_png_rgba(const uint8_t* pixels, int width, int height) {
  std::string bytes;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &bytes, width, height, 4, pixels, width * 4)) {
    return make_error("PNG encoding of a " + std::to_string(width) + "x" + std::to_string(height) +
                      " image failed (out of memory?)");
  }
  return bytes;
}

Result<std::string> encode_png(const Canvas& canvas) {
  return encode_png_rgba(canvas.pixels().data(), canvas.width(), canvas.height());
}

Status write_png(const Canvas& canvas, const std::filesystem::path& path) {
  Result<std::string> bytes = encode_png(canvas);
  if (!bytes.ok()) return bytes.error();
  return write_file_atomic(path, *bytes);
}

}  // namespace attnviz

// PNG encoding of a Canvas (stb_image_write) and the atomic write of the file.
#pragma once

#include <filesystem>
#include <string>

#include "core/export/raster.h"
#include "core/result.h"

namespace attnviz {

// The PNG bytes of an RGBA canvas.
Result<std::string> encode_png(const Canvas& canvas);
// Same for any RGBA buffer (rows top to bottom, 4 bytes per pixel).
Result<std::string> encode_png_rgba(const uint8_t* pixels, int width, int height);

// Encodes and writes atomically: on failure the target is untouched.
Status write_png(const Canvas& canvas, const std::filesystem::path& path);

}  // namespace attnviz

// Atomic file writes: the target is either left untouched or replaced by the complete new
// content, never half-written. Every exporter writes through here so that a failed export
// (full disk, missing folder, no permission) leaves nothing behind and loses nothing.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace attnviz {

// Writes `bytes` to `path.tmp-XXXXXX` in the target's folder, fsyncs it, then renames it over
// `path`. On any failure the temporary file is removed and the Error names the path and the
// reason (folder missing, a parent is not a folder, not writable, the path is a folder, disk
// full). A new file gets mode 0644; an existing file keeps its mode.
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// The checks write_file_atomic would fail on before any work is done: the folder exists and is a
// folder, and the path itself is not a folder. Lets a command fail fast before a long run;
// write_file_atomic still checks everything again.
Status check_writable_path(const std::filesystem::path& path);

}  // namespace attnviz

// Atomic file writes: the target is either left untouched or replaced by the complete new
// content, never half-written. Every exporter writes through here so that a failed export
// (full disk, missing folder, no permission) leaves nothing behind and loses nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
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

// Bytes free to this user on the disk that holds `path`'s folder (statvfs); an Error when the
// folder cannot be asked.
Result<uint64_t> free_disk_bytes(const std::filesystem::path& path);

// check_writable_path, then refuses a file of `bytes` that the disk has no room for, naming the
// size, the folder and the free space ("'x.npy' needs 72.5 GB but the disk of '/tmp' has 20.1 GB
// free"). `what` describes the content ("the (30, 9, 8192, 8192) float32 tensor").
Status check_room_for(const std::filesystem::path& path, uint64_t bytes, std::string_view what);

// "72.5 GB", "268 MB", "4.0 kB", "512 bytes": decimal units, as disks are sold and `df -H` counts.
std::string byte_size_text(uint64_t bytes);

// The streaming form of write_file_atomic, for files too large to hold in memory: open() makes
// the temporary file, write() appends, commit() fsyncs and renames it over the target. A writer
// destroyed without commit() (an error, a cancel) removes the temporary file and leaves the
// target as it was.
class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> open(const std::filesystem::path& path);
  AtomicFileWriter(AtomicFileWriter&&) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) noexcept;
  ~AtomicFileWriter();

  Status write(std::string_view bytes);
  Status commit();
  uint64_t written() const;

 private:
  struct State;
  explicit AtomicFileWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace attnviz

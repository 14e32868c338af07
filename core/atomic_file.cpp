#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>

namespace attnviz {
namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) {
  return std::string("'").append(path.string()).append("'");
}

fs::path folder_of(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Explains why the folder of `path` cannot take a file, or returns an empty string.
std::string folder_problem(const fs::path& path) {
  const fs::path folder = folder_of(path);
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) {
    if (errno == ENOTDIR) {
      return "a parent of " + quoted(folder) + " is a file, not a folder";
    }
    if (errno == ENOENT) return "the folder " + quoted(folder) + " does not exist; create it first";
    return "cannot open the folder " + quoted(folder) + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(info.st_mode)) return quoted(folder) + " is a file, not a folder";
  return {};
}

Error write_error(const fs::path& path, const std::string& reason) {
  return make_error("cannot write " + quoted(path) + ": " + reason);
}

// Owns the temporary file: closes it and removes it on every exit path until release().
class TempFile {
 public:
  TempFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) ::unlink(name_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  // Closes the descriptor, reporting the error a delayed write may surface only here.
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void release() { released_ = true; }

 private:
  std::string name_;
  int fd_ = -1;
  bool released_ = false;
};

bool write_all(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status check_writable_path(const fs::path& path) {
  if (path.empty()) return make_error("the output path is empty");
  if (std::string problem = folder_problem(path); !problem.empty()) {
    return write_error(path, problem);
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    return write_error(path, "it is a folder; give a file name");
  }
  return Ok{};
}

Result<uint64_t> free_disk_bytes(const fs::path& path) {
  struct statvfs info {};
  const fs::path folder = folder_of(path);
  if (::statvfs(folder.c_str(), &info) != 0)
    return make_error("cannot ask how much room the disk of " + quoted(folder) +
                      " has: " + std::strerror(errno));
  return static_cast<uint64_t>(info.f_bavail) * static_cast<uint64_t>(info.f_frsize);
}

std::string byte_size_text(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " bytes";
  const char* units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000.0;
  size_t unit = 0;
  while (value >= 999.95 && unit + 1 < std::size(units)) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

Status check_room_for(const fs::path& path, uint64_t bytes, std::string_view what) {
  if (Status check = check_writable_path(path); !check.ok()) return check;
  Result<uint64_t> free = free_disk_bytes(path);
  if (!free.ok()) return write_error(path, free.error().message);
  if (bytes <= *free) return Ok{};
  return write_error(path, std::string(what) + " takes " + byte_size_text(bytes) +
                               " but the disk of " + quoted(folder_of(path)) + " has " +
                               byte_size_text(*free) + " free; nothing was written");
}

struct AtomicFileWriter::State {
  fs::path path;
  TempFile temp;
  uint64_t written = 0;
};

AtomicFileWriter::AtomicFileWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&&) noexcept = default;
AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&&) noexcept = default;
AtomicFileWriter::~AtomicFileWriter() = default;  // TempFile removes an uncommitted file

Result<AtomicFileWriter> AtomicFileWriter::open(const fs::path& path) {
  if (Status check = check_writable_path(path); !check.ok()) return check.error();
  mode_t mode = 0644;
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) mode = existing.st_mode & 07777;

  std::string pattern = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    return write_error(
        path, "cannot create a file in " + quoted(folder_of(path)) + ": " + std::strerror(errno));
  }
  auto state = std::unique_ptr<State>(new State{path, TempFile(pattern, fd), 0});
  if (::fchmod(state->temp.fd(), mode) != 0) return write_error(path, std::strerror(errno));
  return AtomicFileWriter(std::move(state));
}

Status AtomicFileWriter::write(std::string_view bytes) {
  if (!state_ || state_->temp.fd() < 0)
    return make_error("internal: write after commit or on a moved-from writer");
  if (!write_all(state_->temp.fd(), bytes)) return write_error(state_->path, std::strerror(errno));
  state_->written += bytes.size();
  return Ok{};
}

uint64_t AtomicFileWriter::written() const {
  return state_ ? state_->written : 0;
}

Status AtomicFileWriter::commit() {
  if (!state_ || state_->temp.fd() < 0)
    return make_error("internal: commit twice or on a moved-from writer");
  TempFile& temp = state_->temp;
  if (::fsync(temp.fd()) != 0) return write_error(state_->path, std::strerror(errno));
  if (!temp.close()) return write_error(state_->path, std::strerror(errno));
  if (::rename(temp.name().c_str(), state_->path.c_str()) != 0)
    return write_error(state_->path, std::strerror(errno));
  temp.release();
  return Ok{};
}

Status write_file_atomic(const fs::path& path, std::string_view bytes) {
  Result<AtomicFileWriter> writer = AtomicFileWriter::open(path);
  if (!writer.ok()) return writer.error();
  if (Status written = writer->write(bytes); !written.ok()) return written;
  return writer->commit();
}

}  // namespace attnviz

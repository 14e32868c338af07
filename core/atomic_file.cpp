#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

Status write_file_atomic(const fs::path& path, std::string_view bytes) {
  if (Status check = check_writable_path(path); !check.ok()) return check;

  mode_t mode = 0644;
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) mode = existing.st_mode & 07777;

  std::string pattern = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    return write_error(
        path, "cannot create a file in " + quoted(folder_of(path)) + ": " + std::strerror(errno));
  }
  TempFile temp(pattern, fd);
  if (::fchmod(temp.fd(), mode) != 0 || !write_all(temp.fd(), bytes) || ::fsync(temp.fd()) != 0) {
    return write_error(path, std::strerror(errno));
  }
  if (!temp.close()) return write_error(path, std::strerror(errno));
  if (::rename(temp.name().c_str(), path.c_str()) != 0) {
    return write_error(path, std::strerror(errno));
  }
  temp.release();
  return Ok{};
}

}  // namespace attnviz

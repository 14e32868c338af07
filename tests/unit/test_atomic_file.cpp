// Atomic writes: the target is replaced completely or left untouched, and no temporary file is
// ever left behind.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/atomic_file.h"

namespace fs = std::filesystem;
using attnviz::Status;
using attnviz::write_file_atomic;

namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "attnviz_atomic_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write_plain(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  // Every entry of the folder, so a test can tell that nothing (no .tmp-*) was left.
  std::vector<std::string> entries(const fs::path& folder) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesNewFileWithContentAndMode) {
  const fs::path target = dir_ / "out.bin";
  const std::string bytes("a\0b\xff", 4);
  Status status = write_file_atomic(target, bytes);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(read(target), bytes);
  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out.bin"});
}

TEST_F(AtomicFileTest, ReplacesExistingFileAndKeepsItsMode) {
  const fs::path target = dir_ / "out.txt";
  write_plain(target, "old content that is longer");
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  ASSERT_TRUE(write_file_atomic(target, "new").ok());
  EXPECT_EQ(read(target), "new");
  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, WritesEmptyFile) {
  ASSERT_TRUE(write_file_atomic(dir_ / "empty", "").ok());
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0u);
}

TEST_F(AtomicFileTest, MissingFolderIsAnErrorNamingIt) {
  const fs::path target = dir_ / "missing" / "out.png";
  Status status = write_file_atomic(target, "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(target.string()), std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("does not exist"), std::string::npos)
      << status.error().message;
  EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(AtomicFileTest, PathUnderARegularFileIsAnErrorAndTheFileIsUntouched) {
  const fs::path file = dir_ / "somefile";
  write_plain(file, "keep me");
  const fs::path target = file / "out.png";
  Status status = write_file_atomic(target, "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("not a folder"), std::string::npos)
      << status.error().message;
  EXPECT_EQ(read(file), "keep me");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"somefile"});
}

TEST_F(AtomicFileTest, FolderAsTargetIsAnError) {
  fs::create_directory(dir_ / "sub");
  Status status = write_file_atomic(dir_ / "sub", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("is a folder"), std::string::npos)
      << status.error().message;
  EXPECT_TRUE(fs::is_directory(dir_ / "sub"));
  EXPECT_TRUE(fs::is_empty(dir_ / "sub"));
}

TEST_F(AtomicFileTest, EmptyPathIsAnError) {
  EXPECT_FALSE(write_file_atomic("", "x").ok());
}

TEST_F(AtomicFileTest, UnwritableFolderLeavesTargetUntouched) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path locked = dir_ / "locked";
  fs::create_directory(locked);
  write_plain(locked / "out.txt", "original");
  ASSERT_EQ(::chmod(locked.c_str(), 0500), 0);
  Status status = write_file_atomic(locked / "out.txt", "replacement");
  ASSERT_EQ(::chmod(locked.c_str(), 0700), 0);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("out.txt"), std::string::npos) << status.error().message;
  EXPECT_EQ(read(locked / "out.txt"), "original");
  EXPECT_EQ(entries(locked), std::vector<std::string>{"out.txt"});
}

// A write that fails half-way (here: the file size limit, which binds root too) must leave the
// old target and no temporary file.
TEST_F(AtomicFileTest, FailedWriteRemovesTemporaryAndKeepsTarget) {
  const fs::path target = dir_ / "out.npy";
  write_plain(target, "original");
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 1000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status status = write_file_atomic(target, std::string(100000, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(target.string()), std::string::npos)
      << status.error().message;
  EXPECT_EQ(read(target), "original");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out.npy"});
}

TEST_F(AtomicFileTest, CheckWritablePathAgreesWithTheWriter) {
  EXPECT_TRUE(attnviz::check_writable_path(dir_ / "new.png").ok());
  EXPECT_FALSE(attnviz::check_writable_path(dir_ / "no" / "new.png").ok());
  EXPECT_FALSE(attnviz::check_writable_path(dir_).ok());
  EXPECT_TRUE(entries(dir_).empty());
}

}  // namespace

// The .npy reader against files that numpy itself writes (/usr/bin/python3), including the
// broken ones a person might hand attnviz.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "core/npy.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

// Runs a Python snippet with numpy imported as np and the folder as D (a pathlib.Path).
int run_python(const fs::path& dir, const std::string& body) {
  const fs::path script = dir / "make.py";
  std::ofstream(script)
      << "import sys, pathlib\nimport numpy as np\nD = pathlib.Path(sys.argv[1])\n"
      << body;
  const std::string command = "/usr/bin/python3 '" + script.string() + "' '" + dir.string() + "'";
  return std::system(command.c_str());
}

std::vector<float> read_raw_floats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

class NpyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("attnviz_npy_" + std::to_string(random()));
    fs::create_directories(dir_);
    // Each array also saved as raw float32 (what the reader should produce) in NAME.f32.
    const int status = run_python(dir_, R"PY(
rng = np.random.default_rng(7)
def save(name, a, **kw):
    np.save(D / (name + '.npy'), a, **kw)
    a.astype('<f4').tofile(D / (name + '.f32'))
save('tt', rng.random((5, 5), dtype=np.float32))
save('htt', rng.random((3, 4, 4), dtype=np.float32))
save('lhtt', rng.random((2, 3, 6, 6), dtype=np.float32))
save('half', rng.random((2, 5, 5)).astype(np.float16))
save('big', rng.random((4, 4)).astype('>f4'))
save('bighalf', rng.random((3, 3)).astype('>f2'))
save('scalar', np.float32(0.25))
for version in [(1, 0), (2, 0), (3, 0)]:
    a = rng.random((2, 3), dtype=np.float32)
    with open(D / ('v%d.npy' % version[0]), 'wb') as f:
        np.lib.format.write_array(f, a, version=version)
    a.tofile(D / ('v%d.f32' % version[0]))
np.save(D / 'fortran.npy', np.asfortranarray(rng.random((3, 4), dtype=np.float32)))
np.save(D / 'int64.npy', np.arange(6, dtype=np.int64))
np.save(D / 'float64.npy', np.arange(6, dtype=np.float64))
np.save(D / 'structured.npy', np.zeros(3, dtype=[('a', '<f4'), ('b', '<i4')]))
raw = (D / 'tt.npy').read_bytes()
(D / 'truncated.npy').write_bytes(raw[:-7])
(D / 'trailing.npy').write_bytes(raw + b'\0\0\0\0')
(D / 'header_only.npy').write_bytes(raw[:20])
)PY");
    ASSERT_EQ(status, 0) << "numpy could not write the test files";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes a .npy with the given header dict text and `data_bytes` zero bytes of data.
  static fs::path write_with_header(const std::string& name, std::string dict, size_t data_bytes) {
    while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(dict.size() & 0xff);
    bytes += static_cast<char>(dict.size() >> 8);
    bytes += dict;
    bytes.append(data_bytes, '\0');
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  static void expect_reads_like_numpy(const std::string& name, std::vector<uint64_t> shape) {
    auto info = read_npy_info(dir_ / (name + ".npy"));
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->shape, shape) << name;
    auto values = read_npy_floats(dir_ / (name + ".npy"), *info);
    ASSERT_TRUE(values.ok()) << values.error().message;
    const std::vector<float> want = read_raw_floats(dir_ / (name + ".f32"));
    ASSERT_EQ(values->size(), want.size()) << name;
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ((*values)[i], want[i]) << name << " differs at flat index " << i;
  }

  static void expect_error(const std::string& name, const std::string& fragment) {
    const fs::path path = dir_ / name;
    auto info = read_npy_info(path);
    ASSERT_FALSE(info.ok()) << name << " should have been rejected";
    EXPECT_NE(info.error().message.find(fragment), std::string::npos)
        << "message: " << info.error().message;
    EXPECT_NE(info.error().message.find(path.string()), std::string::npos)
        << "the message must name the file: " << info.error().message;
  }

  static fs::path dir_;
};

fs::path NpyTest::dir_;

TEST_F(NpyTest, Float32OfEveryAttentionShape) {
  expect_reads_like_numpy("tt", {5, 5});
  expect_reads_like_numpy("htt", {3, 4, 4});
  expect_reads_like_numpy("lhtt", {2, 3, 6, 6});
  expect_reads_like_numpy("scalar", {});
}

TEST_F(NpyTest, Float16AndBigEndian) {
  expect_reads_like_numpy("half", {2, 5, 5});
  expect_reads_like_numpy("big", {4, 4});
  expect_reads_like_numpy("bighalf", {3, 3});
}

TEST_F(NpyTest, FormatVersions) {
  expect_reads_like_numpy("v1", {2, 3});
  expect_reads_like_numpy("v2", {2, 3});
  expect_reads_like_numpy("v3", {2, 3});
}

TEST_F(NpyTest, RejectsWhatItCannotRead) {
  expect_error("fortran.npy", "Fortran order");
  expect_error("int64.npy", "'<i8' is not supported");
  expect_error("float64.npy", "'<f8' is not supported");
  expect_error("structured.npy", "structured dtype");
  expect_error("truncated.npy", "truncated");
  expect_error("trailing.npy", "unexpected bytes");
  expect_error("header_only.npy", "truncated");
  expect_error("make.py", "not a .npy file");
  expect_error("missing.npy", "cannot read");
}

TEST_F(NpyTest, HeaderLyingAboutTheShapeIsAnErrorNotAnAllocation) {
  // 10^15 elements claimed, 100 bytes present: must fail on the size check.
  write_with_header("lying_big.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }",
                    100);
  expect_error("lying_big.npy", "truncated or its header is wrong");
  // Product overflows uint64.
  write_with_header(
      "overflow.npy",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", 16);
  expect_error("overflow.npy", "overflows");
  // Smaller than the data.
  write_with_header("lying_small.npy",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 100);
  expect_error("lying_small.npy", "unexpected bytes");
  // A header length pointing past the end of the file.
  const fs::path huge_header = dir_ / "huge_header.npy";
  std::ofstream(huge_header, std::ios::binary).write("\x93NUMPY\x01\x00\xff\xff{", 11);
  expect_error("huge_header.npy", "truncated");
}

TEST_F(NpyTest, MutatedFilesAreReadOrRejectedNeverCrash) {
  std::ifstream in(dir_ / "lhtt.npy", std::ios::binary);
  const std::string original(std::istreambuf_iterator<char>(in), {});
  std::mt19937 rng(1);
  const fs::path path = dir_ / "mutated.npy";
  int accepted = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % 128;  // the header region, where the parsing happens
      bytes[at] = static_cast<char>(rng() % 4 == 0 ? "0123456789(),' "[rng() % 15] : rng() % 256);
    }
    if (rng() % 8 == 0) bytes.resize(rng() % bytes.size());
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto info = read_npy_info(path);
    if (!info.ok()) continue;
    ++accepted;
    auto values = read_npy_floats(path, *info);
    ASSERT_TRUE(values.ok()) << "round " << round
                             << ": header accepted, data not: " << values.error().message;
    EXPECT_EQ(values->size(), info->elements);
  }
  EXPECT_GT(accepted, 0) << "some mutations (padding, values) should leave a valid file";
}

TEST(NpyHeader, ParsesAndRejectsDicts) {
  auto ok = parse_npy_header_dict("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", "x");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->shape, (std::vector<uint64_t>{3}));
  EXPECT_EQ(ok->item_bytes, 2u);
  EXPECT_FALSE(parse_npy_header_dict("{'descr': '<f4', 'shape': (3,)}", "x").ok());
  EXPECT_FALSE(
      parse_npy_header_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3,", "x").ok());
  EXPECT_FALSE(
      parse_npy_header_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}", "x").ok());
  EXPECT_FALSE(
      parse_npy_header_dict("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", "x").ok());
  EXPECT_FALSE(
      parse_npy_header_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x", "x").ok());
  auto nested = parse_npy_header_dict(std::string(200, '(') + std::string(200, ')'), "x");
  EXPECT_FALSE(nested.ok());
}

}  // namespace
}  // namespace attnviz

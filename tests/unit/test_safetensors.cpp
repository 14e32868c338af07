// Tests of the safetensors reader and writer: one crafted bad file per rule of the reference
// reader (REFERENCE.md §1), the real fixture checkpoint, 16-bit float conversions, the writer,
// sharded checkpoints, and a file that changes on disk after it was opened.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "core/safetensors.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("attnviz_safetensors_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `bytes` verbatim to dir/name.
  fs::path write_file(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  // A safetensors file: 8-byte little-endian length (the header's, unless overridden), header,
  // then `data`.
  fs::path write_raw(const std::string& name, const std::string& header, const std::string& data,
                     std::optional<uint64_t> claimed_length = std::nullopt) {
    const uint64_t length = claimed_length.value_or(header.size());
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    return write_file(name, bytes + header + data);
  }

  fs::path dir_;
};

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class T>
std::vector<uint8_t> as_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Expects an error whose message names the file and contains `phrase`.
template <class T>
void expect_error(const Result<T>& result, const std::string& phrase, const fs::path& file) {
  ASSERT_FALSE(result.ok()) << "expected an error containing \"" << phrase << "\"";
  const std::string& message = result.error().message;
  EXPECT_NE(message.find(phrase), std::string::npos) << "message: " << message;
  EXPECT_NE(message.find(file.filename().string()), std::string::npos) << "message: " << message;
}

// ---- rules of the reference reader, in its order ----

TEST_F(SafetensorsTest, RejectsEmptyFile) {
  const fs::path path = write_file("empty.safetensors", "");
  expect_error(SafetensorsFile::open(path), "shorter than 8 bytes", path);
}

TEST_F(SafetensorsTest, RejectsFileShorterThanLength) {
  const fs::path path = write_file("seven.safetensors", std::string(7, '\x10'));
  expect_error(SafetensorsFile::open(path), "shorter than 8 bytes", path);
}

TEST_F(SafetensorsTest, RecognizesGitLfsPointer) {
  const fs::path path =
      write_file("model.safetensors",
                 "version https://git-lfs.github.com/spec/v1\noid sha256:4c3b\nsize 548105171\n");
  expect_error(SafetensorsFile::open(path), "this looks like a Git LFS pointer, not the weights",
               path);
}

TEST_F(SafetensorsTest, RejectsHeaderClaiming2To60Bytes) {
  const fs::path path = write_raw("huge.safetensors", "{}", "", uint64_t{1} << 60);
  expect_error(SafetensorsFile::open(path), "larger than the limit", path);
}

TEST_F(SafetensorsTest, RejectsHeaderClaiming200MB) {
  const fs::path path = write_raw("big.safetensors", "{}", "", 200'000'000);
  expect_error(SafetensorsFile::open(path), "larger than the limit of 100,000,000", path);
}

TEST_F(SafetensorsTest, RejectsHeaderRunningPastTheEnd) {
  const fs::path path = write_raw("short.safetensors", "{}", "", 1000);
  expect_error(SafetensorsFile::open(path), "runs past the end of the file", path);
}

TEST_F(SafetensorsTest, RejectsNonUtf8Header) {
  const fs::path path = write_raw("latin1.safetensors", "{\"caf\xE9\":1}", "");
  expect_error(SafetensorsFile::open(path), "not valid UTF-8 (byte 5", path);
}

TEST_F(SafetensorsTest, RejectsOverlongUtf8) {
  const fs::path path = write_raw("overlong.safetensors", "{\"\xC0\xAF\":1}", "");
  expect_error(SafetensorsFile::open(path), "not valid UTF-8", path);
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotJson) {
  const fs::path path = write_raw("garbage.safetensors", "{\"a\": ", "");
  expect_error(SafetensorsFile::open(path), "not valid JSON", path);
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotAnObject) {
  const fs::path path = write_raw("array.safetensors", "[1, 2]", "");
  expect_error(SafetensorsFile::open(path), "not a JSON object", path);
}

TEST_F(SafetensorsTest, RejectsNonStringMetadataValue) {
  const fs::path path = write_raw("meta.safetensors", R"({"__metadata__": {"epoch": 3}})", "");
  expect_error(SafetensorsFile::open(path), "__metadata__ value for 'epoch' is not a string", path);
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  const fs::path path = write_raw(
      "dtype.safetensors", R"({"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}})",
      std::string(16, '\0'));
  expect_error(SafetensorsFile::open(path), "tensor 'w': unknown dtype 'F128'", path);
}

TEST_F(SafetensorsTest, RejectsMissingFields) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "missing field \"dtype\""},
      {R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", "missing field \"shape\""},
      {R"({"w": {"dtype": "F32", "shape": [1]}})", "missing field \"data_offsets\""},
  };
  for (const auto& [header, phrase] : cases) {
    const fs::path path = write_raw("missing.safetensors", header, std::string(4, '\0'));
    expect_error(SafetensorsFile::open(path), std::string("tensor 'w': ") + phrase, path);
  }
}

TEST_F(SafetensorsTest, RejectsWrongTypesAndNegativeNumbers) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}})",
       "\"dtype\" is not a string"},
      {R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})",
       "\"shape\" is not an array"},
      {R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "holds -1, not a non-negative"},
      {R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
       "holds 1.5, not a non-negative"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})",
       "holds -4, not a non-negative"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.0]}})",
       "holds 4.0, not a non-negative"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2, 4]}})",
       "not a pair [BEGIN, END]"},
      {R"({"w": [1, 2]})", "header entry is not an object"},
      {R"({"__metadata__": ["a"]})", "__metadata__ is not an object"},
  };
  for (const auto& [header, phrase] : cases) {
    const fs::path path = write_raw("types.safetensors", header, std::string(4, '\0'));
    expect_error(SafetensorsFile::open(path), phrase, path);
  }
}

TEST_F(SafetensorsTest, RejectsDuplicateTensorName) {
  // nlohmann (and serde) keep the last duplicate; the reference then reports a gap.
  const fs::path path =
      write_raw("dup.safetensors",
                R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                std::string(8, '\0'));
  expect_error(SafetensorsFile::open(path), "has the key 'w' twice", path);
}

TEST_F(SafetensorsTest, RejectsDuplicateFieldInsideEntry) {
  const fs::path path =
      write_raw("dupfield.safetensors",
                R"({"w": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}})",
                std::string(4, '\0'));
  expect_error(SafetensorsFile::open(path), "has the key 'dtype' twice", path);
}

TEST_F(SafetensorsTest, RejectsAbsurdNesting) {
  const std::string header = "{\"w\": " + std::string(100, '[') + std::string(100, ']') + "}";
  const fs::path path = write_raw("deep.safetensors", header, "");
  expect_error(SafetensorsFile::open(path), "nested more than 16 levels", path);
}

TEST_F(SafetensorsTest, RejectsOverlap) {
  const fs::path path =
      write_raw("overlap.safetensors",
                R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                std::string(12, '\0'));
  expect_error(SafetensorsFile::open(path), "tensor 'b': data_offsets [4, 12] overlap", path);
}

TEST_F(SafetensorsTest, RejectsAliasing) {
  const fs::path path =
      write_raw("alias.safetensors",
                R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                std::string(4, '\0'));
  expect_error(SafetensorsFile::open(path), "tensor 'b': data_offsets [0, 4] overlap", path);
}

TEST_F(SafetensorsTest, RejectsGap) {
  const fs::path path =
      write_raw("gap.safetensors",
                R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                std::string(12, '\0'));
  expect_error(SafetensorsFile::open(path), "tensor 'b': data_offsets [8, 12] leave a gap", path);
}

TEST_F(SafetensorsTest, RejectsGapAtStart) {
  const fs::path path = write_raw(
      "gap0.safetensors", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
      std::string(8, '\0'));
  expect_error(SafetensorsFile::open(path), "leave a gap after byte 0", path);
}

TEST_F(SafetensorsTest, RejectsBeginAfterEnd) {
  const fs::path path =
      write_raw("backwards.safetensors",
                R"({"a": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]},)"
                R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})",
                std::string(4, '\0'));
  expect_error(SafetensorsFile::open(path), "end before they begin", path);
}

TEST_F(SafetensorsTest, RejectsElementCountOverflow) {
  const fs::path path = write_raw(
      "overflow.safetensors",
      R"({"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}})",
      std::string(4, '\0'));
  expect_error(SafetensorsFile::open(path),
               "tensor 'w': shape [1099511627776, 1099511627776] "
               "overflows the element count",
               path);
}

TEST_F(SafetensorsTest, RejectsByteCountOverflow) {
  // 2^61 elements fit in 64 bits, 2^61 * 32 bits do not.
  const fs::path path = write_raw(
      "bits.safetensors",
      R"({"w": {"dtype": "F32", "shape": [2305843009213693952], "data_offsets": [0, 4]}})",
      std::string(4, '\0'));
  expect_error(SafetensorsFile::open(path), "overflows the byte count", path);
}

TEST_F(SafetensorsTest, RejectsByteCountNotMatchingShape) {
  const fs::path path = write_raw(
      "mismatch.safetensors", R"({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}})",
      std::string(8, '\0'));
  expect_error(SafetensorsFile::open(path),
               "tensor 'w': data_offsets [0, 8] hold 8 bytes, which does not match its shape [3] "
               "of F16 (6 bytes)",
               path);
}

TEST_F(SafetensorsTest, RejectsTrailingByte) {
  const fs::path path = write_raw(
      "trailing.safetensors", R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
      std::string(5, '\0'));
  expect_error(SafetensorsFile::open(path), "1 trailing bytes after the last tensor", path);
}

TEST_F(SafetensorsTest, RejectsTruncatedData) {
  const fs::path path = write_raw(
      "cut.safetensors", R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
      std::string(10, '\0'));
  expect_error(SafetensorsFile::open(path), "the file is truncated", path);
}

TEST_F(SafetensorsTest, RejectsFolderAndMissingFile) {
  expect_error(SafetensorsFile::open(dir_), "is a folder", dir_);
  expect_error(SafetensorsFile::open(dir_ / "absent.safetensors"), "cannot open the file",
               dir_ / "absent.safetensors");
}

// ---- what the reference accepts ----

TEST_F(SafetensorsTest, AcceptsScalarZeroSizeAndPaddedHeader) {
  const float scalar = 2.5f;
  std::string data(4, '\0');
  std::memcpy(data.data(), &scalar, 4);
  const fs::path path =
      write_raw("edge.safetensors",
                "  \n{\"empty\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [4, 4]},"
                " \"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]},"
                " \"__metadata__\": {\"format\": \"pt\"}}    \t  ",
                data);
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->metadata().at("format"), "pt");

  const TensorInfo* s = file->find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->elements(), 1u);
  auto value = file->read_floats(*s);
  ASSERT_TRUE(value.ok()) << value.error().message;
  ASSERT_EQ(value->size(), 1u);
  EXPECT_EQ((*value)[0], 2.5f);

  const TensorInfo* empty = file->find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->elements(), 0u);
  auto nothing = file->read_floats(*empty);
  ASSERT_TRUE(nothing.ok()) << nothing.error().message;
  EXPECT_TRUE(nothing->empty());
  EXPECT_EQ(file->find("absent"), nullptr);
}

TEST_F(SafetensorsTest, AcceptsEmptyHeaderAndNullMetadata) {
  const fs::path path = write_raw("nothing.safetensors", R"({"__metadata__": null})", "");
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_TRUE(file->metadata().empty());
}

// ---- the real fixture ----

TEST(SafetensorsFixture, ReadsGpt2TinyCheckpoint) {
  const fs::path path = fs::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny/model/model.safetensors";
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->tensors().size(), 28u);
  EXPECT_EQ(file->metadata().at("format"), "pt");

  struct Expected {
    const char* name;
    std::vector<uint64_t> shape;
    std::vector<float> first;  // from numpy on the same file
    float last;
  };
  const Expected expected[] = {
      {"h.0.attn.c_attn.weight",
       {32, 96},
       {0.14630113542079926f, 0.32584601640701294f, -0.2789539396762848f},
       -0.19285622f},
      {"wte.weight",
       {50257, 32},
       {-0.15323927998542786f, 0.3084815442562103f, -0.10594548285007477f},
       0.03468071f},
      {"ln_f.bias",
       {32},
       {-0.014477777294814587f, -0.04081239923834801f, 0.03793894872069359f},
       0.308208f},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    const TensorInfo* info = file->find(e.name);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->dtype, DType::kF32);
    EXPECT_EQ(info->shape, e.shape);
    auto values = file->read_floats(*info);
    ASSERT_TRUE(values.ok()) << values.error().message;
    ASSERT_EQ(values->size(), info->elements());
    for (size_t i = 0; i < e.first.size(); ++i) EXPECT_EQ((*values)[i], e.first[i]) << "at " << i;
    EXPECT_FLOAT_EQ(values->back(), e.last);
  }
  auto store = TensorStore::open_folder(path.parent_path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(store->names().size(), 28u);
  EXPECT_EQ(store->description_path(), path);
  const TensorStore::Entry* entry = store->find("wpe.weight");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info->shape, (std::vector<uint64_t>{128, 32}));
  EXPECT_EQ(store->find("lm_head.weight"), nullptr);
}

// ---- 16-bit floats ----

TEST(HalfFloat, DecodesKnownBitPatterns) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0f, -14));                 // smallest normal
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));                 // smallest subnormal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0f, -24));              // largest subnormal
  EXPECT_EQ(std::bit_cast<uint32_t>(half_to_float(0x8000)), 0x80000000u);  // -0
  EXPECT_EQ(half_to_float(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(half_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7C01)));  // signalling NaN stays NaN
}

TEST(HalfFloat, EncodesWithRoundToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.2f, -11)), 0x3C01);      // above the tie
  EXPECT_EQ(float_to_half(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_half(65519.0f), 0x7BFF);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);  // tie with "65536" rounds to infinity
  EXPECT_EQ(float_to_half(1e10f), 0x7C00);
  EXPECT_EQ(float_to_half(-1e10f), 0xFC00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(float_to_half(std::ldexp(1.0001f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 units -> 2
  EXPECT_EQ(float_to_half(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up to normal
  EXPECT_EQ(float_to_half(1e-30f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
}

TEST(HalfFloat, RoundTripsEveryHalf) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float value = half_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      ASSERT_TRUE(std::isnan(half_to_float(float_to_half(value)))) << std::hex << bits;
    } else {
      ASSERT_EQ(float_to_half(value), bits) << std::hex << bits;
    }
  }
}

#ifdef __FLT16_MAX__
// The compiler's own _Float16 conversion (IEEE round to nearest even) as a reference.
TEST(HalfFloat, MatchesCompilerConversionOnRandomFloats) {
  std::mt19937 random(7);
  for (int i = 0; i < 2'000'000; ++i) {
    const float value = std::bit_cast<float>(static_cast<uint32_t>(random()));
    if (std::isnan(value)) continue;
    const auto expected = std::bit_cast<uint16_t>(static_cast<_Float16>(value));
    ASSERT_EQ(float_to_half(value), expected)
        << "value " << value << " bits " << std::hex << std::bit_cast<uint32_t>(value);
    ASSERT_EQ(half_to_float(expected), static_cast<float>(std::bit_cast<_Float16>(expected)));
  }
}
#endif

TEST(BFloat16, ConvertsKnownValues) {
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xC0A0), -5.0f);
  EXPECT_EQ(bfloat16_to_float(0x0001), std::bit_cast<float>(0x00010000u));  // subnormal
  EXPECT_EQ(bfloat16_to_float(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bfloat16_to_float(0x7FC0)));
  EXPECT_EQ(float_to_bfloat16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bfloat16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even
  EXPECT_EQ(float_to_bfloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie -> even
  EXPECT_EQ(float_to_bfloat16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(float_to_bfloat16(std::numeric_limits<float>::max()), 0x7F80);  // rounds to inf
  EXPECT_EQ(float_to_bfloat16(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::bit_cast<float>(0x7F800001u)))));
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float value = bfloat16_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) continue;
    ASSERT_EQ(float_to_bfloat16(value), bits) << std::hex << bits;
  }
}

// ---- writer ----

TEST_F(SafetensorsTest, WriterRoundTripsEveryKindOfTensor) {
  const std::vector<float> f32 = {1.5f, -2.25f, 3.0e-8f, 65504.0f, -0.0f, 7.0f};
  const std::vector<uint16_t> f16 = {0x3C00, 0x0001, 0xFC00, 0x3555};
  const std::vector<uint16_t> bf16 = {0x3F80, 0xC0A0, 0x0001};
  const std::vector<int64_t> ids = {50256, -1, 7};
  const std::vector<TensorToWrite> tensors = {
      {"z.first", DType::kF32, {2, 3}, as_bytes(f32)},
      {"a.half", DType::kF16, {4}, as_bytes(f16)},
      {"m.brain", DType::kBF16, {3, 1}, as_bytes(bf16)},
      {"ids", DType::kI64, {3}, as_bytes(ids)},
      {"scalar", DType::kF32, {}, as_bytes(std::vector<float>{42.0f})},
      {"empty", DType::kF32, {0}, {}},
  };
  const fs::path path = dir_ / "round.safetensors";
  Status written = write_safetensors(path, tensors, {{"format", "pt"}, {"note", "ünïcode"}});
  ASSERT_TRUE(written.ok()) << written.error().message;

  const std::string bytes = read_whole(path);
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ(header_length % 8, 0u) << "header not padded to 8 bytes";

  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->metadata().at("note"), "ünïcode");
  // Tensors lie in the given order.
  uint64_t previous_end = 0;
  for (const TensorToWrite& tensor : tensors) {
    const TensorInfo* info = file->find(tensor.name);
    ASSERT_NE(info, nullptr) << tensor.name;
    EXPECT_EQ(info->begin, previous_end) << tensor.name;
    previous_end = info->end;
    EXPECT_EQ(info->dtype, tensor.dtype);
    EXPECT_EQ(info->shape, tensor.shape);
    auto raw = file->read_bytes(*info);
    ASSERT_TRUE(raw.ok()) << raw.error().message;
    EXPECT_EQ(raw.value(), tensor.bytes) << tensor.name;
  }
  auto floats = file->read_floats(*file->find("z.first"));
  ASSERT_TRUE(floats.ok());
  EXPECT_EQ(floats.value(), f32);
  auto halves = file->read_floats(*file->find("a.half"));
  ASSERT_TRUE(halves.ok());
  EXPECT_EQ(halves.value(),
            (std::vector<float>{1.0f, std::ldexp(1.0f, -24), -INFINITY, 0.333251953125f}));
  auto brains = file->read_floats(*file->find("m.brain"));
  ASSERT_TRUE(brains.ok());
  EXPECT_EQ(brains.value(), (std::vector<float>{1.0f, -5.0f, std::bit_cast<float>(0x00010000u)}));

  auto wrong = file->read_floats(*file->find("ids"));
  expect_error(wrong, "tensor 'ids': has dtype I64", path);
  std::vector<float> too_small(2);
  expect_error(file->read_floats(*file->find("z.first"), too_small), "6 values but 2", path);
}

TEST_F(SafetensorsTest, WriterCopiesTheFixtureExactly) {
  const fs::path source = fs::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny/model/model.safetensors";
  auto original = SafetensorsFile::open(source);
  ASSERT_TRUE(original.ok()) << original.error().message;
  std::vector<TensorToWrite> tensors;
  for (const TensorInfo& info : original->tensors()) {
    auto bytes = original->read_bytes(info);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    tensors.push_back({info.name, info.dtype, info.shape, std::move(bytes.value())});
  }
  const fs::path copy = dir_ / "copy.safetensors";
  ASSERT_TRUE(write_safetensors(copy, tensors, original->metadata()).ok());
  auto reread = SafetensorsFile::open(copy);
  ASSERT_TRUE(reread.ok()) << reread.error().message;
  ASSERT_EQ(reread->tensors().size(), original->tensors().size());
  for (const TensorToWrite& tensor : tensors) {
    auto values = reread->read_floats(*reread->find(tensor.name));
    ASSERT_TRUE(values.ok());
    ASSERT_EQ(as_bytes(values.value()), tensor.bytes) << tensor.name;
  }
}

TEST_F(SafetensorsTest, WriterRejectsBadInputAndKeepsTheTarget) {
  const fs::path path = write_file("keep.safetensors", "previous contents");
  const std::vector<TensorToWrite> cases[] = {
      {{"w", DType::kF32, {2}, std::vector<uint8_t>(7)}},
      {{"w", DType::kF32, {1}, std::vector<uint8_t>(4)},
       {"w", DType::kF32, {1}, std::vector<uint8_t>(4)}},
      {{"", DType::kF32, {1}, std::vector<uint8_t>(4)}},
      {{"bad\xFF", DType::kF32, {1}, std::vector<uint8_t>(4)}},
      {{"huge", DType::kF32, {uint64_t{1} << 40, uint64_t{1} << 40}, {}}},
  };
  const char* phrases[] = {"has 7 bytes, but shape [2] of F32 needs 8", "appears twice",
                           "cannot be written", "not valid UTF-8", "overflows"};
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(phrases[i]);
    expect_error(write_safetensors(path, cases[i]), phrases[i], path);
    EXPECT_EQ(read_whole(path), "previous contents");
  }
  // Nothing but the untouched target is left in the folder.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(SafetensorsTest, WriterFailureLeavesNoTemporaryFile) {
  const std::vector<TensorToWrite> one = {{"w", DType::kU8, {1}, {7}}};
  fs::create_directories(dir_ / "occupied" / "inside");
  expect_error(write_safetensors(dir_ / "occupied", one), "cannot replace", dir_ / "occupied");
  EXPECT_TRUE(fs::is_directory(dir_ / "occupied" / "inside"));
  expect_error(write_safetensors(dir_ / "no" / "such" / "folder.safetensors", one),
               "cannot create a file", dir_ / "folder.safetensors");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(SafetensorsTest, ReadsLarge16BitTensorsAcrossChunks) {
  // More than one 2^20-element read chunk, ending mid-chunk.
  const size_t count = (size_t{1} << 20) * 2 + 3;
  std::vector<uint16_t> halves(count), brains(count);
  std::vector<float> want_half(count), want_brain(count);
  for (size_t i = 0; i < count; ++i) {
    const float value =
        std::ldexp(static_cast<float>(i % 4093) - 2046.0f, -static_cast<int>(i % 9));
    halves[i] = float_to_half(value);
    brains[i] = float_to_bfloat16(value);
    want_half[i] = half_to_float(halves[i]);
    want_brain[i] = bfloat16_to_float(brains[i]);
  }
  const fs::path path = dir_ / "large.safetensors";
  ASSERT_TRUE(write_safetensors(
                  path, std::vector<TensorToWrite>{{"h", DType::kF16, {count}, as_bytes(halves)},
                                                   {"b", DType::kBF16, {count}, as_bytes(brains)}})
                  .ok());
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto h = file->read_floats(*file->find("h"));
  auto b = file->read_floats(*file->find("b"));
  ASSERT_TRUE(h.ok() && b.ok());
  EXPECT_EQ(h.value(), want_half);
  EXPECT_EQ(b.value(), want_brain);
}

TEST_F(SafetensorsTest, RefusesTensorInfoPointingOutsideTheFile) {
  const fs::path path = dir_ / "small.safetensors";
  ASSERT_TRUE(
      write_safetensors(path, std::vector<TensorToWrite>{{"w", DType::kF32, {1}, {0, 0, 0, 0}}})
          .ok());
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok());
  TensorInfo forged = *file->find("w");
  forged.shape = {1000};
  forged.end = 4000;
  expect_error(file->read_bytes(forged), "outside the file", path);
  expect_error(file->read_floats(forged), "outside the file", path);
}

// ---- a file that changes after it was opened ----

TEST_F(SafetensorsTest, FileTruncatedAfterOpenIsAnErrorNotACrash) {
  const std::vector<float> values(1000, 0.5f);
  const fs::path path = dir_ / "shrinks.safetensors";
  ASSERT_TRUE(
      write_safetensors(path,
                        std::vector<TensorToWrite>{
                            {"a", DType::kF32, {10}, as_bytes(std::vector<float>(10, 1.0f))},
                            {"b", DType::kF32, {1000}, as_bytes(values)}})
          .ok());
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  fs::resize_file(path, fs::file_size(path) - 100);
  expect_error(file->read_floats(*file->find("b")), "changed on disk", path);
  expect_error(file->read_bytes(*file->find("b")), "changed on disk", path);
  // Even the untouched first tensor is refused: the file is no longer the one that was checked.
  expect_error(file->read_floats(*file->find("a")), "changed on disk", path);
  fs::remove(path);
  expect_error(file->read_bytes(*file->find("a")), "cannot read the file any more", path);
}

// ---- sharded checkpoints ----

class ShardTest : public SafetensorsTest {
 protected:
  // Writes shard files with one F32 tensor per name holding `value`, and an index.
  void write_shard(const std::string& file,
                   const std::vector<std::pair<std::string, float>>& tensors) {
    std::vector<TensorToWrite> list;
    for (const auto& [name, value] : tensors)
      list.push_back({name, DType::kF32, {2}, as_bytes(std::vector<float>{value, -value})});
    ASSERT_TRUE(write_safetensors(dir_ / file, list).ok());
  }
  fs::path write_index(const std::string& weight_map) {
    return write_file(
        "model.safetensors.index.json",
        R"({"metadata": {"total_size": 123456789}, "weight_map": )" + weight_map + "}");
  }
};

TEST_F(ShardTest, OpensValidTwoShardCheckpoint) {
  write_shard("model-00001-of-00002.safetensors", {{"wte.weight", 1.0f}, {"h.0.w", 2.0f}});
  write_shard("model-00002-of-00002.safetensors", {{"h.1.w", 3.0f}});
  write_index(R"({"wte.weight": "model-00001-of-00002.safetensors",
                  "h.0.w": "model-00001-of-00002.safetensors",
                  "h.1.w": "model-00002-of-00002.safetensors"})");
  auto store = TensorStore::open_folder(dir_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(store->names(), (std::vector<std::string>{"h.0.w", "h.1.w", "wte.weight"}));
  EXPECT_EQ(store->description_path(), dir_ / "model.safetensors.index.json");
  const TensorStore::Entry* entry = store->find("h.1.w");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->file->path().filename(), "model-00002-of-00002.safetensors");
  auto values = entry->file->read_floats(*entry->info);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values.value(), (std::vector<float>{3.0f, -3.0f}));
  // The store stays valid after a move (entries point into owned files).
  TensorStore moved = std::move(store.value());
  ASSERT_NE(moved.find("wte.weight"), nullptr);
  EXPECT_EQ(moved.find("wte.weight")->file->read_floats(*moved.find("wte.weight")->info).value(),
            (std::vector<float>{1.0f, -1.0f}));
}

TEST_F(ShardTest, RejectsUntrustedShardNames) {
  write_shard("a.safetensors", {{"w", 1.0f}});
  const std::pair<const char*, const char*> cases[] = {
      {R"({"w": "../a.safetensors"})", "contains a path separator"},
      {R"({"w": "/etc/passwd"})", "contains a path separator"},
      {R"({"w": "sub\\a.safetensors"})", "contains a path separator"},
      {R"({"w": ".."})", "contains \"..\""},
      {R"({"w": ""})", "is empty"},
      {R"({"w": 7})", "is not a file name"},
  };
  for (const auto& [map, phrase] : cases) {
    SCOPED_TRACE(map);
    const fs::path index = write_index(map);
    expect_error(TensorStore::open_folder(dir_), phrase, index);
  }
}

TEST_F(ShardTest, RejectsTensorInTwoShards) {
  write_shard("one.safetensors", {{"w", 1.0f}, {"x", 2.0f}});
  write_shard("two.safetensors", {{"w", 3.0f}});
  const fs::path index = write_index(R"({"w": "one.safetensors", "x": "two.safetensors"})");
  expect_error(TensorStore::open_folder(dir_),
               "tensor 'w' is in two shards, 'one.safetensors' and 'two.safetensors'", index);
}

TEST_F(ShardTest, RejectsMissingShardAndMissingTensor) {
  write_shard("one.safetensors", {{"w", 1.0f}});
  fs::path index = write_index(R"({"w": "one.safetensors", "v": "gone.safetensors"})");
  expect_error(TensorStore::open_folder(dir_),
               "shard 'gone.safetensors' (for tensor 'v') is missing", index);
  index = write_index(R"({"w": "one.safetensors", "v": "one.safetensors"})");
  expect_error(TensorStore::open_folder(dir_),
               "puts tensor 'v' in shard 'one.safetensors', but that shard does not contain it",
               index);
}

TEST_F(ShardTest, RejectsBadIndexAndBadShard) {
  fs::path index = write_file("model.safetensors.index.json", R"({"metadata": {}})");
  expect_error(TensorStore::open_folder(dir_), "no \"weight_map\"", index);
  index = write_index(R"({"w": "a.safetensors", "w": "b.safetensors"})");
  expect_error(TensorStore::open_folder(dir_), "has the key 'w' twice", index);
  index = write_index("{}");
  expect_error(TensorStore::open_folder(dir_), "lists no tensors", index);
  // A shard that exists but is damaged: the error names the shard.
  const fs::path shard = write_file("bad.safetensors", "abc");
  write_index(R"({"w": "bad.safetensors"})");
  expect_error(TensorStore::open_folder(dir_), "shorter than 8 bytes", shard);
}

TEST_F(SafetensorsTest, OpenFolderWithoutWeightsNamesExpectedFiles) {
  auto store = TensorStore::open_folder(dir_);
  expect_error(store, "holds neither model.safetensors nor model.safetensors.index.json", dir_);
  expect_error(TensorStore::open_folder(dir_ / "absent"), "is not a folder", dir_ / "absent");
}

TEST_F(SafetensorsTest, OpenFileListsTensors) {
  ASSERT_TRUE(write_safetensors(dir_ / "one.safetensors",
                                std::vector<TensorToWrite>{{"b", DType::kU8, {2}, {1, 2}},
                                                           {"a", DType::kU8, {1}, {3}}})
                  .ok());
  auto store = TensorStore::open_file(dir_ / "one.safetensors");
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(store->names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store->find("a")->info->begin, 2u);
  EXPECT_EQ(store->description_path(), dir_ / "one.safetensors");
}

}  // namespace
}  // namespace attnviz

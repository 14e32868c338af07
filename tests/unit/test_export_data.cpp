// NPY and JSON exports of a hand-built trace: exact NPY header bytes and data, JSON that
// round-trips through nlohmann to the same float32 weights, and format detection.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/export/exporter.h"
#include "core/export/json.h"
#include "core/export/npy.h"

namespace fs = std::filesystem;
using namespace attnviz;

namespace {

// 2 layers × 3 heads × 5 tokens; weight (l, h, q, k) ∝ 1 + l + 2h + 3q + 5k over visible keys,
// so every entry differs and rows sum to 1.
AttentionTrace make_trace(bool causal) {
  const std::vector<std::string> texts = {"The", " bank", " \"quoted\"\n", " caf\xc3\xa9",
                                          " \xe6\x97\xa5"};
  std::vector<Token> tokens;
  size_t offset = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    tokens.push_back(
        {static_cast<int32_t>(100 + i), texts[i], offset, offset + texts[i].size(), false});
    offset += texts[i].size();
  }
  tokens[0].special = true;
  AttentionTrace trace(tokens, 2, 3, causal);
  trace.model_name = "tiny";
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h)
      for (int q = 0; q < 5; ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0;
        for (size_t k = 0; k < row.size(); ++k) sum += row[k] = 1.0f + l + 2 * h + 3 * q + 5 * k;
        for (float& w : row) w /= sum;
      }
  return trace;
}

TEST(Npy, HeaderIsExactAndAligned) {
  const int64_t shape[4] = {2, 3, 5, 5};
  const std::string header = npy_header_f32(shape);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 5, 5), }";
  ASSERT_EQ(header.size() % 64, 0u)
      << "data must start 64-byte aligned, header is " << header.size();
  EXPECT_EQ(header.size(), 128u);
  EXPECT_EQ(header.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t length = static_cast<uint8_t>(header[8]) | (static_cast<uint8_t>(header[9]) << 8);
  EXPECT_EQ(length, header.size() - 10);
  EXPECT_EQ(header.substr(10, dict.size()), dict);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.substr(10 + dict.size(), header.size() - 11 - dict.size()),
            std::string(header.size() - 11 - dict.size(), ' '));
}

TEST(Npy, OneDimensionalShapeHasTrailingComma) {
  const int64_t shape[1] = {7};
  const std::string header = npy_header_f32(shape);
  EXPECT_NE(header.find("'shape': (7,), }"), std::string::npos) << header;
  EXPECT_EQ(header.size() % 64, 0u);
}

TEST(Npy, DataIsDenseLittleEndianFloat32InCOrder) {
  for (bool causal : {true, false}) {
    const AttentionTrace trace = make_trace(causal);
    const std::string file = attention_npy(trace);
    ASSERT_EQ(file.size(), 128u + 2 * 3 * 5 * 5 * 4);
    std::vector<float> data(2 * 3 * 5 * 5);
    std::memcpy(data.data(), file.data() + 128, data.size() * 4);
    int mismatches = 0;
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 3; ++h)
        for (int q = 0; q < 5; ++q)
          for (int k = 0; k < 5; ++k) {
            const float expected = trace.weight(l, h, q, k);
            const float got = data[((l * 3 + h) * 5 + q) * 5 + k];
            if (got != expected && mismatches++ < 5) {
              ADD_FAILURE() << "causal=" << causal << " at (" << l << "," << h << "," << q << ","
                            << k << "): " << got << " != " << expected;
            }
          }
    EXPECT_EQ(mismatches, 0);
    if (causal) {
      EXPECT_EQ(data[1], 0.0f) << "masked weights are written as 0";
    }
  }
}

TEST(Json, RoundTripsThroughNlohmann) {
  const AttentionTrace trace = make_trace(true);
  const nlohmann::json doc = nlohmann::json::parse(attention_json(trace));
  EXPECT_EQ(doc["format"], "attnviz-attention");
  EXPECT_EQ(doc["model"], "tiny");
  EXPECT_EQ(doc["layers"], 2);
  EXPECT_EQ(doc["heads"], 3);
  EXPECT_EQ(doc["causal"], true);
  EXPECT_EQ(doc["shape"], nlohmann::json::array({2, 3, 5, 5}));
  EXPECT_TRUE(doc["options"]["causal_mask"].is_null());
  EXPECT_EQ(doc["options"]["scale_by_sqrt_dk"], true);
  EXPECT_EQ(doc["options"]["temperature"], 1.0);

  ASSERT_EQ(doc["tokens"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const Token& token = trace.tokens()[i];
    const auto& j = doc["tokens"][i];
    EXPECT_EQ(j["id"], token.id);
    EXPECT_EQ(j["text"], token.text) << "token " << i;
    EXPECT_EQ(j["start"], token.start);
    EXPECT_EQ(j["end"], token.end);
    EXPECT_EQ(j["special"], token.special);
  }

  const auto& attention = doc["attention"];
  ASSERT_EQ(attention.size(), 2u);
  float max_difference = 0.0f;
  for (int l = 0; l < 2; ++l) {
    ASSERT_EQ(attention[l].size(), 3u);
    for (int h = 0; h < 3; ++h) {
      ASSERT_EQ(attention[l][h].size(), 5u);
      for (int q = 0; q < 5; ++q) {
        ASSERT_EQ(attention[l][h][q].size(), 5u);
        for (int k = 0; k < 5; ++k) {
          // Shortest float32 text must read back as exactly the same float.
          const float got = static_cast<float>(attention[l][h][q][k].get<double>());
          max_difference = std::max(max_difference, std::abs(got - trace.weight(l, h, q, k)));
          EXPECT_EQ(got, trace.weight(l, h, q, k))
              << "at " << l << "," << h << "," << q << "," << k;
        }
      }
    }
  }
  EXPECT_EQ(max_difference, 0.0f);
}

TEST(Json, InvalidUtf8InATokenStillGivesValidJson) {
  std::vector<Token> tokens = {{1, std::string("a\xff"), 0, 2, false}};
  AttentionTrace trace(tokens, 1, 1, true);
  trace.mutable_row(0, 0, 0)[0] = 1.0f;
  const std::string text = attention_json(trace);
  EXPECT_NO_THROW({ auto doc = nlohmann::json::parse(text); });
}

TEST(Formats, FromExtensionAndName) {
  EXPECT_EQ(*export_format_from_path("a/b.png"), ExportFormat::kPng);
  EXPECT_EQ(*export_format_from_path("B.SVG"), ExportFormat::kSvg);
  EXPECT_EQ(*export_format_from_path("x.json"), ExportFormat::kJson);
  EXPECT_EQ(*export_format_from_path("x.npy"), ExportFormat::kNpy);
  const auto unknown = export_format_from_path("x.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find(".txt"), std::string::npos);
  EXPECT_FALSE(export_format_from_path("noextension").ok());
  EXPECT_EQ(*parse_export_format("NPY"), ExportFormat::kNpy);
  EXPECT_FALSE(parse_export_format("jpeg").ok());
}

TEST(ExportTrace, WritesDataFilesAndNothingOnFailure) {
  std::string pattern = (fs::temp_directory_path() / "attnviz_data_XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const AttentionTrace trace = make_trace(false);
  ASSERT_TRUE(export_data(trace, ExportFormat::kNpy, dir / "a.npy").ok());
  ASSERT_TRUE(export_data(trace, ExportFormat::kJson, dir / "a.json").ok());
  std::ifstream in(dir / "a.npy", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(bytes, attention_npy(trace));
  EXPECT_FALSE(export_data(trace, ExportFormat::kNpy, dir / "a.npy" / "b.npy").ok());
  EXPECT_FALSE(export_data(trace, ExportFormat::kJson, dir / "missing" / "b.json").ok());
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) count += entry.is_regular_file();
  EXPECT_EQ(count, 2u) << "a failed export must leave no file";
  fs::remove_all(dir);
}

}  // namespace

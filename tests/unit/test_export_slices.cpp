// Data exports at scale: a slice of layers and heads is exactly that block of the whole tensor
// in NPY, JSON and safetensors; a stored and an on-demand trace export the same bytes; exports
// are streamed through the sink in blocks and stop at its first error; a slice out of range or
// a disk without room is refused with the size before anything is written.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/attention_import.h"
#include "core/export/exporter.h"
#include "core/export/json.h"
#include "core/export/npy.h"
#include "core/transformer_model.h"
#include "model_test_support.h"

namespace fs = std::filesystem;
using namespace attnviz;

namespace {

// 3 layers × 4 heads × 6 tokens, causal; every weight differs and rows sum to 1.
AttentionTrace make_trace() {
  std::vector<Token> tokens;
  for (int i = 0; i < 6; ++i) {
    const std::string text = " w" + std::to_string(i);
    tokens.push_back(
        {100 + i, text, static_cast<size_t>(3 * i), static_cast<size_t>(3 * i + 3), false});
  }
  AttentionTrace trace(tokens, 3, 4, true);
  trace.model_name = "slices";
  for (int l = 0; l < 3; ++l)
    for (int h = 0; h < 4; ++h)
      for (int q = 0; q < 6; ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0;
        for (size_t k = 0; k < row.size(); ++k) sum += row[k] = 1.0f + l + 2 * h + 3 * q + 7 * k;
        for (float& w : row) w /= sum;
      }
  return trace;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The float32 data after an NPY header, as floats.
std::vector<float> npy_data(const std::string& file) {
  const size_t header = 10 + (static_cast<uint8_t>(file[8]) | (static_cast<uint8_t>(file[9]) << 8));
  std::vector<float> values((file.size() - header) / sizeof(float));
  std::memcpy(values.data(), file.data() + header, values.size() * sizeof(float));
  return values;
}

// (l, h, q, k) of the whole trace, zeros where masked.
float whole_weight(const AttentionTrace& trace, int l, int h, int q, int k) {
  return k < trace.row_length(q) ? trace.row(l, h, q)[k] : 0.0f;
}

class ExportSlices : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "attnviz_slices_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t files_in_dir() const {
    size_t count = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) count += entry.is_regular_file();
    return count;
  }
  fs::path dir_;
};

TEST_F(ExportSlices, NpySliceIsThatBlockOfTheWholeTensor) {
  const AttentionTrace trace = make_trace();
  const TensorSlice slice{1, 2, 1, 2};  // layers 1-2, heads 1-2
  ASSERT_TRUE(export_data(trace, ExportFormat::kNpy, dir_ / "s.npy", slice).ok());
  const std::string file = read_file(dir_ / "s.npy");
  EXPECT_NE(file.find("'shape': (2, 2, 6, 6)"), std::string::npos);
  const std::vector<float> data = npy_data(file);
  ASSERT_EQ(data.size(), 2u * 2 * 6 * 6);
  size_t i = 0;
  for (int l = 1; l <= 2; ++l)
    for (int h = 1; h <= 2; ++h)
      for (int q = 0; q < 6; ++q)
        for (int k = 0; k < 6; ++k, ++i)
          ASSERT_EQ(data[i], whole_weight(trace, l, h, q, k)) << l << h << q << k;
  // The default slice is the whole tensor, the same bytes as the in-memory form.
  ASSERT_TRUE(export_data(trace, ExportFormat::kNpy, dir_ / "all.npy").ok());
  EXPECT_EQ(read_file(dir_ / "all.npy"), attention_npy(trace));
}

TEST_F(ExportSlices, JsonSliceStatesWhereItStartsAndHoldsThoseRows) {
  const AttentionTrace trace = make_trace();
  ASSERT_TRUE(export_data(trace, ExportFormat::kJson, dir_ / "s.json", {2, 2, 0, 3}).ok());
  const nlohmann::json doc = nlohmann::json::parse(read_file(dir_ / "s.json"));
  EXPECT_EQ(doc["shape"], nlohmann::json({1, 4, 6, 6}));
  EXPECT_EQ(doc["layers"], 1);
  EXPECT_EQ(doc["heads"], 4);
  EXPECT_EQ(doc["first_layer"], 2);
  EXPECT_EQ(doc["first_head"], 0);
  EXPECT_EQ(doc["tokens"].size(), 6u);
  for (int h = 0; h < 4; ++h)
    for (int q = 0; q < 6; ++q)
      for (int k = 0; k < 6; ++k)
        ASSERT_EQ(doc["attention"][0][h][q][k].get<float>(), whole_weight(trace, 2, h, q, k));
  // The whole JSON is the in-memory form, byte for byte, and parses.
  ASSERT_TRUE(export_data(trace, ExportFormat::kJson, dir_ / "all.json").ok());
  EXPECT_EQ(read_file(dir_ / "all.json"), attention_json(trace));
  EXPECT_NO_THROW({ auto all = nlohmann::json::parse(read_file(dir_ / "all.json")); });
}

TEST_F(ExportSlices, SafetensorsReadsBackWithItsTokens) {
  const AttentionTrace trace = make_trace();
  ASSERT_TRUE(
      export_data(trace, ExportFormat::kSafetensors, dir_ / "s.safetensors", {0, 1, 3, 3}).ok());
  auto back = load_attention_file(dir_ / "s.safetensors", {});
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ((*back)->layers(), 2);
  ASSERT_EQ((*back)->heads(), 1);
  ASSERT_EQ((*back)->tokens_count(), 6);
  EXPECT_EQ((*back)->tokens()[5].text, " w5");
  EXPECT_TRUE((*back)->causal());
  for (int l = 0; l < 2; ++l)
    for (int q = 0; q < 6; ++q)
      for (int k = 0; k <= q; ++k)
        ASSERT_EQ((*back)->weight(l, 0, q, k), whole_weight(trace, l, 3, q, k));
}

TEST_F(ExportSlices, OutOfRangeSlicesAreRefusedAndWriteNothing) {
  const AttentionTrace trace = make_trace();
  const Status layers = export_data(trace, ExportFormat::kNpy, dir_ / "x.npy", {1, 3, 0, -1});
  ASSERT_FALSE(layers.ok());
  EXPECT_NE(layers.error().message.find("layers 1-3 are out of range"), std::string::npos)
      << layers.error().message;
  EXPECT_NE(layers.error().message.find("0 to 2"), std::string::npos);
  const Status heads = export_data(trace, ExportFormat::kJson, dir_ / "x.json", {0, -1, 4, 4});
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.error().message.find("heads 4 are out of range"), std::string::npos);
  EXPECT_EQ(files_in_dir(), 0u);
}

TEST_F(ExportSlices, ADiskWithoutRoomIsRefusedWithTheSizes) {
  // No disk has 4.6 EB free: the refusal is the real statvfs answer.
  const Status refused = check_room_for(dir_ / "big.npy", uint64_t{1} << 62, "the tensor");
  ASSERT_FALSE(refused.ok());
  const std::string& message = refused.error().message;
  EXPECT_NE(message.find("big.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("the tensor takes 4.6 EB"), std::string::npos) << message;
  EXPECT_NE(message.find("free; nothing was written"), std::string::npos) << message;
  EXPECT_TRUE(check_room_for(dir_ / "small.npy", 1000, "the tensor").ok());
  EXPECT_EQ(files_in_dir(), 0u);

  // The size a command states before a run: exact for NPY, a floor for JSON.
  const TensorDims smollm{30, 9, 8192};
  EXPECT_EQ(data_export_size(smollm, ExportFormat::kNpy).bytes, 128 + 30ull * 9 * 8192 * 8192 * 4);
  EXPECT_EQ(data_export_statement(smollm, ExportFormat::kNpy),
            "the (30, 9, 8192, 8192) float32 tensor: 72.5 GB");
  EXPECT_EQ(data_export_statement(smollm, ExportFormat::kJson, {29, 29, 0, 0}),
            "layer 29, head 0: the (1, 1, 8192, 8192) float32 tensor: at least 134 MB");
  EXPECT_EQ(byte_size_text(999), "999 bytes");
  EXPECT_EQ(byte_size_text(268'435'456), "268 MB");
}

TEST_F(ExportSlices, StreamsInBlocksAndStopsAtTheSinksError) {
  const AttentionTrace trace = make_trace();
  int calls = 0;
  const Status stopped = write_attention_npy(trace, {}, [&calls](std::string_view) -> Status {
    ++calls;
    return make_error("disk full");
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message, "disk full");
  EXPECT_EQ(calls, 1) << "the header's error stops the export";

  // A writer dropped before commit leaves the target as it was and no temporary file.
  std::ofstream(dir_ / "kept.npy") << "old";
  {
    Result<AtomicFileWriter> writer = AtomicFileWriter::open(dir_ / "kept.npy");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->write("new bytes").ok());
  }
  EXPECT_EQ(read_file(dir_ / "kept.npy"), "old");
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST(ExportAtScale, OnDemandAndStoredTracesExportTheSameBytes) {
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> fixture = test::fixture_model("modern/mistral-tiny", load);
  ASSERT_TRUE(fixture);
  ModelConfig config = fixture->config();
  config.max_positions = std::max(config.max_positions, 600);
  const auto model =
      TransformerModel::random(config, 5, ids_only_tokenizer(config.vocab_size, "test"));
  std::mt19937 random(3);
  std::vector<Token> tokens(600);  // several blocks of 64 rows, and a sliding window
  for (Token& token : tokens) token.id = static_cast<int32_t>(random() % config.vocab_size);
  std::string bytes[2];
  int i = 0;
  for (auto weights : {RunOptions::Weights::kStored, RunOptions::Weights::kOnDemand}) {
    RunOptions options;
    options.weights = weights;
    auto trace = test::run_ok(*model, tokens, options);
    ASSERT_EQ(trace->stores_weights(), weights == RunOptions::Weights::kStored);
    const TensorSlice slice{0, -1, 1, 2};
    ASSERT_TRUE(write_attention_npy(*trace, slice, [&](std::string_view b) -> Status {
                  bytes[i].append(b);
                  return Ok{};
                }).ok());
    ++i;
  }
  EXPECT_EQ(bytes[0].size(), 128u + config.layers * 2ull * 600 * 600 * 4);
  EXPECT_TRUE(bytes[0] == bytes[1]) << "stored and recomputed rows differ";
}

}  // namespace

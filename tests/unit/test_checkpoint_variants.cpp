// The same fixture weights saved the ways real checkpoints are saved — name prefixes from
// models with heads, gamma/beta LayerNorm names, extra tensors to ignore, F16 and BF16, two
// shards with an index — must all load and give the same attention.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/weight_registry.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using test::Worst;

// A scratch folder per test, removed afterwards.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("attnviz_variants_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The fixture's tensors as (name, F32 values, shape).
struct Tensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

std::vector<Tensor> fixture_tensors(const std::string& name) {
  auto file = SafetensorsFile::open(test::fixture(name) / "model" / "model.safetensors");
  EXPECT_TRUE(file.ok());
  std::vector<Tensor> tensors;
  for (const TensorInfo& info : file->tensors()) {
    auto values = file->read_floats(info);
    EXPECT_TRUE(values.ok());
    tensors.push_back({info.name, info.shape, std::move(values).value()});
  }
  return tensors;
}

TensorToWrite encode(const Tensor& tensor, DType dtype) {
  TensorToWrite out{tensor.name, dtype, tensor.shape, {}};
  if (dtype == DType::kF32) {
    out.bytes.resize(tensor.values.size() * 4);
    std::memcpy(out.bytes.data(), tensor.values.data(), out.bytes.size());
  } else {
    out.bytes.resize(tensor.values.size() * 2);
    for (size_t i = 0; i < tensor.values.size(); ++i) {
      const uint16_t bits = dtype == DType::kF16 ? float_to_half(tensor.values[i])
                                                 : float_to_bfloat16(tensor.values[i]);
      std::memcpy(out.bytes.data() + 2 * i, &bits, 2);
    }
  }
  return out;
}

// Copies config and tokenizer files of a fixture model into `folder` (no weights).
void copy_model_files(const std::string& name, const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(test::fixture(name) / "model"))
    if (entry.path().filename() != "model.safetensors")
      fs::copy_file(entry.path(), folder / entry.path().filename());
}

void write_file(const fs::path& path, const std::vector<TensorToWrite>& tensors) {
  Status written = write_safetensors(path, tensors);
  ASSERT_TRUE(written.ok()) << written.error().message;
}

// Attention of every reference text from the model in `folder`, compared with `baseline`.
Worst compare_with(const fs::path& folder, Model& baseline, const std::string& fixture_name) {
  auto loaded = Model::load(folder);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  Worst worst;
  if (!loaded.ok()) {
    worst.update(INFINITY, "load failed");
    return worst;
  }
  const SafetensorsFile reference = test::open_reference(fixture_name);
  for (int i = 0; i < test::reference_texts(reference); ++i) {
    const auto tokens = test::reference_tokens(reference, i);
    auto a = test::run_ok(**loaded, tokens, {});
    auto b = test::run_ok(baseline, tokens, {});
    if (!a || !b) continue;
    const Worst diff = test::attention_difference(*a, *b);
    worst.update(diff.value, "text " + std::to_string(i) + " " + diff.where);
  }
  return worst;
}

using Rename = std::function<std::string(const std::string&)>;

// Writes the fixture under renamed tensor names plus extra tensors to ignore.
void write_renamed(const std::string& name, const fs::path& folder, const Rename& rename,
                   std::vector<TensorToWrite> extra) {
  copy_model_files(name, folder);
  std::vector<TensorToWrite> tensors = std::move(extra);
  for (Tensor tensor : fixture_tensors(name)) {
    tensor.name = rename(tensor.name);
    tensors.push_back(encode(tensor, DType::kF32));
  }
  write_file(folder / "model.safetensors", tensors);
}

TensorToWrite zeros(const std::string& name, std::vector<uint64_t> shape, DType dtype) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return {name, dtype, shape, std::vector<uint8_t>(n * dtype_bits(dtype) / 8, 0)};
}

TEST(CheckpointVariants, Gpt2WithTransformerPrefixAndMaskBuffers) {
  auto baseline = test::fixture_model("gpt2-tiny");
  ScratchFolder folder("gpt2_prefix");
  const uint64_t p = baseline->config().max_positions;
  write_renamed("gpt2-tiny", folder.path(), [](const std::string& n) { return "transformer." + n; },
                {zeros("transformer.h.0.attn.bias", {1, 1, p, p}, DType::kF32),
                 zeros("transformer.h.1.attn.masked_bias", {}, DType::kF32),
                 zeros("lm_head.weight", {1, 1}, DType::kF32)});
  const Worst diff = compare_with(folder.path(), *baseline, "gpt2-tiny");
  EXPECT_EQ(diff.value, 0.0) << "max difference " << diff.value << " at " << diff.where;
}

TEST(CheckpointVariants, BertWithPrefixGammaBetaPoolerAndHeads) {
  auto baseline = test::fixture_model("bert-tiny");
  ScratchFolder folder("bert_prefix");
  auto rename = [](const std::string& n) {
    std::string out = "bert." + n;
    if (out.find("LayerNorm.weight") != std::string::npos)
      out.replace(out.size() - 6, 6, "gamma");
    else if (out.find("LayerNorm.bias") != std::string::npos)
      out.replace(out.size() - 4, 4, "beta");
    return out;
  };
  write_renamed("bert-tiny", folder.path(), rename,
                // The fixture's own pooler.* tensors come along as bert.pooler.*.
                {zeros("cls.predictions.bias", {30522}, DType::kF32),
                 zeros("bert.embeddings.position_ids", {1, 128}, DType::kI64)});
  const Worst diff = compare_with(folder.path(), *baseline, "bert-tiny");
  EXPECT_EQ(diff.value, 0.0) << "max difference " << diff.value << " at " << diff.where;
}

// F16 / BF16 files against an F32 file of the same rounded values: the conversion must be
// exact, so the attention is identical (tolerance 0).
void check_half_precision(const std::string& name, DType dtype) {
  ScratchFolder half("half_" + name + std::string(dtype_name(dtype)));
  ScratchFolder rounded("rounded_" + name + std::string(dtype_name(dtype)));
  copy_model_files(name, half.path());
  copy_model_files(name, rounded.path());
  std::vector<TensorToWrite> half_tensors, rounded_tensors;
  for (Tensor tensor : fixture_tensors(name)) {
    half_tensors.push_back(encode(tensor, dtype));
    for (float& v : tensor.values)
      v = dtype == DType::kF16 ? half_to_float(float_to_half(v))
                               : bfloat16_to_float(float_to_bfloat16(v));
    rounded_tensors.push_back(encode(tensor, DType::kF32));
  }
  write_file(half.path() / "model.safetensors", half_tensors);
  write_file(rounded.path() / "model.safetensors", rounded_tensors);
  auto rounded_model = Model::load(rounded.path());
  ASSERT_TRUE(rounded_model.ok()) << rounded_model.error().message;
  const Worst diff = compare_with(half.path(), **rounded_model, name);
  EXPECT_EQ(diff.value, 0.0) << dtype_name(dtype) << ": max difference " << diff.value << " at "
                             << diff.where;
  // And the rounding itself moves attention only a little from the F32 original.
  auto original = test::fixture_model(name);
  const Worst drift = compare_with(half.path(), *original, name);
  std::cout << name << " " << dtype_name(dtype) << ": attention drift from F32 weights "
            << drift.value << "\n";
  EXPECT_LT(drift.value, dtype == DType::kF16 ? 0.05 : 0.3) << drift.where;
}

TEST(CheckpointVariants, F16AndBF16) {
  for (const char* name : {"gpt2-tiny", "bert-tiny"})
    for (DType dtype : {DType::kF16, DType::kBF16}) check_half_precision(name, dtype);
}

TEST(CheckpointVariants, TwoShardsWithIndex) {
  for (const char* name : {"gpt2-tiny", "bert-tiny"}) {
    auto baseline = test::fixture_model(name);
    ScratchFolder folder(std::string("shards_") + name);
    copy_model_files(name, folder.path());
    const auto tensors = fixture_tensors(name);
    std::vector<TensorToWrite> shards[2];
    nlohmann::json weight_map;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const int shard = i < tensors.size() / 2 ? 0 : 1;
      shards[shard].push_back(encode(tensors[i], DType::kF32));
      weight_map[tensors[i].name] =
          "model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors";
    }
    write_file(folder.path() / "model-00001-of-00002.safetensors", shards[0]);
    write_file(folder.path() / "model-00002-of-00002.safetensors", shards[1]);
    std::ofstream(folder.path() / "model.safetensors.index.json")
        << nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump();
    const Worst diff = compare_with(folder.path(), *baseline, name);
    EXPECT_EQ(diff.value, 0.0) << name << ": max difference " << diff.value << " at " << diff.where;
  }
}

TEST(CheckpointVariants, ScaleByInverseLayerIndexIsHonoured) {
  // No Hugging Face reference for this switch in the fixtures: check the recorded scale and
  // that the rows are the softmax of the stored Q·K at that scale.
  ScratchFolder folder("inverse_layer");
  copy_model_files("gpt2-tiny", folder.path());
  fs::copy_file(test::fixture("gpt2-tiny") / "model" / "model.safetensors",
                folder.path() / "model.safetensors");
  std::ifstream in(folder.path() / "config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  in.close();
  config["scale_attn_by_inverse_layer_idx"] = true;
  std::ofstream(folder.path() / "config.json") << config.dump();
  auto model = Model::load(folder.path());
  ASSERT_TRUE(model.ok()) << model.error().message;
  const SafetensorsFile reference = test::open_reference("gpt2-tiny");
  auto trace = test::run_ok(**model, test::reference_tokens(reference, 1), {});
  ASSERT_TRUE(trace);
  EXPECT_FLOAT_EQ(trace->score_scale(0), 1.0f / std::sqrt(8.0f));
  EXPECT_FLOAT_EQ(trace->score_scale(1), 1.0f / std::sqrt(8.0f) / 2.0f);
  auto plain =
      test::run_ok(*test::fixture_model("gpt2-tiny"), test::reference_tokens(reference, 1), {});
  // Layer 0 is unchanged, layer 1 differs.
  EXPECT_EQ(trace->weight(0, 1, 5, 2), plain->weight(0, 1, 5, 2));
  EXPECT_GT(test::attention_difference(*trace, *plain).value, 1e-3);
  const HeadDetail detail = trace->head_detail(1, 2);
  const int t = trace->tokens_count(), q = t - 1;
  double max = -INFINITY, sum = 0;
  for (int k = 0; k <= q; ++k) max = std::max<double>(max, detail.scores[q * t + k]);
  for (int k = 0; k <= q; ++k) sum += std::exp(detail.scores[q * t + k] - max);
  for (int k = 0; k <= q; ++k)
    EXPECT_NEAR(trace->weight(1, 2, q, k), std::exp(detail.scores[q * t + k] - max) / sum, 1e-6);
}

}  // namespace
}  // namespace attnviz

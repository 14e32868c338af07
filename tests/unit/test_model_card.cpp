// The model card of loaded models and of folders (config.json and safetensors headers only):
// family, parameters, heads, positions and their scaling, windows per layer, precision, context.
#include <gtest/gtest.h>

#include "core/model_card.h"
#include "core/weight_registry.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

ModelCard folder_card(const std::string& name) {
  auto card = read_model_card(test::fixture("modern/" + name) / "model");
  EXPECT_TRUE(card.ok()) << (card.ok() ? "" : card.error().message);
  return card.ok() ? *card : ModelCard{};
}

TEST(ModelCard, DescribesEachFamily) {
  ModelCard card = folder_card("gemma3-tiny");
  EXPECT_EQ(card.family, "Gemma 3");
  EXPECT_EQ(card.layers, 6);
  EXPECT_EQ(card.heads, 4);
  EXPECT_EQ(card.kv_heads, 2);
  EXPECT_EQ(card.head_dim, 16);
  EXPECT_EQ(card.context_length, 512);
  EXPECT_EQ(card.precision, "BF16");
  EXPECT_EQ(card.positions, "RoPE base 1000000, linear scaling x8");
  EXPECT_EQ(card.local_positions, "RoPE base 10000");
  EXPECT_EQ(card.windows, (std::vector<int>{8, 8, 8, 8, 8, 0}));
  EXPECT_EQ(describe_windows(card.windows), "window 8 on layers 0-4; global on 5");

  card = folder_card("phi3-tiny");
  EXPECT_EQ(card.positions, "RoPE base 10000, longrope scaling x8 from 32 positions");
  card = folder_card("gpt-neox-tiny");
  EXPECT_EQ(card.positions, "RoPE base 10000, rotates 4 of 16 dims");
  EXPECT_EQ(card.precision, "F16");
  card = folder_card("gemma2-tiny");
  EXPECT_FLOAT_EQ(card.attn_softcap, 3.8f);
  EXPECT_EQ(describe_windows(card.windows), "window 8 on layers 0, 2; global on 1, 3");
  EXPECT_EQ(describe_windows(folder_card("mistral-tiny").windows), "window 8 on every layer");
  EXPECT_EQ(describe_windows(folder_card("llama3-tiny").windows), "global (full attention)");

  // The folder's card counts what a loaded model holds.
  LoadOptions options;
  options.require_tokenizer = false;
  auto model = test::fixture_model("modern/qwen3-tiny", options);
  ASSERT_TRUE(model);
  const ModelCard loaded = model->card();
  const ModelCard from_folder = folder_card("qwen3-tiny");
  EXPECT_EQ(loaded.parameters, from_folder.parameters);
  EXPECT_EQ(loaded.parameters, weight_parameters(model->config()));
  EXPECT_EQ(loaded.precision, "BF16");
  const auto lines = card_lines(loaded);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front().second, "Qwen 3 (qwen3)");
  bool grouped = false;
  for (const auto& [label, value] : lines)
    if (label == "heads")
      grouped = value == "4 query / 2 key-value (grouped: 2 query heads share each)";
  EXPECT_TRUE(grouped);
}

// The app shows a loaded model's card, `attnviz models --card` reads the folder's: the same lines
// for every fixture, so the two never disagree.
TEST(ModelCard, LoadedModelAndFolderGiveTheSameLines) {
  LoadOptions options;
  options.require_tokenizer = false;
  for (const char* name :
       {"gpt2-tiny", "bert-tiny", "modern/llama3-tiny", "modern/llama-linear-tiny",
        "modern/mistral-tiny", "modern/qwen2-tiny", "modern/qwen3-tiny", "modern/gemma2-tiny",
        "modern/gemma3-tiny", "modern/phi3-tiny", "modern/gpt-neox-tiny"}) {
    auto model = test::fixture_model(name, options);
    ASSERT_TRUE(model) << name;
    auto folder = read_model_card(test::fixture(name) / "model");
    ASSERT_TRUE(folder.ok()) << name << ": " << folder.error().message;
    EXPECT_EQ(card_lines(model->card()), card_lines(*folder)) << name;
  }
}

TEST(ModelCard, FormatsParameterCounts) {
  EXPECT_EQ(format_parameters(1235814400), "1.24 B");
  EXPECT_EQ(format_parameters(494032768), "494 M");
  EXPECT_EQ(format_parameters(274880), "275 K");
}

}  // namespace
}  // namespace attnviz

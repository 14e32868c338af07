// Tests of config.json loading: the two fixture configs, configs as the hub ships them (fields
// missing that transformers defaults), and bad configs that must be refused before anything is
// allocated, each with the file and the field in the message.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/model_config.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(ModelConfigFixture, LoadsGpt2Tiny) {
  auto config = load_model_config(fs::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny/model/config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->architecture, Architecture::kGpt2);
  EXPECT_EQ(config->name, "model");  // the folder holding config.json
  EXPECT_EQ(config->vocab_size, 50257);
  EXPECT_EQ(config->max_positions, 128);
  EXPECT_EQ(config->width, 32);
  EXPECT_EQ(config->layers, 2);
  EXPECT_EQ(config->heads, 4);
  EXPECT_EQ(config->head_dim(), 8);
  EXPECT_EQ(config->inner, 128);  // n_inner null = 4 * n_embd
  EXPECT_FLOAT_EQ(config->layer_norm_epsilon, 1e-5f);
  EXPECT_TRUE(config->scale_attn_weights);
  EXPECT_FALSE(config->scale_attn_by_inverse_layer_idx);
  EXPECT_TRUE(config->causal());
}

TEST(ModelConfigFixture, LoadsBertTiny) {
  auto config = load_model_config(fs::path(ATTNVIZ_TEST_DATA) / "bert-tiny/model/config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->architecture, Architecture::kBert);
  EXPECT_EQ(config->vocab_size, 30522);
  EXPECT_EQ(config->max_positions, 128);
  EXPECT_EQ(config->width, 32);
  EXPECT_EQ(config->layers, 2);
  EXPECT_EQ(config->heads, 4);
  EXPECT_EQ(config->inner, 64);
  EXPECT_EQ(config->type_vocab_size, 2);
  EXPECT_FLOAT_EQ(config->layer_norm_epsilon, 1e-12f);
  EXPECT_FALSE(config->causal());
}

class ModelConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("attnviz_config_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write_text(const std::string& text, const std::string& folder = "my-model") {
    fs::create_directories(dir_ / folder);
    const fs::path path = dir_ / folder / "config.json";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  Result<ModelConfig> load(const json& config, const std::string& folder = "my-model") {
    path_ = write_text(config.dump(), folder);
    return load_model_config(path_);
  }
  // Expects an error naming the file and containing every phrase.
  void expect_error(const json& config, std::initializer_list<std::string> phrases) {
    auto result = load(config);
    ASSERT_FALSE(result.ok()) << "accepted: " << config.dump();
    const std::string& message = result.error().message;
    EXPECT_NE(message.find(path_.string()), std::string::npos) << message;
    for (const std::string& phrase : phrases)
      EXPECT_NE(message.find(phrase), std::string::npos)
          << "missing \"" << phrase << "\" in " << message;
  }

  // openai-community/gpt2's config.json as published (no n_inner, no scale_* switches).
  static json hub_gpt2() {
    return json::parse(R"({"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
      "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
      "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
      "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
      "resid_pdrop": 0.1, "summary_activation": null, "summary_first_dropout": 0.1,
      "summary_proj_to_labels": true, "summary_type": "cls_index", "summary_use_proj": true,
      "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
      "vocab_size": 50257})");
  }
  // bert-base-uncased's config.json as published.
  static json hub_bert() {
    return json::parse(R"({"architectures": ["BertForMaskedLM"],
      "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
      "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
      "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
      "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 12,
      "pad_token_id": 0, "position_embedding_type": "absolute", "transformers_version": "4.6.0.dev0",
      "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522})");
  }

  fs::path dir_, path_;
};

TEST_F(ModelConfigTest, LoadsHubGpt2WithDefaults) {
  auto config = load(hub_gpt2(), "gpt2");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->name, "gpt2");
  EXPECT_EQ(config->width, 768);
  EXPECT_EQ(config->inner, 3072);
  EXPECT_EQ(config->max_positions, 1024);
  EXPECT_TRUE(config->scale_attn_weights);
  EXPECT_FALSE(config->scale_attn_by_inverse_layer_idx);
}

TEST_F(ModelConfigTest, LoadsDistilGpt2StyleConfig) {
  json distil = hub_gpt2();
  distil["n_layer"] = 6;
  distil["_name_or_path"] = "distilgpt2";
  distil["activation_function"] = "gelu_pytorch_tanh";
  distil["n_inner"] = 2048;
  distil["scale_attn_by_inverse_layer_idx"] = true;
  auto config = load(distil, "distilgpt2");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->name, "distilgpt2");
  EXPECT_EQ(config->layers, 6);
  EXPECT_EQ(config->inner, 2048);
  EXPECT_TRUE(config->scale_attn_by_inverse_layer_idx);
}

TEST_F(ModelConfigTest, OldGpt2ConfigWithOnlyNCtx) {
  json old = hub_gpt2();
  old.erase("n_positions");
  auto config = load(old);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->max_positions, 1024);
}

TEST_F(ModelConfigTest, LoadsHubBert) {
  auto config = load(hub_bert(), "bert-base-uncased");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->name, "bert-base-uncased");
  EXPECT_EQ(config->architecture, Architecture::kBert);
  EXPECT_EQ(config->inner, 3072);
  EXPECT_EQ(config->max_positions, 512);
  EXPECT_EQ(config->head_dim(), 64);
}

TEST_F(ModelConfigTest, RejectsUnsupportedActivations) {
  json gpt2 = hub_gpt2();
  gpt2["activation_function"] = "relu";
  expect_error(gpt2, {"\"activation_function\"", "\"relu\"", "gelu_new"});
  json bert = hub_bert();
  bert["hidden_act"] = "gelu_new";
  expect_error(bert, {"\"hidden_act\"", "\"gelu_new\""});
  bert = hub_bert();
  bert["position_embedding_type"] = "relative_key";
  expect_error(bert, {"\"position_embedding_type\"", "relative_key"});
  bert = hub_bert();
  bert["is_decoder"] = true;
  expect_error(bert, {"\"is_decoder\"", "encoder"});
}

TEST_F(ModelConfigTest, RejectsUnknownOrMissingModelType) {
  json mamba = hub_gpt2();
  mamba["model_type"] = "mamba";
  expect_error(mamba, {"\"mamba\"", "does not support", "\"gpt2\"", "\"bert\"", "\"llama\"",
                       "\"gemma3_text\"", "\"gpt_neox\""});
  json none = hub_gpt2();
  none.erase("model_type");
  expect_error(none, {"\"model_type\"", "missing"});
}

TEST_F(ModelConfigTest, RejectsMissingFields) {
  for (const char* field : {"n_embd", "n_layer", "n_head", "vocab_size"}) {
    json config = hub_gpt2();
    config.erase(field);
    expect_error(config, {std::string("\"") + field + "\" is missing"});
  }
  json no_positions = hub_gpt2();
  no_positions.erase("n_positions");
  no_positions.erase("n_ctx");
  expect_error(no_positions, {"\"n_positions\" is missing"});
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads",
                            "intermediate_size", "max_position_embeddings", "vocab_size"}) {
    json config = hub_bert();
    config.erase(field);
    expect_error(config, {std::string("\"") + field + "\" is missing"});
  }
}

TEST_F(ModelConfigTest, RejectsWrongTypes) {
  const std::pair<const char*, json> cases[] = {
      {"n_embd", "768"},
      {"n_embd", 768.0},
      {"n_layer", true},
      {"n_head", nullptr},
      {"n_inner", "4C"},
      {"scale_attn_weights", "yes"},
      {"layer_norm_epsilon", "tiny"},
      {"activation_function", 3},
  };
  for (const auto& [field, value] : cases) {
    json config = hub_gpt2();
    config[field] = value;
    SCOPED_TRACE(config[field].dump());
    expect_error(config, {std::string("\"") + field + "\""});
  }
  json model_type = hub_gpt2();
  model_type["model_type"] = 2;
  expect_error(model_type, {"\"model_type\""});
}

TEST_F(ModelConfigTest, RejectsNonPositiveSizes) {
  const std::pair<const char*, json> cases[] = {
      {"n_embd", 0},
      {"n_layer", -1},
      {"n_head", 0},
      {"vocab_size", -50257},
      {"n_inner", 0},
      {"layer_norm_epsilon", 0.0},
      {"layer_norm_epsilon", -1e-5},
  };
  for (const auto& [field, value] : cases) {
    json config = hub_gpt2();
    config[field] = value;
    SCOPED_TRACE(config.dump());
    expect_error(config, {std::string("\"") + field + "\"", "positive"});
  }
}

TEST_F(ModelConfigTest, RejectsAbsurdSizesBeforeAllocating) {
  const std::tuple<const char*, json, const char*> cases[] = {
      {"n_layer", 100000, "limit of 512"},
      {"n_head", 4096, "limit of 1024"},
      {"n_embd", 1 << 20, "limit of 65536"},
      {"vocab_size", uint64_t{1} << 40, "limit of 10000000"},
      {"vocab_size", 18446744073709551615ull, "limit of 10000000"},
      {"n_positions", 1 << 30, "limit of 1048576"},
      {"n_inner", 1 << 24, "limit of 1048576"},
  };
  for (const auto& [field, value, phrase] : cases) {
    json config = hub_gpt2();
    config[field] = value;
    SCOPED_TRACE(config[field].dump());
    expect_error(config, {std::string("\"") + field + "\"", phrase});
  }
  // Each size within its limit, but together far beyond memory: 512 layers of width 65536.
  json giant = hub_gpt2();
  giant["n_embd"] = 65536;
  giant["n_head"] = 1024;
  giant["n_layer"] = 512;
  expect_error(giant, {"would need about 5278", "GB of memory"});
  json giant_bert = hub_bert();
  giant_bert["vocab_size"] = 10'000'000;
  giant_bert["hidden_size"] = 8192;
  giant_bert["num_attention_heads"] = 64;
  expect_error(giant_bert, {"GB of memory"});
}

TEST_F(ModelConfigTest, RejectsWidthNotDivisibleByHeads) {
  json config = hub_gpt2();
  config["n_embd"] = 770;
  expect_error(config, {"\"n_embd\" is 770", "not divisible", "\"n_head\" (12)"});
  json bert = hub_bert();
  bert["num_attention_heads"] = 7;
  expect_error(bert, {"not divisible"});
}

TEST_F(ModelConfigTest, RejectsFilesThatAreNotConfigs) {
  path_ = write_text("{\"model_type\": \"gpt2\",");
  auto result = load_model_config(path_);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(result.error().message.find(path_.string()), std::string::npos);

  path_ = write_text("[1, 2, 3]");
  result = load_model_config(path_);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("not a JSON object"), std::string::npos);

  result = load_model_config(dir_ / "nowhere" / "config.json");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("nowhere/config.json"), std::string::npos);
  EXPECT_NE(result.error().message.find("cannot read"), std::string::npos);

  path_ = write_text("");
  fs::resize_file(path_, 40 << 20);  // sparse: no disk is written
  result = load_model_config(path_);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("a few kilobytes"), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace attnviz

// Model discovery on a fake Hugging Face cache laid out like the real one: snapshot files are
// symlinks into ../../blobs, found through $HF_HOME.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "core/model_discovery.h"
#include "core/models/architecture.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    root_ = fs::temp_directory_path() / ("attnviz_discovery_" + std::to_string(random()));
    hub_ = root_ / "hf_home" / "hub";
    fs::create_directories(hub_);
    // Keep the machine's own settings out of the test.
    saved_ = {{"HF_HOME", env("HF_HOME")}, {"HF_HUB_CACHE", env("HF_HUB_CACHE")}};
    setenv("HF_HOME", (root_ / "hf_home").c_str(), 1);
    unsetenv("HF_HUB_CACHE");
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  static std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
  }

  // Adds a snapshot whose files are links into the repo's blobs folder, like huggingface_hub.
  // A file whose content is empty is linked to a blob that does not exist (a broken link).
  void add_snapshot(const std::string& repo_id, const std::string& revision,
                    const std::map<std::string, std::string>& files) {
    std::string folder = "models--" + repo_id;
    for (size_t at = folder.find('/'); at != std::string::npos; at = folder.find('/'))
      folder.replace(at, 1, "--");
    const fs::path repo = hub_ / folder;
    fs::create_directories(repo / "blobs");
    fs::create_directories(repo / "snapshots" / revision);
    fs::create_directories(repo / "refs");
    std::ofstream(repo / "refs" / "main") << revision;
    int counter = 0;
    for (const auto& [name, content] : files) {
      const std::string blob = revision + "blob" + std::to_string(counter++);
      if (!content.empty()) std::ofstream(repo / "blobs" / blob) << content;
      fs::create_symlink(fs::path("..") / ".." / "blobs" / blob,
                         repo / "snapshots" / revision / name);
    }
  }

  static const DiscoveredModel* find(const std::vector<DiscoveredModel>& models,
                                     const std::string& name) {
    for (const DiscoveredModel& model : models)
      if (model.name == name) return &model;
    return nullptr;
  }

  fs::path root_, hub_;
  std::map<std::string, std::string> saved_;
};

const std::string kGpt2Config = R"({"model_type": "gpt2", "n_layer": 2})";
const std::string kBertConfig = R"({"model_type": "bert"})";

TEST_F(DiscoveryTest, FindsAndClassifiesHubSnapshots) {
  add_snapshot("openai-community/gpt2", "aaa111",
               {{"config.json", kGpt2Config},
                {"model.safetensors", "weights"},
                {"vocab.json", "{}"},
                {"merges.txt", "#version: 0.2\n"}});
  add_snapshot(
      "google-bert/bert-base-uncased", "bbb222",
      {{"config.json", kBertConfig}, {"model.safetensors", "w"}, {"vocab.txt", "[PAD]\n"}});
  add_snapshot("meta-llama/Llama-3.2-1B", "ccc333",
               {{"config.json", R"({"model_type": "llama"})"},
                {"model.safetensors", "w"},
                {"tokenizer.json", "{}"}});
  add_snapshot("someone/old-gpt2", "ddd444",
               {{"config.json", kGpt2Config},
                {"pytorch_model.bin", "w"},
                {"vocab.json", "{}"},
                {"merges.txt", ""}});
  add_snapshot("someone/no-config", "eee555", {{"model.safetensors", "w"}});
  add_snapshot("state-spaces/mamba", "iii999",
               {{"config.json", R"({"model_type": "mamba"})"}, {"model.safetensors", "w"}});
  add_snapshot("someone/interrupted", "fff666",
               {{"config.json", kGpt2Config}, {"model.safetensors", ""}, {"tokenizer.json", "{}"}});
  add_snapshot("someone/sharded-bert", "ggg777",
               {{"config.json", kBertConfig},
                {"model.safetensors.index.json", "{}"},
                {"tokenizer.json", "{}"}});
  add_snapshot("gpt2", "hhh888", {{"config.json", "{not json"}});
  fs::create_directories(hub_ / "datasets--someone--data" / "snapshots" / "x");
  fs::create_directories(hub_ / ".locks");

  EXPECT_EQ(default_hub_cache(), hub_);
  const std::vector<DiscoveredModel> models = discover_models();
  ASSERT_EQ(models.size(), 9u);
  for (size_t i = 1; i < models.size(); ++i)
    EXPECT_LE(models[i - 1].name, models[i].name) << "sorted by name";

  const DiscoveredModel* gpt2 = find(models, "openai-community/gpt2");
  ASSERT_NE(gpt2, nullptr);
  EXPECT_TRUE(gpt2->supported) << gpt2->reason;
  EXPECT_EQ(gpt2->revision, "aaa111");
  EXPECT_EQ(gpt2->model_type, "gpt2");
  EXPECT_EQ(gpt2->path, hub_ / "models--openai-community--gpt2" / "snapshots" / "aaa111");

  const DiscoveredModel* bert = find(models, "google-bert/bert-base-uncased");
  ASSERT_NE(bert, nullptr);
  EXPECT_TRUE(bert->supported) << bert->reason;
  EXPECT_TRUE(find(models, "someone/sharded-bert")->supported);

  const auto reason = [&](const std::string& name) {
    const DiscoveredModel* model = find(models, name);
    return model ? (model->supported ? std::string("supported") : model->reason) : "missing";
  };
  EXPECT_TRUE(find(models, "meta-llama/Llama-3.2-1B")->supported);
  EXPECT_EQ(find(models, "meta-llama/Llama-3.2-1B")->family, "Llama");
  EXPECT_EQ(reason("state-spaces/mamba"), "model_type mamba is not supported (attnviz runs " +
                                              supported_model_types() + ")");
  EXPECT_EQ(reason("someone/old-gpt2"), "only pytorch_model.bin, attnviz reads safetensors");
  EXPECT_EQ(reason("someone/no-config"), "no config.json");
  EXPECT_EQ(reason("someone/interrupted"), "model.safetensors was not downloaded (broken link)");
  EXPECT_EQ(reason("gpt2").rfind("config.json: not valid JSON (", 0), 0u) << reason("gpt2");
}

TEST_F(DiscoveryTest, HubCacheVariableWinsAndExtraFolders) {
  add_snapshot(
      "openai-community/gpt2", "aaa111",
      {{"config.json", kGpt2Config}, {"model.safetensors", "w"}, {"tokenizer.json", "{}"}});
  // HF_HUB_CACHE points elsewhere (empty): the HF_HOME cache is not read.
  fs::create_directories(root_ / "other_hub");
  setenv("HF_HUB_CACHE", (root_ / "other_hub").c_str(), 1);
  EXPECT_TRUE(discover_models().empty());

  // Extra folders: the real hub folder, a model folder, and a folder of model folders.
  const fs::path fixtures = ATTNVIZ_TEST_DATA;
  const std::vector<fs::path> extra = {hub_, fixtures / "gpt2-tiny" / "model",
                                       fixtures / "bert-tiny", root_ / "does-not-exist"};
  const std::vector<DiscoveredModel> models = discover_models(extra);
  ASSERT_EQ(models.size(), 3u);
  // Named by their parent folder, not "model" (issue 11: every model was called "model").
  EXPECT_EQ(models[0].name, "bert-tiny");
  EXPECT_EQ(models[1].name, "gpt2-tiny");
  for (const DiscoveredModel& model : models) EXPECT_TRUE(model.supported) << model.reason;
  EXPECT_NE(find(models, "openai-community/gpt2"), nullptr);
}

// Link loops anywhere in the cache or an extra folder are skipped with a row that says so; the
// good snapshot beside them is still found, and nothing recurses without end.
TEST_F(DiscoveryTest, SymlinkLoopsAreSkippedWithAMessage) {
  add_snapshot(
      "openai-community/gpt2", "aaa111",
      {{"config.json", kGpt2Config}, {"model.safetensors", "w"}, {"tokenizer.json", "{}"}});
  // A snapshot that links to itself, a repo folder that links to itself, a snapshot whose
  // config.json links to itself, and a snapshot that links back to its own repo folder.
  const fs::path repo = hub_ / "models--openai-community--gpt2";
  fs::create_symlink("selfloop", repo / "snapshots" / "selfloop");
  fs::create_symlink("models--someone--loop", hub_ / "models--someone--loop");
  fs::create_directories(repo / "snapshots" / "bbb222");
  fs::create_symlink("config.json", repo / "snapshots" / "bbb222" / "config.json");
  fs::create_symlink("../..", repo / "snapshots" / "up");
  // An extra folder of model folders with a loop in it.
  fs::create_directories(root_ / "mine");
  fs::create_symlink("a", root_ / "mine" / "b");
  fs::create_symlink("b", root_ / "mine" / "a");

  const std::vector<fs::path> extra = {root_ / "mine"};
  const std::vector<DiscoveredModel> models = discover_models(extra);
  const auto row = [&](const std::string& name, const std::string& revision) {
    for (const DiscoveredModel& model : models)
      if (model.name == name && model.revision == revision) return &model;
    return static_cast<const DiscoveredModel*>(nullptr);
  };
  ASSERT_NE(row("openai-community/gpt2", "aaa111"), nullptr);
  EXPECT_TRUE(row("openai-community/gpt2", "aaa111")->supported);
  for (const DiscoveredModel& model : models) {
    if (model.supported) continue;
    std::cout << "  " << model.name << " " << model.revision << ": " << model.reason << "\n";
  }
  const auto reason_of = [&](const std::string& name, const std::string& path_end) {
    for (const DiscoveredModel& model : models)
      if (model.name == name && model.path.filename() == path_end) return model.reason;
    return std::string("missing");
  };
  EXPECT_EQ(reason_of("openai-community/gpt2", "selfloop"),
            "selfloop is a symbolic link loop; skipped");
  EXPECT_EQ(reason_of("someone/loop", "models--someone--loop"),
            "models--someone--loop is a symbolic link loop; skipped");
  EXPECT_EQ(row("openai-community/gpt2", "bbb222")->reason, "config.json is a symbolic link loop");
  EXPECT_EQ(row("openai-community/gpt2", "up")->reason, "no config.json");
  EXPECT_EQ(reason_of("a", "a"), "a is a symbolic link loop; skipped");
  EXPECT_EQ(reason_of("b", "b"), "b is a symbolic link loop; skipped");
}

TEST_F(DiscoveryTest, MissingCacheIsEmptyNotAnError) {
  setenv("HF_HOME", (root_ / "nothing-here").c_str(), 1);
  EXPECT_TRUE(discover_models().empty());
}

TEST(ClassifyModelFolder, Fixtures) {
  const fs::path fixtures = ATTNVIZ_TEST_DATA;
  DiscoveredModel gpt2 = classify_model_folder(fixtures / "gpt2-tiny" / "model");
  EXPECT_TRUE(gpt2.supported) << gpt2.reason;
  EXPECT_EQ(gpt2.model_type, "gpt2");
  DiscoveredModel bert = classify_model_folder(fixtures / "bert-tiny" / "model");
  EXPECT_TRUE(bert.supported) << bert.reason;
  EXPECT_EQ(bert.model_type, "bert");
  EXPECT_EQ(gpt2.description.rfind("GPT-2, ", 0), 0u) << gpt2.description;
}

// The modern fixtures are listed as supported, described by family, size and precision.
TEST(ClassifyModelFolder, ModernFamiliesWithTheirCards) {
  const fs::path modern = fs::path(ATTNVIZ_TEST_DATA) / "modern";
  const std::tuple<const char*, const char*, const char*> expected[] = {
      {"llama3-tiny", "Llama", "BF16"},   {"qwen2-tiny", "Qwen 2", "F16"},
      {"gemma2-tiny", "Gemma 2", "F32"},  {"gemma3-tiny", "Gemma 3", "BF16"},
      {"phi3-tiny", "Phi-3", "BF16"},     {"gpt-neox-tiny", "GPT-NeoX", "F16"}};
  for (const auto& [name, family, precision] : expected) {
    const DiscoveredModel model = classify_model_folder(modern / name / "model");
    EXPECT_TRUE(model.supported) << name << ": " << model.reason;
    EXPECT_EQ(model.family, family);
    EXPECT_EQ(model.precision, precision) << name;
    EXPECT_GT(model.parameters, 100000u) << name;
    EXPECT_NE(model.description.find(" parameters, "), std::string::npos) << model.description;
  }
}

}  // namespace
}  // namespace attnviz

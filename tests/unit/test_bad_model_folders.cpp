// Model folders that are wrong in the ways real downloads go wrong: each must give an Error
// that names the file and the problem, never a crash, and never a large allocation first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "model_test_support.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

// A copy of a fixture model folder to break, removed afterwards.
class BrokenFolder {
 public:
  BrokenFolder(const std::string& fixture_name, const std::string& tag)
      : path_(fs::temp_directory_path() /
              ("attnviz_bad_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
    for (const auto& entry : fs::directory_iterator(test::fixture(fixture_name) / "model"))
      fs::copy_file(entry.path(), path_ / entry.path().filename());
  }
  ~BrokenFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

  nlohmann::json config() const {
    std::ifstream in(path_ / "config.json");
    return nlohmann::json::parse(in);
  }
  void set_config(const nlohmann::json& config) const {
    std::ofstream(path_ / "config.json") << config.dump(2);
  }
  // Rewrites model.safetensors after `edit` changed the list of tensors.
  void edit_weights(const std::function<void(std::vector<TensorToWrite>&)>& edit) const {
    std::vector<TensorToWrite> tensors;
    {
      auto file = SafetensorsFile::open(path_ / "model.safetensors");
      ASSERT_TRUE(file.ok());
      for (const TensorInfo& info : file->tensors()) {
        auto bytes = file->read_bytes(info);
        ASSERT_TRUE(bytes.ok());
        tensors.push_back({info.name, info.dtype, info.shape, std::move(bytes).value()});
      }
    }
    edit(tensors);
    Status written = write_safetensors(path_ / "model.safetensors", tensors);
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

 private:
  fs::path path_;
};

TensorToWrite* find(std::vector<TensorToWrite>& tensors, const std::string& name) {
  for (auto& t : tensors)
    if (t.name == name) return &t;
  ADD_FAILURE() << "fixture has no tensor " << name;
  return nullptr;
}

// The error of loading `folder`; fails the test if it loads.
std::string load_error(const fs::path& folder) {
  auto model = Model::load(folder);
  EXPECT_FALSE(model.ok()) << folder << " loaded although it is broken";
  if (!model.ok()) std::cout << "  error: " << model.error().message << "\n";
  return model.ok() ? "" : model.error().message;
}

void expect_mentions(const std::string& message, std::initializer_list<const char*> words) {
  for (const char* word : words)
    EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
}

// Peak resident memory of this process in kB (VmHWM).
long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(BadModelFolders, NotAFolder) {
  expect_mentions(load_error(test::fixture("gpt2-tiny") / "does-not-exist"), {"does-not-exist"});
  expect_mentions(load_error(test::fixture("gpt2-tiny") / "model" / "config.json"),
                  {"not a folder"});
}

TEST(BadModelFolders, MissingConfig) {
  BrokenFolder folder("gpt2-tiny", "no_config");
  fs::remove(folder.path() / "config.json");
  expect_mentions(load_error(folder.path()), {"config.json"});
}

TEST(BadModelFolders, MissingWeights) {
  BrokenFolder folder("bert-tiny", "no_weights");
  fs::remove(folder.path() / "model.safetensors");
  expect_mentions(load_error(folder.path()), {"model.safetensors"});
}

TEST(BadModelFolders, MissingTokenizerFiles) {
  BrokenFolder gpt2("gpt2-tiny", "no_bpe");
  for (const char* file : {"vocab.json", "merges.txt", "tokenizer.json"})
    fs::remove(gpt2.path() / file);
  const std::string gpt2_error = load_error(gpt2.path());
  EXPECT_TRUE(gpt2_error.find("vocab.json") != std::string::npos ||
              gpt2_error.find("tokenizer.json") != std::string::npos)
      << gpt2_error;
  BrokenFolder bert("bert-tiny", "no_wordpiece");
  for (const char* file : {"vocab.txt", "tokenizer.json"}) fs::remove(bert.path() / file);
  const std::string bert_error = load_error(bert.path());
  EXPECT_TRUE(bert_error.find("vocab.txt") != std::string::npos ||
              bert_error.find("tokenizer.json") != std::string::npos)
      << bert_error;
}

TEST(BadModelFolders, TensorWithWrongShape) {
  BrokenFolder folder("gpt2-tiny", "wrong_shape");
  folder.edit_weights([](std::vector<TensorToWrite>& tensors) {
    TensorToWrite* t = find(tensors, "h.0.ln_1.weight");
    t->shape = {31};
    t->bytes.resize(31 * 4);
  });
  expect_mentions(load_error(folder.path()),
                  {"model.safetensors", "h.0.ln_1.weight", "[31]", "expected [32]"});

  BrokenFolder bert("bert-tiny", "wrong_shape_bert");
  bert.edit_weights([](std::vector<TensorToWrite>& tensors) {
    TensorToWrite* t = find(tensors, "encoder.layer.1.attention.self.query.weight");
    t->shape = {16, 64};  // same element count, wrong shape
  });
  expect_mentions(load_error(bert.path()),
                  {"encoder.layer.1.attention.self.query.weight", "[16, 64]", "[32, 32]"});
}

TEST(BadModelFolders, MissingTensor) {
  BrokenFolder folder("gpt2-tiny", "missing_tensor");
  folder.edit_weights([](std::vector<TensorToWrite>& tensors) {
    std::erase_if(tensors, [](const TensorToWrite& t) { return t.name == "h.1.mlp.c_fc.bias"; });
  });
  expect_mentions(load_error(folder.path()), {"h.1.mlp.c_fc.bias", "missing"});
}

// The embedding has more rows than the tokenizer has tokens, and the other way round.
// The embedding may have more rows than the tokenizer has ids (Qwen pads its vocabulary), never
// fewer: an id without a row is refused, naming the tokenizer file and both counts.
TEST(BadModelFolders, VocabularyAndEmbeddingDisagree) {
  for (int rows : {50300, 50000}) {
    BrokenFolder folder("gpt2-tiny", "vocab_" + std::to_string(rows));
    nlohmann::json config = folder.config();
    config["vocab_size"] = rows;
    folder.set_config(config);
    folder.edit_weights([rows](std::vector<TensorToWrite>& tensors) {
      TensorToWrite* wte = find(tensors, "wte.weight");
      wte->shape = {static_cast<uint64_t>(rows), 32};
      wte->bytes.resize(static_cast<size_t>(rows) * 32 * 4);
    });
    if (rows > 50257) {
      auto model = Model::load(folder.path());
      ASSERT_TRUE(model.ok()) << model.error().message;
      EXPECT_EQ((*model)->config().vocab_size, rows);
      EXPECT_EQ((*model)->tokenizer().vocab_size(), 50257);
    } else {
      // An id without a row is caught by the tokenizer loader, naming the tokenizer's file.
      expect_mentions(load_error(folder.path()),
                      {"tokenizer", "50257", std::to_string(rows).c_str()});
    }
  }
}

TEST(BadModelFolders, AbsurdConfigFailsBeforeAllocating) {
  // Beyond the config loader's limits, and (the last) within them but 32 GB of weights that the
  // tiny file cannot hold: the shape check must stop it before anything is allocated.
  const nlohmann::json patches[] = {
      {{"n_embd", 1 << 20}},
      {{"n_layer", 100000}},
      {{"vocab_size", 2000000000}},
      {{"n_inner", 1 << 30}},
      {{"n_embd", 4096}, {"n_layer", 40}, {"n_head", 32}},
  };
  int index = 0;
  for (const nlohmann::json& patch : patches) {
    BrokenFolder folder("gpt2-tiny", "absurd_" + std::to_string(index++));
    nlohmann::json config = folder.config();
    config.update(patch);
    folder.set_config(config);
    const long before = peak_rss_kb();
    const std::string message = load_error(folder.path());
    const long after = peak_rss_kb();
    EXPECT_FALSE(message.empty()) << patch.dump();
    EXPECT_LT(after - before, 200 * 1024)
        << patch.dump() << ": peak memory grew by " << (after - before)
        << " kB before the error: " << message;
  }
}

TEST(BadModelFolders, UnsupportedDtype) {
  BrokenFolder folder("gpt2-tiny", "int_weight");
  folder.edit_weights([](std::vector<TensorToWrite>& tensors) {
    find(tensors, "wpe.weight")->dtype = DType::kI32;  // same size, integer dtype
  });
  expect_mentions(load_error(folder.path()), {"model.safetensors", "wpe.weight", "I32"});
}

}  // namespace
}  // namespace attnviz

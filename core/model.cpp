// Model::load: config.json decides the family through the architecture table; the tokenizer,
// the tensor shapes and the vocabulary are checked before any weight is read.
#include "core/model.h"

#include <cstdlib>
#include <system_error>

#include "core/models/architecture.h"
#include "core/safetensors.h"
#include "core/tokenizer_loader.h"
#include "core/transformer_model.h"
#include "core/weight_registry.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
  std::error_code ignored;
  return fs::is_regular_file(path, ignored);
}

// Stands in for a tokenizer that could not be read (LoadOptions::require_tokenizer false):
// names ids, refuses text with the reason.
class IdsOnlyTokenizer final : public Tokenizer {
 public:
  IdsOnlyTokenizer(int32_t vocab, std::string reason) : vocab_(vocab), reason_(std::move(reason)) {}
  Result<std::vector<Token>> encode(std::string_view) const override {
    return make_error("this model was loaded without its tokenizer: " + reason_);
  }
  std::string decode(std::span<const int32_t> ids) const override {
    std::string out;
    for (int32_t id : ids) out += token_text(id);
    return out;
  }
  std::string token_text(int32_t id) const override {
    std::string text = "#";
    text += std::to_string(id);
    return text;
  }
  int32_t vocab_size() const override { return vocab_; }

 private:
  int32_t vocab_;
  std::string reason_;
};

// The tokenizer file a person would look at when the vocabulary and the weights disagree.
fs::path vocabulary_file(const fs::path& folder, TokenizerKind kind) {
  if (kind == TokenizerKind::kByteLevelBpe && is_file(folder / "vocab.json"))
    return folder / "vocab.json";
  if (kind == TokenizerKind::kWordPiece && is_file(folder / "vocab.txt"))
    return folder / "vocab.txt";
  return folder / "tokenizer.json";
}

}  // namespace

std::unique_ptr<Tokenizer> ids_only_tokenizer(int32_t vocab, std::string reason) {
  return std::make_unique<IdsOnlyTokenizer>(vocab, std::move(reason));
}

Result<std::shared_ptr<Model>> Model::load(const fs::path& folder, const LoadOptions& options) {
  std::error_code error;
  if (!fs::is_directory(folder, error))
    return make_error(folder.string() +
                      ": not a folder; a model folder holds config.json, "
                      "model.safetensors and the tokenizer files");
  Result<ModelConfig> config = load_model_config(folder / "config.json");
  if (!config.ok()) return config.error();
  const ArchitectureRow& row = architecture_row(config->architecture);

  // PyTorch pickles are code, not data: attnviz reads only safetensors.
  if (!is_file(folder / "model.safetensors") && !is_file(folder / "model.safetensors.index.json")) {
    for (const char* pickle : {"pytorch_model.bin", "pytorch_model.bin.index.json"})
      if (is_file(folder / pickle))
        return make_error((folder / pickle).string() +
                          ": the weights are a PyTorch pickle; attnviz reads only safetensors "
                          "(model.safetensors). Download the safetensors files of this model, or "
                          "convert it with transformers' save_pretrained(safe_serialization=True)");
  }

  Result<std::unique_ptr<Tokenizer>> tokenizer = load_tokenizer(folder, row.tokenizer);
  if (!tokenizer.ok()) {
    if (options.require_tokenizer) return tokenizer.error();
    tokenizer = ids_only_tokenizer(config->vocab_size, tokenizer.error().message);
  }
  // The embedding may have more rows than the tokenizer has ids (Qwen pads 151665 to 151936),
  // never fewer: every id the tokenizer gives must have a row.
  const int32_t tokenizer_vocab = (*tokenizer)->vocab_size();
  if (tokenizer_vocab > config->vocab_size)
    return make_error(vocabulary_file(folder, row.tokenizer).string() + " has " +
                      std::to_string(tokenizer_vocab) + " token ids but the embedding has only " +
                      std::to_string(config->vocab_size) +
                      " rows (config.json vocab_size); the tokenizer files and the weights must "
                      "come from the same model");

  Result<TensorStore> store = TensorStore::open_folder(folder);
  if (!store.ok()) return store.error();
  Result<ModelWeights> weights = load_weights(*store, *config);
  if (!weights.ok()) return weights.error();
  return std::shared_ptr<Model>(TransformerModel::create(
      std::move(config).value(), std::move(weights).value(), std::move(tokenizer).value(), folder));
}

fs::path builtin_model_folder() {
  if (const char* from_environment = std::getenv("ATTNVIZ_MODEL_DIR");
      from_environment && *from_environment)
    return from_environment;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path exe_dir = exe.parent_path();
    const fs::path beside = exe_dir / "assets" / "model";
    if (fs::exists(beside / "config.json", error)) return beside;
    const fs::path installed = exe_dir / ".." / "share" / "attnviz" / "assets" / "model";
    if (fs::exists(installed / "config.json", error)) return installed.lexically_normal();
  }
  return fs::path(ATTNVIZ_SOURCE_DIR) / "assets" / "model";
}

Result<std::vector<ReadOut>> Model::read_out(std::span<const float>, bool, int,
                                            std::span<const int32_t>) const {
  return make_error("the model " + config().name + " has no LM head to read the residual stream with");
}

}  // namespace attnviz

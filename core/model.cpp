// Model::load: config.json decides the architecture; the tokenizer, the tensor shapes and the
// vocabulary size are checked before any weight is read.
#include "core/model.h"

#include <cstdlib>
#include <system_error>

#include "core/bert_model.h"
#include "core/gpt2_model.h"
#include "core/safetensors.h"
#include "core/tokenizer_loader.h"
#include "core/weight_registry.h"

namespace attnviz {
namespace {

// The tokenizer file a person would look at when the vocabulary and the weights disagree.
std::filesystem::path vocabulary_file(const std::filesystem::path& folder, Architecture arch) {
  std::error_code ignored;
  const std::filesystem::path own =
      folder / (arch == Architecture::kGpt2 ? "vocab.json" : "vocab.txt");
  if (std::filesystem::exists(own, ignored)) return own;
  return folder / "tokenizer.json";
}

}  // namespace

Result<std::shared_ptr<Model>> Model::load(const std::filesystem::path& folder) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error))
    return make_error(folder.string() +
                      ": not a folder; a model folder holds config.json, "
                      "model.safetensors and the tokenizer files");
  Result<ModelConfig> config = load_model_config(folder / "config.json");
  if (!config.ok()) return config.error();

  Result<std::unique_ptr<Tokenizer>> tokenizer =
      load_tokenizer(folder, tokenizer_kind(config->architecture));
  if (!tokenizer.ok()) return tokenizer.error();
  const int32_t tokenizer_vocab = (*tokenizer)->vocab_size();
  if (tokenizer_vocab != config->vocab_size)
    return make_error(vocabulary_file(folder, config->architecture).string() + " has " +
                      std::to_string(tokenizer_vocab) + " tokens but the embedding has " +
                      std::to_string(config->vocab_size) +
                      " rows (config.json vocab_size); the tokenizer files and the weights "
                      "must come from the same model");

  Result<TensorStore> store = TensorStore::open_folder(folder);
  if (!store.ok()) return store.error();
  Result<WeightSet> weights = load_weights(*store, *config);
  if (!weights.ok()) return weights.error();

  if (config->architecture == Architecture::kGpt2)
    return std::shared_ptr<Model>(Gpt2Model::create(std::move(config).value(),
                                                    std::move(weights).value(),
                                                    std::move(tokenizer).value(), folder));
  return std::shared_ptr<Model>(BertModel::create(
      std::move(config).value(), std::move(weights).value(), std::move(tokenizer).value(), folder));
}

std::filesystem::path builtin_model_folder() {
  if (const char* from_environment = std::getenv("ATTNVIZ_MODEL_DIR");
      from_environment && *from_environment)
    return from_environment;
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path exe_dir = exe.parent_path();
    const std::filesystem::path beside = exe_dir / "assets" / "model";
    if (std::filesystem::exists(beside / "config.json", error)) return beside;
    const std::filesystem::path installed =
        exe_dir / ".." / "share" / "attnviz" / "assets" / "model";
    if (std::filesystem::exists(installed / "config.json", error))
      return installed.lexically_normal();
  }
  return std::filesystem::path(ATTNVIZ_SOURCE_DIR) / "assets" / "model";
}

}  // namespace attnviz

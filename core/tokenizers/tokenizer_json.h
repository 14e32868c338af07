// Reads a Hugging Face tokenizer.json into a TokenizerPipeline, with the fields, defaults and
// id rules of HF tokenizers' deserializers, and tokenizer_config.json's say on BOS/EOS as
// transformers applies it. What attnviz cannot run exactly (Unigram and WordLevel models,
// BPE-dropout, the Precompiled normalizer...) is an error naming the file, the field and what
// is supported.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/tokenizers/hf_tokenizer.h"

namespace attnviz {

// Largest files read: real tokenizer.json files are up to ~35 MB (Gemma 3), tokenizer configs
// up to a few MB (chat templates, added_tokens_decoder).
inline constexpr uint64_t kMaxTokenizerJsonBytes = uint64_t(128) << 20;
inline constexpr uint64_t kMaxTokenizerConfigBytes = uint64_t(32) << 20;
// The largest public vocabularies have about 260,000 entries (Gemma 3).
inline constexpr size_t kMaxVocabularyEntries = size_t(1) << 22;

// What tokenizer_config.json (and special_tokens_map.json) says about special tokens.
struct TokenizerConfig {
  std::string tokenizer_class;  // "LlamaTokenizerFast", "PreTrainedTokenizerFast", ...
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;
  std::optional<std::string> unk_token;
  std::optional<std::string> cls_token;
  std::optional<std::string> sep_token;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  // BertTokenizer's arguments, which its fast tokenizer writes into the BertNormalizer.
  std::optional<bool> do_lower_case;
  std::optional<bool> strip_accents;
  std::optional<bool> tokenize_chinese_chars;
};

// Reads the folder's tokenizer_config.json and special_tokens_map.json (each optional; the
// former wins where both name a token). Errors name the file and the field.
Result<TokenizerConfig> read_tokenizer_config(const std::filesystem::path& model_folder);

// `config` is what the folder's tokenizer_config.json says (empty when it has none).
Result<std::unique_ptr<HfTokenizer>> load_tokenizer_json(const std::filesystem::path& path,
                                                         const TokenizerConfig& config);

// A {token: id} object (tokenizer.json's model.vocab, GPT-2's vocab.json). Ids must be below
// 2 x entries + 256 (a file whose ids run far past its entries is damaged, and would size
// tables by its largest id); two tokens with one id are refused.
Result<StringMap<int32_t>> read_vocab_object(const nlohmann::json& vocab, const std::string& where);

// A path for a message: escape_invalid_utf8 of its bytes ("\\xFF"), as every reader of core/
// names files.
std::string display_path(const std::filesystem::path& path);

}  // namespace attnviz

// Finds and reads the tokenizer files of a Hugging Face model folder. Every format becomes the
// same tokenizer pipeline (core/tokenizers/hf_tokenizer.h), run as HF tokenizers runs it:
//
// - tokenizer.json (+ tokenizer_config.json, special_tokens_map.json): any BPE or WordPiece
//   tokenizer of the families attnviz knows (GPT-2, BERT, Llama 2/3, Mistral, Qwen 2/3,
//   Gemma 2/3, Phi-3, GPT-NeoX), with tokenizer_config.json deciding BOS/EOS as transformers
//   does;
// - GPT-2's vocab.json + merges.txt (<|endoftext|> a special added token when in the vocab);
// - BERT's vocab.txt, with do_lower_case / strip_accents / tokenize_chinese_chars from
//   tokenizer_config.json when present (lower-case by default).
//
// Ids are bounded by the number of vocabulary entries and, when the folder's config.json gives
// vocab_size, by it. Every error names the file and what is wrong with it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/model_config.h"
#include "core/result.h"
#include "core/tokenizer.h"
#include "core/tokenizers/hf_tokenizer.h"

namespace attnviz {

// Which tokenizer files a model family reads (a column of the architecture table).
enum class TokenizerKind {
  kByteLevelBpe,   // GPT-2: tokenizer.json, else vocab.json + merges.txt
  kWordPiece,      // BERT: tokenizer.json, else vocab.txt (+ tokenizer_config.json options)
  kTokenizerJson,  // modern families: tokenizer.json (+ tokenizer_config.json), nothing else
};

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& model_folder,
                                                  TokenizerKind kind);

// BERT's tokenizer settings that vocab.txt cannot hold (transformers' BertTokenizer arguments).
struct WordPieceOptions {
  bool lower_case = true;             // do_lower_case
  std::optional<bool> strip_accents;  // unset: follows lower_case (HF's rule)
  bool handle_chinese_chars = true;   // tokenize_chinese_chars
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
};

// The individual readers, for tests and tools that want one format in particular.
Result<std::unique_ptr<HfTokenizer>> load_bpe_vocab_merges(const std::filesystem::path& vocab_json,
                                                           const std::filesystem::path& merges_txt);
Result<std::unique_ptr<HfTokenizer>> load_wordpiece_vocab_txt(
    const std::filesystem::path& vocab_txt, const WordPieceOptions& options);
// tokenizer.json alone, as if the folder had no tokenizer_config.json.
Result<std::unique_ptr<HfTokenizer>> load_tokenizer_json_file(
    const std::filesystem::path& tokenizer_json);

}  // namespace attnviz

// Finds and reads the tokenizer files of a Hugging Face model folder.
//
// GPT-2: tokenizer.json (what HF's fast tokenizer reads, with its added_tokens) or else
// vocab.json + merges.txt (<|endoftext|> becomes a special added token when in the vocab).
// BERT: tokenizer.json or else vocab.txt, with do_lower_case / strip_accents /
// tokenize_chinese_chars from tokenizer_config.json when present (lower-case by default).
// Every error names the file and what is wrong with it.
#pragma once

#include <filesystem>
#include <memory>

#include "core/bpe_tokenizer.h"
#include "core/model_config.h"
#include "core/result.h"
#include "core/tokenizer.h"
#include "core/wordpiece_tokenizer.h"

namespace attnviz {

// Which tokenizer files a model family reads (a column of the architecture table).
enum class TokenizerKind {
  kByteLevelBpe,   // GPT-2: tokenizer.json, else vocab.json + merges.txt
  kWordPiece,      // BERT: tokenizer.json, else vocab.txt (+ tokenizer_config.json options)
  kTokenizerJson,  // modern families: tokenizer.json (+ tokenizer_config.json), nothing else
};

// The kind of GPT-2 and BERT checkpoints (the architecture table will hold this per family).
inline TokenizerKind tokenizer_kind(Architecture architecture) {
  return architecture == Architecture::kGpt2 ? TokenizerKind::kByteLevelBpe
                                             : TokenizerKind::kWordPiece;
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& model_folder,
                                                  TokenizerKind kind);

// The individual loaders, for tests and tools that want one format in particular.
Result<std::unique_ptr<BpeTokenizer>> load_bpe_vocab_merges(
    const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt);
Result<std::unique_ptr<BpeTokenizer>> load_bpe_tokenizer_json(
    const std::filesystem::path& tokenizer_json);
// `options` supplies what vocab.txt cannot say (lower-casing etc.).
Result<std::unique_ptr<WordPieceTokenizer>> load_wordpiece_vocab_txt(
    const std::filesystem::path& vocab_txt, const WordPieceOptions& options);
// Options come from the file's normalizer and post-processor; `defaults` fills what it lacks.
Result<std::unique_ptr<WordPieceTokenizer>> load_wordpiece_tokenizer_json(
    const std::filesystem::path& tokenizer_json, const WordPieceOptions& defaults);

}  // namespace attnviz

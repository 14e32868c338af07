#include "core/tokenizer_loader.h"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "core/json_read.h"
#include "core/tokenizers/bpe_model.h"
#include "core/tokenizers/tokenizer_json.h"
#include "core/tokenizers/wordpiece_model.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// vocab.json, merges.txt and vocab.txt of public models stay under a few MB; this only stops
// a wrong file from eating memory.
constexpr uint64_t kMaxVocabFileBytes = uint64_t(256) << 20;
constexpr uint64_t kMaxConfigJsonBytes = uint64_t(16) << 20;

bool has_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

Result<std::string> read_text_file(const fs::path& path) {
  const std::string name = display_path(path);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return make_error(name + ": missing file");
  if (fs::is_directory(status)) return make_error(name + " is a folder, expected a file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return make_error(name + ": cannot read the file size: " + ec.message());
  if (size > kMaxVocabFileBytes) {
    return make_error(name + ": " + std::to_string(size) + " bytes is more than the " +
                      std::to_string(kMaxVocabFileBytes) + " attnviz reads for a vocabulary");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(name + ": cannot open the file for reading");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    return make_error(name + ": could not read the whole file");
  }
  if (Status valid = unicode::validate_utf8(text); !valid.ok()) {
    return make_error(name + ": " + valid.error().message);
  }
  return text;
}

// Calls visit(line, number) for each line of a text file, without its line break (the last
// line may lack one); stops at the first Error visit returns.
template <class Visit>
Status for_each_line(std::string_view text, Visit visit) {
  size_t number = 1;
  for (size_t start = 0; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Status s = visit(line, number); !s.ok()) return s;
    start = end + 1;
  }
  return Ok{};
}

size_t count_lines(std::string_view text) {
  return size_t(std::count(text.begin(), text.end(), '\n')) + 1;
}

// The vocabulary size config.json gives (or its text_config for multimodal checkpoints), to
// bound the tokenizer's ids; nullopt when the folder has no readable config.json.
std::optional<int64_t> config_vocab_size(const fs::path& model_folder) {
  const fs::path config = model_folder / "config.json";
  if (!has_file(config)) return std::nullopt;
  auto parsed = read_json_file_bounded(config, kMaxConfigJsonBytes);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  for (const json* object :
       {&parsed.value(), parsed->contains("text_config") ? &(*parsed)["text_config"] : nullptr}) {
    if (object && object->is_object() && object->contains("vocab_size") &&
        (*object)["vocab_size"].is_number_integer()) {
      return (*object)["vocab_size"].get<int64_t>();
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<Tokenizer>> checked_against_config(
    Result<std::unique_ptr<HfTokenizer>> loaded, const fs::path& model_folder,
    const std::string& files) {
  if (!loaded.ok()) return loaded.error();
  const std::optional<int64_t> limit = config_vocab_size(model_folder);
  if (limit && (*loaded)->vocab_size() > *limit) {
    return make_error(files + ": the tokenizer has " + std::to_string((*loaded)->vocab_size()) +
                      " ids (up to " + std::to_string((*loaded)->vocab_size() - 1) + ") but " +
                      display_path(model_folder / "config.json") + " says vocab_size " +
                      std::to_string(*limit) + "; the tokenizer does not belong to this model");
  }
  return std::unique_ptr<Tokenizer>(std::move(loaded).value());
}

}  // namespace

Result<std::unique_ptr<HfTokenizer>> load_bpe_vocab_merges(const fs::path& vocab_json,
                                                           const fs::path& merges_txt) {
  const std::string files = display_path(vocab_json) + " + " + display_path(merges_txt);
  auto parsed = read_json_file_bounded(vocab_json, kMaxVocabFileBytes);
  if (!parsed.ok()) {
    std::error_code ec;
    if (!fs::exists(vocab_json, ec)) return make_error(display_path(vocab_json) + ": missing file");
    return make_error(unicode::display_bytes(parsed.error().message));
  }
  auto vocab = read_vocab_object(parsed.value(), display_path(vocab_json));
  if (!vocab.ok()) return vocab.error();
  auto text = read_text_file(merges_txt);
  if (!text.ok()) return text.error();
  const size_t lines = count_lines(text.value());
  if (lines > kMaxMergesPerEntry * vocab->size() + 1024) {
    return make_error(display_path(merges_txt) + ": " + std::to_string(lines) + " lines for a " +
                      "vocabulary of " + std::to_string(vocab->size()) + " entries; a BPE " +
                      "tokenizer has a few merges per entry, this file is damaged");
  }
  std::vector<BpeMerge> merges;
  std::vector<uint32_t> line_numbers;
  merges.reserve(lines);
  line_numbers.reserve(lines);
  Status parsed_lines =
      for_each_line(text.value(), [&](std::string_view line, size_t number) -> Status {
        if (line.empty() || line.starts_with("#version")) return Ok{};
        const size_t space = line.find(' ');
        if (space == std::string_view::npos ||
            line.find(' ', space + 1) != std::string_view::npos) {
          return make_error(display_path(merges_txt) + ": merge line malformed at line " +
                            std::to_string(number) +
                            ": expected two tokens separated by one space, " + "got '" +
                            unicode::display_bytes(line.substr(0, 200)) + "'");
        }
        merges.push_back({line.substr(0, space), line.substr(space + 1)});
        line_numbers.push_back(uint32_t(number));
        return Ok{};
      });
  if (!parsed_lines.ok()) return parsed_lines.error();

  TokenizerPipeline pipeline;
  auto gpt2_regex = TextPattern::regex(std::string(kGpt2Pattern));
  if (!gpt2_regex.ok()) return gpt2_regex.error();
  PreTokenizerStep byte_level;
  byte_level.kind = PreTokenizerStep::Kind::kByteLevel;
  byte_level.pattern = std::make_shared<const TextPattern>(std::move(gpt2_regex).value());
  pipeline.pre_tokenizer.steps.push_back(byte_level);
  const std::optional<int32_t> end_of_text = [&]() -> std::optional<int32_t> {
    auto it = vocab->find(std::string_view("<|endoftext|>"));
    return it == vocab->end() ? std::nullopt : std::optional<int32_t>(it->second);
  }();
  BpeOptions options;
  options.byte_level = true;
  auto model = BpeModel::create(std::move(vocab).value(), merges, options, [&](size_t rank) {
    return display_path(merges_txt) + ": line " + std::to_string(line_numbers[rank]);
  });
  if (!model.ok()) return model.error();
  pipeline.model = std::move(model).value();
  pipeline.byte_level = true;
  // GPT2Tokenizer's special token, matched in the text; it is also BOS, EOS and unk.
  if (end_of_text) {
    AddedTokenSpec token;
    token.content = "<|endoftext|>";
    token.id = *end_of_text;
    pipeline.added_tokens.push_back(token);
    pipeline.special_ids = {*end_of_text, *end_of_text, -1, *end_of_text};
  }
  return HfTokenizer::create(std::move(pipeline), files);
}

Result<std::unique_ptr<HfTokenizer>> load_wordpiece_vocab_txt(const fs::path& vocab_txt,
                                                              const WordPieceOptions& options) {
  const std::string name = display_path(vocab_txt);
  auto text = read_text_file(vocab_txt);
  if (!text.ok()) return text.error();
  // HF's WordPiece::read_file: the line number is the id, trailing whitespace is dropped, and
  // a repeated token keeps its last line.
  if (count_lines(text.value()) > kMaxVocabularyEntries) {
    return make_error(name + ": more than " + std::to_string(kMaxVocabularyEntries) +
                      " lines, more than attnviz reads for a vocabulary");
  }
  StringMap<int32_t> vocab;
  (void)for_each_line(text.value(), [&](std::string_view line, size_t number) -> Status {
    while (!line.empty()) {
      size_t start = line.size() - 1;
      while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
      if (!unicode::is_whitespace(unicode::decode_one(line, start).code_point)) break;
      line = line.substr(0, start);
    }
    vocab[std::string(line)] = int32_t(number - 1);
    return Ok{};
  });
  auto id_of = [&](const std::string& token) -> std::optional<int32_t> {
    auto it = vocab.find(token);
    return it == vocab.end() ? std::nullopt : std::optional<int32_t>(it->second);
  };
  TokenizerPipeline pipeline;
  // transformers' BertTokenizer special tokens, matched in the raw text.
  for (const std::string& special : {options.unk_token, options.sep_token, std::string("[PAD]"),
                                     options.cls_token, std::string("[MASK]")}) {
    if (auto id = id_of(special)) {
      AddedTokenSpec token;
      token.content = special;
      token.id = *id;
      pipeline.added_tokens.push_back(token);
    }
  }
  for (const std::string* required : {&options.unk_token, &options.cls_token, &options.sep_token}) {
    if (!id_of(*required)) {
      return make_error(name + ": the vocabulary has no '" + unicode::display_bytes(*required) +
                        "' token, which BERT needs");
    }
  }
  pipeline.prefix_ids = {*id_of(options.cls_token)};
  pipeline.suffix_ids = {*id_of(options.sep_token)};
  pipeline.special_ids = {-1, -1, id_of("[PAD]").value_or(-1), *id_of(options.unk_token)};
  NormalizerStep bert;
  bert.kind = NormalizerStep::Kind::kBert;
  bert.bert_lowercase = options.lower_case;
  bert.bert_strip_accents = options.strip_accents.value_or(options.lower_case);
  bert.bert_handle_chinese_chars = options.handle_chinese_chars;
  pipeline.normalizer.steps.push_back(bert);
  PreTokenizerStep bert_split;
  bert_split.kind = PreTokenizerStep::Kind::kBert;
  pipeline.pre_tokenizer.steps.push_back(bert_split);
  WordPieceModelOptions model_options;
  model_options.unk_token = options.unk_token;
  auto model = WordPieceModel::create(std::move(vocab), model_options);
  if (!model.ok()) return make_error(name + ": " + model.error().message);
  pipeline.model = std::move(model).value();
  pipeline.show_vocabulary_text = true;
  pipeline.wordpiece_prefix = model_options.continuing_subword_prefix;
  return HfTokenizer::create(std::move(pipeline), name);
}

Result<std::unique_ptr<HfTokenizer>> load_tokenizer_json_file(const fs::path& tokenizer_json) {
  return load_tokenizer_json(tokenizer_json, TokenizerConfig{});
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const fs::path& model_folder,
                                                  TokenizerKind kind) {
  std::error_code ec;
  if (!fs::is_directory(model_folder, ec)) {
    return make_error(display_path(model_folder) + ": not a folder (expected a model folder " +
                      "with config.json and tokenizer files)");
  }
  const fs::path tokenizer_json = model_folder / "tokenizer.json";
  if (has_file(tokenizer_json)) {
    auto config = read_tokenizer_config(model_folder);
    if (!config.ok()) return config.error();
    return checked_against_config(load_tokenizer_json(tokenizer_json, config.value()), model_folder,
                                  display_path(tokenizer_json));
  }
  if (kind == TokenizerKind::kTokenizerJson) {
    return make_error(display_path(tokenizer_json) + ": missing; this model family's " +
                      "tokenizer is read from tokenizer.json");
  }
  if (kind == TokenizerKind::kByteLevelBpe) {
    const fs::path vocab_json = model_folder / "vocab.json";
    const fs::path merges_txt = model_folder / "merges.txt";
    if (has_file(vocab_json) || has_file(merges_txt)) {
      return checked_against_config(load_bpe_vocab_merges(vocab_json, merges_txt), model_folder,
                                    display_path(vocab_json));
    }
    return make_error(display_path(model_folder) + ": no GPT-2 tokenizer: expected " +
                      "tokenizer.json or vocab.json + merges.txt");
  }
  const fs::path vocab_txt = model_folder / "vocab.txt";
  if (!has_file(vocab_txt)) {
    return make_error(display_path(model_folder) + ": no BERT tokenizer: expected " +
                      "tokenizer.json or vocab.txt");
  }
  auto config = read_tokenizer_config(model_folder);
  if (!config.ok()) return config.error();
  WordPieceOptions options;  // BERT lower-cases unless told otherwise
  options.lower_case = config->do_lower_case.value_or(true);
  options.strip_accents = config->strip_accents;
  options.handle_chinese_chars = config->tokenize_chinese_chars.value_or(true);
  for (auto [name, field] : {std::pair{&config->unk_token, &options.unk_token},
                             std::pair{&config->cls_token, &options.cls_token},
                             std::pair{&config->sep_token, &options.sep_token}}) {
    if (*name) *field = **name;
  }
  return checked_against_config(load_wordpiece_vocab_txt(vocab_txt, options), model_folder,
                                display_path(vocab_txt));
}

}  // namespace attnviz

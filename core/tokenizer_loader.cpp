#include "core/tokenizer_loader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Tokenizer files of public models stay under ~20 MB; this only stops a wrong file from
// eating memory.
constexpr uintmax_t kMaxTokenizerFileBytes = uintmax_t(1) << 30;
constexpr int64_t kMaxVocabularyId = (1 << 24) - 1;

std::string name_of(const fs::path& path) {
  return path.string();
}

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return make_error(name_of(path) + ": missing file");
  if (fs::is_directory(status)) return make_error(name_of(path) + " is a folder, expected a file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return make_error(name_of(path) + ": cannot read the file size: " + ec.message());
  if (size > kMaxTokenizerFileBytes) {
    return make_error(name_of(path) + ": " + std::to_string(size) +
                      " bytes is too large for a tokenizer file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(name_of(path) + ": cannot open the file for reading");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    return make_error(name_of(path) + ": could not read the whole file");
  }
  return text;
}

Result<json> read_json(const fs::path& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.error();
  try {
    return json::parse(text.value());
  } catch (const json::exception& e) {
    return make_error(name_of(path) + ": bad JSON: " + e.what());
  }
}

bool has_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A JSON string, or an HF AddedToken object {"content": ...}; nullopt otherwise.
std::optional<std::string> token_name(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return std::nullopt;
}

// Reads a {token: id} object (vocab.json, tokenizer.json's model.vocab).
Result<std::unordered_map<std::string, int32_t>> parse_vocab_object(const json& vocab,
                                                                    const std::string& where) {
  if (!vocab.is_object()) return make_error(where + " is not a JSON object of token -> id");
  std::unordered_map<std::string, int32_t> result;
  result.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer()) {
      return make_error(where + ": the id of token '" + token + "' is not an integer");
    }
    const int64_t value = id.get<int64_t>();
    if (value < 0 || value > kMaxVocabularyId) {
      return make_error(where + ": vocab id out of range: token '" + token + "' has id " +
                        std::to_string(value) + " (ids must be from 0 to " +
                        std::to_string(kMaxVocabularyId) + ")");
    }
    result.emplace(token, static_cast<int32_t>(value));
  }
  return result;
}

Result<std::vector<AddedToken>> parse_added_tokens(const json& root, const std::string& source) {
  std::vector<AddedToken> added;
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return added;
  const json& list = root["added_tokens"];
  if (!list.is_array()) return make_error(source + ": added_tokens is not a list");
  for (size_t k = 0; k < list.size(); ++k) {
    const json& entry = list[k];
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("content") || !entry["content"].is_string()) {
      return make_error(source + ": added_tokens[" + std::to_string(k) +
                        "] needs an integer id and a string content");
    }
    AddedToken token;
    token.id = static_cast<int32_t>(
        std::clamp<int64_t>(entry["id"].get<int64_t>(), -1, kMaxVocabularyId + 1));
    token.content = entry["content"].get<std::string>();
    token.special = entry.value("special", true);
    added.push_back(std::move(token));
  }
  return added;
}

// The "A B" of a legacy merge string: exactly two non-empty parts around one space.
bool split_merge(std::string_view line, std::pair<std::string, std::string>& merge) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= line.size() ||
      line.find(' ', space + 1) != std::string_view::npos) {
    return false;
  }
  merge = {std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
  return true;
}

// Bools of tokenizer_config.json (transformers' slow-tokenizer settings).
Result<WordPieceOptions> read_tokenizer_config_unchecked(const fs::path& path,
                                                         WordPieceOptions options) {
  Result<json> root = read_json(path);
  if (!root.ok()) return root.error();
  if (!root->is_object()) return make_error(name_of(path) + " is not a JSON object");
  const json& config = root.value();
  auto read_bool = [&](const char* key, bool& out) -> Status {
    if (!config.contains(key) || config[key].is_null()) return Ok{};
    if (!config[key].is_boolean()) {
      return make_error(name_of(path) + ": " + key + " must be true or false");
    }
    out = config[key].get<bool>();
    return Ok{};
  };
  if (Status s = read_bool("do_lower_case", options.lower_case); !s.ok()) return s.error();
  if (Status s = read_bool("tokenize_chinese_chars", options.handle_chinese_chars); !s.ok()) {
    return s.error();
  }
  if (config.contains("strip_accents") && !config["strip_accents"].is_null()) {
    bool strip = false;
    if (Status s = read_bool("strip_accents", strip); !s.ok()) return s.error();
    options.strip_accents = strip;
  }
  for (auto [key, field] :
       {std::pair{"unk_token", &options.unk_token}, std::pair{"cls_token", &options.cls_token},
        std::pair{"sep_token", &options.sep_token}}) {
    if (config.contains(key)) {
      if (auto name = token_name(config[key])) *field = *name;
    }
  }
  return options;
}

// Results of the concrete loaders as the Tokenizer interface.
template <class T>
Result<std::unique_ptr<Tokenizer>> as_tokenizer(Result<std::unique_ptr<T>> loaded) {
  if (!loaded.ok()) return loaded.error();
  return std::unique_ptr<Tokenizer>(std::move(loaded).value());
}

// nlohmann's accessors throw on a value of the wrong type ("lowercase": "yes"); a file of an
// unexpected shape is the user's problem to fix, reported as an Error, never a crash.
template <class Body>
auto catching_json_errors(const fs::path& path, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const json::exception& e) {
    return make_error(name_of(path) + ": unexpected content: " + e.what());
  }
}

Status require_type(const json& object, const char* expected, const std::string& where) {
  if (object.contains("type") && object["type"] != expected) {
    const std::string found =
        object["type"].is_string() ? object["type"].get<std::string>() : object["type"].dump();
    return make_error(where + " has type '" + found + "', expected '" + expected + "'");
  }
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<BpeTokenizer>> load_bpe_vocab_merges(const fs::path& vocab_json,
                                                            const fs::path& merges_txt) {
  BpeModelData data;
  {
    Result<json> vocab = read_json(vocab_json);
    if (!vocab.ok()) return vocab.error();
    auto parsed = parse_vocab_object(vocab.value(), name_of(vocab_json));
    if (!parsed.ok()) return parsed.error();
    data.vocab = std::move(parsed.value());
  }
  Result<std::string> merges = read_file(merges_txt);
  if (!merges.ok()) return merges.error();
  if (Status valid = unicode::validate_utf8(merges.value()); !valid.ok()) {
    return make_error(name_of(merges_txt) + ": " + valid.error().message);
  }
  std::istringstream lines(merges.value());
  std::string line;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    std::pair<std::string, std::string> merge;
    if (!split_merge(line, merge)) {
      return make_error(name_of(merges_txt) + ": merge line malformed at line " +
                        std::to_string(line_number) + ": expected two tokens separated by one " +
                        "space, got '" + line + "'");
    }
    data.merges.push_back(std::move(merge));
    data.merge_lines.push_back(line_number);
  }
  // GPT-2's end-of-text marker is a special token that HF matches in the text.
  if (auto it = data.vocab.find("<|endoftext|>"); it != data.vocab.end()) {
    data.added_tokens.push_back({"<|endoftext|>", it->second, true});
  }
  return BpeTokenizer::create(std::move(data), name_of(vocab_json) + " + " + name_of(merges_txt));
}

namespace {

Result<std::unique_ptr<BpeTokenizer>> bpe_tokenizer_json_unchecked(const fs::path& tokenizer_json) {
  const std::string source = name_of(tokenizer_json);
  Result<json> root = read_json(tokenizer_json);
  if (!root.ok()) return root.error();
  if (!root->is_object() || !root->contains("model") || !(*root)["model"].is_object()) {
    return make_error(source + ": no \"model\" object; not a Hugging Face tokenizer.json");
  }
  const json& model = (*root)["model"];
  if (Status s = require_type(model, "BPE", source + ": model"); !s.ok()) return s.error();
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty()) {
      return make_error(source + ": model." + key + " is set; attnviz reads GPT-2 style " +
                        "byte-level BPE only");
    }
  }
  if (root->contains("normalizer") && !(*root)["normalizer"].is_null()) {
    return make_error(source + ": has a normalizer; GPT-2's byte-level BPE has none, and " +
                      "attnviz does not apply one");
  }
  if (!root->contains("pre_tokenizer") || !(*root)["pre_tokenizer"].is_object() ||
      (*root)["pre_tokenizer"].value("type", "") != "ByteLevel") {
    return make_error(source + ": pre_tokenizer is not ByteLevel; attnviz reads GPT-2 style " +
                      "byte-level BPE only");
  }
  const json& pre = (*root)["pre_tokenizer"];
  if (pre.value("add_prefix_space", false) || !pre.value("use_regex", true)) {
    return make_error(source + ": ByteLevel with add_prefix_space or without use_regex is " +
                      "not supported (GPT-2 uses add_prefix_space false, use_regex true)");
  }

  BpeModelData data;
  if (!model.contains("vocab")) return make_error(source + ": model has no vocab");
  auto vocab = parse_vocab_object(model["vocab"], source + ": model.vocab");
  if (!vocab.ok()) return vocab.error();
  data.vocab = std::move(vocab.value());
  if (!model.contains("merges") || !model["merges"].is_array()) {
    return make_error(source + ": model.merges is missing or not a list");
  }
  const json& merges = model["merges"];
  data.merges.reserve(merges.size());
  for (size_t k = 0; k < merges.size(); ++k) {
    const json& entry = merges[k];
    std::pair<std::string, std::string> merge;
    bool ok = false;
    if (entry.is_string()) {
      ok = split_merge(entry.get<std::string>(), merge);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      merge = {entry[0].get<std::string>(), entry[1].get<std::string>()};
      ok = !merge.first.empty() && !merge.second.empty();
    }
    if (!ok) {
      return make_error(source + ": model.merges[" + std::to_string(k) + "] is malformed: " +
                        "expected [\"A\", \"B\"] or \"A B\", got " + entry.dump());
    }
    data.merges.push_back(std::move(merge));
  }
  data.ignore_merges = model.value("ignore_merges", false);
  auto added = parse_added_tokens(root.value(), source);
  if (!added.ok()) return added.error();
  data.added_tokens = std::move(added.value());
  return BpeTokenizer::create(std::move(data), source);
}

}  // namespace

Result<std::unique_ptr<WordPieceTokenizer>> load_wordpiece_vocab_txt(
    const fs::path& vocab_txt, const WordPieceOptions& options) {
  Result<std::string> text = read_file(vocab_txt);
  if (!text.ok()) return text.error();
  std::vector<std::string> id_to_token;
  std::istringstream lines(text.value());
  std::string line;
  while (std::getline(lines, line)) {
    // Trailing whitespace (a CR from Windows) is not part of the token, as in HF's reader.
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.pop_back();
    }
    if (Status valid = unicode::validate_utf8(line); !valid.ok()) {
      return make_error(name_of(vocab_txt) + ": line " + std::to_string(id_to_token.size() + 1) +
                        ": " + valid.error().message);
    }
    id_to_token.push_back(line);
    if (id_to_token.size() > size_t(kMaxVocabularyId) + 1) {
      return make_error(name_of(vocab_txt) + ": more than " + std::to_string(kMaxVocabularyId + 1) +
                        " lines; not a vocabulary");
    }
  }
  // transformers' BertTokenizer treats its special tokens as added tokens matched in the text.
  std::vector<AddedToken> added;
  for (const std::string& name : {options.unk_token, options.cls_token, options.sep_token,
                                  std::string("[PAD]"), std::string("[MASK]")}) {
    for (size_t id = 0; id < id_to_token.size(); ++id) {
      if (id_to_token[id] == name) {
        added.push_back({name, static_cast<int32_t>(id), true});
        break;
      }
    }
  }
  return WordPieceTokenizer::create(std::move(id_to_token), std::move(added), options,
                                    name_of(vocab_txt));
}

namespace {

Result<std::unique_ptr<WordPieceTokenizer>> wordpiece_tokenizer_json_unchecked(
    const fs::path& tokenizer_json, const WordPieceOptions& defaults) {
  const std::string source = name_of(tokenizer_json);
  Result<json> root = read_json(tokenizer_json);
  if (!root.ok()) return root.error();
  if (!root->is_object() || !root->contains("model") || !(*root)["model"].is_object()) {
    return make_error(source + ": no \"model\" object; not a Hugging Face tokenizer.json");
  }
  const json& model = (*root)["model"];
  if (Status s = require_type(model, "WordPiece", source + ": model"); !s.ok()) return s.error();
  WordPieceOptions options = defaults;
  if (auto unk = model.contains("unk_token") ? token_name(model["unk_token"]) : std::nullopt) {
    options.unk_token = *unk;
  }
  if (model.contains("continuing_subword_prefix") &&
      model["continuing_subword_prefix"].is_string()) {
    options.continuing_prefix = model["continuing_subword_prefix"].get<std::string>();
  }
  if (model.contains("max_input_chars_per_word")) {
    if (!model["max_input_chars_per_word"].is_number_integer() ||
        model["max_input_chars_per_word"].get<int64_t>() < 1) {
      return make_error(source + ": model.max_input_chars_per_word must be a positive integer");
    }
    options.max_input_chars_per_word = static_cast<int>(
        std::min<int64_t>(model["max_input_chars_per_word"].get<int64_t>(), 1 << 30));
  }

  if (root->contains("normalizer") && !(*root)["normalizer"].is_null()) {
    const json& normalizer = (*root)["normalizer"];
    if (!normalizer.is_object() || normalizer.value("type", "") != "BertNormalizer") {
      return make_error(source + ": normalizer " + normalizer.dump().substr(0, 80) +
                        " is not supported; attnviz applies BertNormalizer");
    }
    options.lower_case = normalizer.value("lowercase", options.lower_case);
    options.clean_text = normalizer.value("clean_text", options.clean_text);
    options.handle_chinese_chars =
        normalizer.value("handle_chinese_chars", options.handle_chinese_chars);
    if (normalizer.contains("strip_accents") && normalizer["strip_accents"].is_boolean()) {
      options.strip_accents = normalizer["strip_accents"].get<bool>();
    } else {
      options.strip_accents.reset();
    }
  }
  if (root->contains("pre_tokenizer") && !(*root)["pre_tokenizer"].is_null() &&
      (*root)["pre_tokenizer"].value("type", "") != "BertPreTokenizer") {
    return make_error(source + ": pre_tokenizer " + (*root)["pre_tokenizer"].dump().substr(0, 80) +
                      " is not supported; attnviz applies BertPreTokenizer");
  }
  if (root->contains("post_processor") && (*root)["post_processor"].is_object()) {
    const json& post = (*root)["post_processor"];
    if (post.value("type", "") == "BertProcessing") {
      for (auto [key, field] :
           {std::pair{"cls", &options.cls_token}, std::pair{"sep", &options.sep_token}}) {
        if (post.contains(key) && post[key].is_array() && !post[key].empty() &&
            post[key][0].is_string()) {
          *field = post[key][0].get<std::string>();
        }
      }
    } else if (post.value("type", "") == "TemplateProcessing" && post.contains("single") &&
               post["single"].is_array()) {
      // single = [{SpecialToken: {id: "[CLS]"}}, {Sequence: ...}, {SpecialToken: {id: "[SEP]"}}]
      std::vector<std::string> specials;
      for (const json& piece : post["single"]) {
        if (piece.is_object() && piece.contains("SpecialToken") &&
            piece["SpecialToken"].contains("id") && piece["SpecialToken"]["id"].is_string()) {
          specials.push_back(piece["SpecialToken"]["id"].get<std::string>());
        }
      }
      if (specials.size() == 2) {
        options.cls_token = specials[0];
        options.sep_token = specials[1];
      }
    }
  }

  if (!model.contains("vocab")) return make_error(source + ": model has no vocab");
  auto vocab = parse_vocab_object(model["vocab"], source + ": model.vocab");
  if (!vocab.ok()) return vocab.error();
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab.value()) max_id = std::max(max_id, id);
  std::vector<std::string> id_to_token(static_cast<size_t>(max_id + 1));
  std::vector<bool> seen(id_to_token.size(), false);
  for (const auto& [token, id] : vocab.value()) {
    if (seen[id]) {
      return make_error(source + ": model.vocab: duplicate vocab id " + std::to_string(id) +
                        " for tokens '" + id_to_token[id] + "' and '" + token + "'");
    }
    seen[id] = true;
    id_to_token[id] = token;
  }
  auto added = parse_added_tokens(root.value(), source);
  if (!added.ok()) return added.error();
  return WordPieceTokenizer::create(std::move(id_to_token), std::move(added.value()), options,
                                    source);
}

Result<WordPieceOptions> read_tokenizer_config(const fs::path& path, WordPieceOptions options) {
  return catching_json_errors(path, [&] { return read_tokenizer_config_unchecked(path, options); });
}

}  // namespace

Result<std::unique_ptr<BpeTokenizer>> load_bpe_tokenizer_json(const fs::path& tokenizer_json) {
  return catching_json_errors(tokenizer_json,
                              [&] { return bpe_tokenizer_json_unchecked(tokenizer_json); });
}

Result<std::unique_ptr<WordPieceTokenizer>> load_wordpiece_tokenizer_json(
    const fs::path& tokenizer_json, const WordPieceOptions& defaults) {
  return catching_json_errors(
      tokenizer_json, [&] { return wordpiece_tokenizer_json_unchecked(tokenizer_json, defaults); });
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const fs::path& model_folder,
                                                  TokenizerKind kind) {
  std::error_code ec;
  if (!fs::is_directory(model_folder, ec)) {
    return make_error(name_of(model_folder) + ": not a folder (expected a model folder with " +
                      "config.json and tokenizer files)");
  }
  const fs::path tokenizer_json = model_folder / "tokenizer.json";
  if (kind == TokenizerKind::kTokenizerJson && !has_file(tokenizer_json))
    return make_error(name_of(tokenizer_json) + ": missing; this model family's tokenizer is read " +
                      "from tokenizer.json");
  if (kind != TokenizerKind::kWordPiece) {
    if (has_file(tokenizer_json)) return as_tokenizer(load_bpe_tokenizer_json(tokenizer_json));
    const fs::path vocab_json = model_folder / "vocab.json";
    const fs::path merges_txt = model_folder / "merges.txt";
    if (has_file(vocab_json) || has_file(merges_txt)) {
      return as_tokenizer(load_bpe_vocab_merges(vocab_json, merges_txt));
    }
    return make_error(name_of(model_folder) + ": no GPT-2 tokenizer: expected tokenizer.json " +
                      "or vocab.json + merges.txt");
  }

  WordPieceOptions options;  // BERT lower-cases unless told otherwise
  const fs::path tokenizer_config = model_folder / "tokenizer_config.json";
  if (has_file(tokenizer_config)) {
    auto read = read_tokenizer_config(tokenizer_config, options);
    if (!read.ok()) return read.error();
    options = read.value();
  }
  if (has_file(tokenizer_json))
    return as_tokenizer(load_wordpiece_tokenizer_json(tokenizer_json, options));
  const fs::path vocab_txt = model_folder / "vocab.txt";
  if (has_file(vocab_txt)) return as_tokenizer(load_wordpiece_vocab_txt(vocab_txt, options));
  return make_error(name_of(model_folder) + ": no BERT tokenizer: expected tokenizer.json or " +
                    "vocab.txt");
}

}  // namespace attnviz

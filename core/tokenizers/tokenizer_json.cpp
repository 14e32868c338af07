#include "core/tokenizers/tokenizer_json.h"

#include <algorithm>
#include <unordered_map>

#include "core/json_read.h"
#include "core/tokenizers/bpe_model.h"
#include "core/tokenizers/json_fields.h"
#include "core/tokenizers/post_processor.h"
#include "core/tokenizers/wordpiece_model.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSupportedNormalizers =
    "NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, StripAccents, Nmt, "
    "BertNormalizer, Sequence";
constexpr const char* kSupportedPreTokenizers =
    "ByteLevel, Split, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit, "
    "BertPreTokenizer, Sequence";

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += unicode::display_bytes(s);
  out.push_back('\'');
  return out;
}

// {"String": s} or {"Regex": r} (Split.pattern, Replace.pattern).
Result<std::shared_ptr<const TextPattern>> read_pattern(const JsonFields& fields) {
  if (!fields.has("pattern") || !fields["pattern"].is_object()) {
    return make_error(fields.field("pattern") + " must be {\"String\": ...} or {\"Regex\": ...}");
  }
  const JsonFields pattern(fields["pattern"], fields.field("pattern"));
  if (pattern.has("String")) {
    auto text = pattern.string("String");
    if (!text.ok()) return text.error();
    return std::make_shared<const TextPattern>(TextPattern::literal(*text));
  }
  auto source = pattern.string("Regex");
  if (!source.ok()) {
    return make_error(fields.field("pattern") + " must be {\"String\": ...} or {\"Regex\": ...}");
  }
  auto regex = TextPattern::regex(*source);
  if (!regex.ok()) {
    return make_error(pattern.field("Regex") + " " + in_quotes(*source) + ": " +
                      regex.error().message);
  }
  return std::make_shared<const TextPattern>(std::move(regex).value());
}

Result<SplitBehavior> read_behavior(const JsonFields& fields, SplitBehavior fallback) {
  auto name = fields.optional_string("behavior");
  if (!name.ok()) return name.error();
  if (!*name) return fallback;
  static const std::pair<const char*, SplitBehavior> kNames[] = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous}};
  for (const auto& [text, behavior] : kNames) {
    if (**name == text) return behavior;
  }
  return make_error(fields.field("behavior") + " " + in_quotes(**name) +
                    " is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, "
                    "Contiguous");
}

Status read_normalizer(const json& value, const std::string& where, Normalizer& out) {
  if (value.is_null()) return Ok{};
  const JsonFields fields(value, where);
  auto type = fields.type();
  if (!type.ok()) return type.error();
  using Kind = NormalizerStep::Kind;
  NormalizerStep step;
  if (*type == "Sequence") {
    if (!fields.has("normalizers") || !fields["normalizers"].is_array()) {
      return make_error(fields.field("normalizers") + " must be a list");
    }
    for (size_t k = 0; k < fields["normalizers"].size(); ++k) {
      Status s = read_normalizer(fields["normalizers"][k],
                                 fields.field("normalizers") + "[" + std::to_string(k) + "]", out);
      if (!s.ok()) return s;
    }
    return Ok{};
  } else if (*type == "NFC" || *type == "NFD" || *type == "NFKC" || *type == "NFKD") {
    step.kind = *type == "NFC"    ? Kind::kNfc
                : *type == "NFD"  ? Kind::kNfd
                : *type == "NFKC" ? Kind::kNfkc
                                  : Kind::kNfkd;
  } else if (*type == "Lowercase") {
    step.kind = Kind::kLowercase;
  } else if (*type == "StripAccents") {
    step.kind = Kind::kStripAccents;
  } else if (*type == "Nmt") {
    step.kind = Kind::kNmt;
  } else if (*type == "Prepend") {
    auto prefix = fields.string("prepend");
    if (!prefix.ok()) return prefix.error();
    step.kind = Kind::kPrepend;
    step.text = *prefix;
  } else if (*type == "Replace") {
    auto pattern = read_pattern(fields);
    if (!pattern.ok()) return pattern.error();
    auto content = fields.string("content");
    if (!content.ok()) return content.error();
    step.kind = Kind::kReplace;
    step.pattern = std::move(pattern).value();
    step.text = *content;
  } else if (*type == "Strip") {
    auto left = fields.boolean("strip_left", true);
    auto right = fields.boolean("strip_right", true);
    if (!left.ok()) return left.error();
    if (!right.ok()) return right.error();
    step.kind = Kind::kStrip;
    step.strip_left = *left;
    step.strip_right = *right;
  } else if (*type == "BertNormalizer") {
    auto clean = fields.boolean("clean_text", true);
    auto chinese = fields.boolean("handle_chinese_chars", true);
    auto lower = fields.boolean("lowercase", true);
    for (const auto* r : {&clean, &chinese, &lower}) {
      if (!r->ok()) return r->error();
    }
    auto accents = fields.boolean("strip_accents", *lower);  // null follows lowercase
    if (!accents.ok()) return accents.error();
    step.kind = Kind::kBert;
    step.bert_clean_text = *clean;
    step.bert_handle_chinese_chars = *chinese;
    step.bert_lowercase = *lower;
    step.bert_strip_accents = *accents;
  } else {
    return make_error(where + ": normalizer type " + in_quotes(*type) +
                      " is not supported (attnviz runs " + kSupportedNormalizers + ")");
  }
  out.steps.push_back(std::move(step));
  return Ok{};
}

// `byte_level` is set when a ByteLevel step is read; nothing may follow it (attnviz runs the
// byte alphabet inside the model rather than rewriting the text).
Status read_pre_tokenizer(const json& value, const std::string& where, PreTokenizer& out,
                          bool& byte_level) {
  if (value.is_null()) return Ok{};
  const JsonFields fields(value, where);
  auto type = fields.type();
  if (!type.ok()) return type.error();
  if (*type == "Sequence") {
    if (!fields.has("pretokenizers") || !fields["pretokenizers"].is_array()) {
      return make_error(fields.field("pretokenizers") + " must be a list");
    }
    for (size_t k = 0; k < fields["pretokenizers"].size(); ++k) {
      Status s = read_pre_tokenizer(fields["pretokenizers"][k],
                                    fields.field("pretokenizers") + "[" + std::to_string(k) + "]",
                                    out, byte_level);
      if (!s.ok()) return s;
    }
    return Ok{};
  }
  if (byte_level) {
    return make_error(where + ": a " + *type + " pre-tokenizer after ByteLevel is not supported");
  }
  using Kind = PreTokenizerStep::Kind;
  PreTokenizerStep step;
  if (*type == "ByteLevel") {
    auto prefix = fields.boolean("add_prefix_space", true);
    auto regex = fields.boolean("use_regex", true);
    if (!prefix.ok()) return prefix.error();
    if (!regex.ok()) return regex.error();
    step.kind = Kind::kByteLevel;
    step.add_prefix_space = *prefix;
    if (*regex) {
      auto gpt2 = TextPattern::regex(std::string(kGpt2Pattern));
      if (!gpt2.ok()) return make_error(where + ": " + gpt2.error().message);
      step.pattern = std::make_shared<const TextPattern>(std::move(gpt2).value());
    }
    byte_level = true;
  } else if (*type == "Split") {
    auto pattern = read_pattern(fields);
    if (!pattern.ok()) return pattern.error();
    auto behavior = read_behavior(fields, SplitBehavior::kIsolated);
    if (!behavior.ok()) return behavior.error();
    auto invert = fields.boolean("invert", false);
    if (!invert.ok()) return invert.error();
    step.kind = Kind::kSplit;
    step.pattern = std::move(pattern).value();
    step.behavior = *behavior;
    step.invert = *invert;
  } else if (*type == "Metaspace") {
    auto replacement = fields.string("replacement");
    if (!replacement.ok()) return replacement.error();
    auto chars = unicode::decode_utf8(*replacement);
    if (!chars.ok() || chars->size() != 1) {
      return make_error(fields.field("replacement") + " must be one character");
    }
    auto scheme = fields.optional_string("prepend_scheme");
    auto prefix = fields.boolean("add_prefix_space", true);
    auto split = fields.boolean("split", true);
    if (!scheme.ok()) return scheme.error();
    if (!prefix.ok()) return prefix.error();
    if (!split.ok()) return split.error();
    step.kind = Kind::kMetaspace;
    step.replacement = *replacement;
    step.split = *split;
    const std::string name = scheme->value_or("always");
    if (name == "always") {
      step.prepend_scheme = PreTokenizerStep::PrependScheme::kAlways;
    } else if (name == "first") {
      step.prepend_scheme = PreTokenizerStep::PrependScheme::kFirst;
    } else if (name == "never") {
      step.prepend_scheme = PreTokenizerStep::PrependScheme::kNever;
    } else {
      return make_error(fields.field("prepend_scheme") + " " + in_quotes(name) +
                        " is not one of always, first, never");
    }
    if (!*prefix) {  // legacy add_prefix_space false means never (HF refuses a contradiction)
      if (step.prepend_scheme != PreTokenizerStep::PrependScheme::kNever && *scheme) {
        return make_error(where + ": add_prefix_space false contradicts prepend_scheme " + name);
      }
      step.prepend_scheme = PreTokenizerStep::PrependScheme::kNever;
    }
  } else if (*type == "Digits") {
    auto individual = fields.boolean("individual_digits", false);
    if (!individual.ok()) return individual.error();
    step.kind = Kind::kDigits;
    step.individual_digits = *individual;
  } else if (*type == "Punctuation") {
    auto behavior = read_behavior(fields, SplitBehavior::kIsolated);
    if (!behavior.ok()) return behavior.error();
    step.kind = Kind::kPunctuation;
    step.behavior = *behavior;
  } else if (*type == "Whitespace") {
    auto pattern = whitespace_pre_tokenizer_pattern();
    if (!pattern.ok()) return make_error(where + ": " + pattern.error().message);
    step.kind = Kind::kWhitespace;
    step.pattern = std::move(pattern).value();
    step.behavior = SplitBehavior::kRemoved;
    step.invert = true;
  } else if (*type == "WhitespaceSplit") {
    step.kind = Kind::kWhitespaceSplit;
  } else if (*type == "BertPreTokenizer") {
    step.kind = Kind::kBert;
  } else {
    return make_error(where + ": pre-tokenizer type " + in_quotes(*type) +
                      " is not supported (attnviz runs " + kSupportedPreTokenizers + ")");
  }
  out.steps.push_back(std::move(step));
  return Ok{};
}

Result<StringMap<int32_t>> read_vocab(const JsonFields& model) {
  if (!model.has("vocab")) return make_error(model.field("vocab") + " is missing");
  return read_vocab_object(model["vocab"], model.field("vocab"));
}

Result<std::vector<BpeMerge>> read_merges(const JsonFields& model, size_t vocabulary_entries) {
  if (!model.has("merges") || !model["merges"].is_array()) {
    return make_error(model.field("merges") + " must be a list of [\"A\", \"B\"] or \"A B\"");
  }
  const json& list = model["merges"];
  if (list.size() > kMaxMergesPerEntry * vocabulary_entries + 1024) {
    return make_error(model.field("merges") + " has " + std::to_string(list.size()) +
                      " entries for a vocabulary of " + std::to_string(vocabulary_entries) +
                      "; a BPE tokenizer has a few merges per entry, this file is damaged");
  }
  std::vector<BpeMerge> merges;
  merges.reserve(list.size());
  for (size_t k = 0; k < list.size(); ++k) {
    const json& entry = list[k];
    BpeMerge merge;
    bool ok = false;
    if (entry.is_string()) {
      const std::string_view line = entry.get_ref<const std::string&>();
      if (line.starts_with("#version")) continue;  // HF skips a legacy header line
      const size_t space = line.find(' ');
      ok = space != std::string::npos && line.find(' ', space + 1) == std::string::npos;
      if (ok) merge = {line.substr(0, space), line.substr(space + 1)};
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      merge = {entry[0].get_ref<const std::string&>(), entry[1].get_ref<const std::string&>()};
      ok = true;
    }
    if (!ok) {
      return make_error(model.field("merges") + "[" + std::to_string(k) +
                        "] is malformed: expected [\"A\", \"B\"] or \"A B\", got " +
                        json_excerpt(entry));
    }
    merges.push_back(merge);
  }
  return merges;
}

Result<std::unique_ptr<TokenModel>> read_model(const JsonFields& model, bool byte_level,
                                               TokenizerPipeline& pipeline) {
  auto type = model.optional_string("type");
  if (!type.ok()) return type.error();
  // Old files have no tag; HF then tells the models apart by their fields.
  std::string kind = type->value_or(model.has("merges")                               ? "BPE"
                                    : model.has("vocab") && model["vocab"].is_array() ? "Unigram"
                                    : model.has("max_input_chars_per_word")           ? "WordPiece"
                                                                            : "WordLevel");
  if (kind != "BPE" && kind != "WordPiece") {
    return make_error(model.field("type") + " " + in_quotes(kind) +
                      " is not supported (attnviz reads BPE and WordPiece models)");
  }
  auto vocab = read_vocab(model);
  if (!vocab.ok()) return vocab.error();
  if (kind == "WordPiece") {
    WordPieceModelOptions options;
    auto unk = model.optional_string("unk_token");
    auto prefix = model.optional_string("continuing_subword_prefix");
    auto longest = model.integer("max_input_chars_per_word", 100, 0, int64_t(1) << 40);
    if (!unk.ok()) return unk.error();
    if (!prefix.ok()) return prefix.error();
    if (!longest.ok()) return longest.error();
    options.unk_token = unk->value_or("[UNK]");
    options.continuing_subword_prefix = prefix->value_or("##");
    options.max_input_chars_per_word = size_t(*longest);
    auto created = WordPieceModel::create(std::move(vocab).value(), options);
    if (!created.ok()) return make_error(model.where() + ": " + created.error().message);
    pipeline.show_vocabulary_text = true;
    pipeline.wordpiece_prefix = options.continuing_subword_prefix;
    return std::unique_ptr<TokenModel>(std::move(created).value());
  }
  if (model.has("dropout")) {
    if (!model["dropout"].is_number() || model["dropout"].get<double>() != 0.0) {
      return make_error(model.field("dropout") + " " + json_excerpt(model["dropout"], 20) +
                        ": BPE-dropout tokenizes at random; attnviz needs the same ids every "
                        "time (set it to null)");
    }
  }
  BpeOptions options;
  options.byte_level = byte_level;
  auto unk = model.optional_string("unk_token");
  auto prefix = model.optional_string("continuing_subword_prefix");
  auto suffix = model.optional_string("end_of_word_suffix");
  auto fuse = model.boolean("fuse_unk", false);
  auto fallback = model.boolean("byte_fallback", false);
  auto ignore = model.boolean("ignore_merges", false);
  for (const auto* r : {&unk, &prefix, &suffix}) {
    if (!r->ok()) return r->error();
  }
  for (const auto* r : {&fuse, &fallback, &ignore}) {
    if (!r->ok()) return r->error();
  }
  options.unk_token = *unk;
  options.continuing_subword_prefix = prefix->value_or("");
  options.end_of_word_suffix = suffix->value_or("");
  options.fuse_unk = *fuse;
  options.byte_fallback = *fallback;
  options.ignore_merges = *ignore;
  auto merges = read_merges(model, vocab->size());
  if (!merges.ok()) return merges.error();
  const std::string merges_field = model.field("merges");
  auto created = BpeModel::create(std::move(vocab).value(), *merges, options, [&](size_t rank) {
    return merges_field + "[" + std::to_string(rank) + "]";
  });
  if (!created.ok()) {
    const std::string& message = created.error().message;
    return make_error(message.starts_with(merges_field) ? message : model.where() + ": " + message);
  }
  pipeline.byte_level = byte_level;
  pipeline.byte_fallback = *fallback;
  return std::unique_ptr<TokenModel>(std::move(created).value());
}

// added_tokens, with ids as HF's AddedVocabulary assigns them: the vocabulary's id when the
// content is in it, else the next id after the vocabulary (the file's "id" is only checked
// by HF, with a warning).
Result<std::vector<AddedTokenSpec>> read_added_tokens(const json& root, const std::string& source,
                                                      const TokenModel& model,
                                                      size_t vocabulary_entries) {
  std::vector<AddedTokenSpec> tokens;
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return tokens;
  const json& list = root["added_tokens"];
  if (!list.is_array()) return make_error(source + ": added_tokens must be a list");
  StringMap<int32_t> by_content;
  std::unordered_map<int32_t, size_t> by_id;  // id -> index in tokens
  int64_t next_id = int64_t(vocabulary_entries);
  for (size_t k = 0; k < list.size(); ++k) {
    const JsonFields fields(list[k], source + ": added_tokens[" + std::to_string(k) + "]");
    if (!list[k].is_object()) return make_error(fields.where() + " must be an object");
    auto content = fields.string("content");
    if (!content.ok()) return content.error();
    AddedTokenSpec token;
    token.content = *content;
    auto special = fields.boolean("special", false);
    if (!special.ok()) return special.error();
    token.special = *special;
    auto single_word = fields.boolean("single_word", false);
    auto lstrip = fields.boolean("lstrip", false);
    auto rstrip = fields.boolean("rstrip", false);
    auto normalized = fields.boolean("normalized", !token.special);
    for (const auto* r : {&single_word, &lstrip, &rstrip, &normalized}) {
      if (!r->ok()) return r->error();
    }
    token.single_word = *single_word;
    token.lstrip = *lstrip;
    token.rstrip = *rstrip;
    token.normalized = *normalized;
    if (token.content.empty()) continue;  // HF ignores empty tokens
    if (auto it = by_content.find(token.content); it != by_content.end()) {
      token.id = it->second;
    } else if (auto id = model.token_to_id(token.content)) {
      token.id = *id;
    } else {
      token.id = int32_t(next_id++);
    }
    by_content[token.content] = token.id;
    if (auto it = by_id.find(token.id); it != by_id.end()) {
      tokens[it->second] = token;  // the last token given an id keeps it, as in HF's map
    } else {
      by_id[token.id] = tokens.size();
      tokens.push_back(token);
    }
  }
  std::sort(tokens.begin(), tokens.end(),
            [](const AddedTokenSpec& a, const AddedTokenSpec& b) { return a.id < b.id; });
  return tokens;
}

// The "▁" a SentencePiece-style pipeline writes for spaces (Metaspace, or a Replace of " ").
std::string space_marker_of(const TokenizerPipeline& pipeline) {
  for (const PreTokenizerStep& step : pipeline.pre_tokenizer.steps) {
    if (step.kind == PreTokenizerStep::Kind::kMetaspace) return step.replacement;
  }
  for (const NormalizerStep& step : pipeline.normalizer.steps) {
    if (step.kind == NormalizerStep::Kind::kReplace &&
        step.pattern->engine() == TextPattern::Engine::kLiteral && step.pattern->source() == " ") {
      return step.text;
    }
  }
  return std::string();
}

// transformers' BertTokenizerFast rebuilds its BertNormalizer when tokenizer_config.json's
// do_lower_case, strip_accents or tokenize_chinese_chars (defaults true, None, true) differ
// from it; the result is the normalizer with those three values.
void apply_bert_config(const TokenizerConfig& config, Normalizer& normalizer) {
  if (config.tokenizer_class != "BertTokenizer" && config.tokenizer_class != "BertTokenizerFast") {
    return;
  }
  if (normalizer.steps.size() != 1 || normalizer.steps[0].kind != NormalizerStep::Kind::kBert) {
    return;
  }
  NormalizerStep& bert = normalizer.steps[0];
  bert.bert_lowercase = config.do_lower_case.value_or(true);
  bert.bert_strip_accents = config.strip_accents.value_or(bert.bert_lowercase);
  bert.bert_handle_chinese_chars = config.tokenize_chinese_chars.value_or(true);
}

}  // namespace

Result<StringMap<int32_t>> read_vocab_object(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) return make_error(where + " must be an object of token -> id");
  if (vocab.size() > kMaxVocabularyEntries) {
    return make_error(where + " has " + std::to_string(vocab.size()) + " entries, more than the " +
                      std::to_string(kMaxVocabularyEntries) + " attnviz reads");
  }
  StringMap<int32_t> result;
  result.reserve(vocab.size());
  const int64_t limit = 2 * int64_t(vocab.size()) + 256;
  std::unordered_map<int32_t, const std::string*> owner;
  owner.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= limit) {
      return make_error(where + ": token " + in_quotes(token) + " has id " + json_excerpt(id, 40) +
                        "; ids must be integers from 0 to " + std::to_string(limit - 1) +
                        " for a vocabulary of " + std::to_string(vocab.size()) + " entries");
    }
    auto [it, inserted] = result.emplace(token, int32_t(id.get<int64_t>()));
    if (!inserted) continue;
    auto [other, fresh] = owner.emplace(it->second, &it->first);
    if (!fresh) {
      return make_error(where + ": duplicate vocab id " + std::to_string(it->second) +
                        " for tokens " + in_quotes(*other->second) + " and " + in_quotes(token));
    }
  }
  return result;
}

std::string display_path(const fs::path& path) {
  return escape_invalid_utf8(path.string());
}

Result<std::unique_ptr<HfTokenizer>> load_tokenizer_json(const fs::path& path,
                                                         const TokenizerConfig& config) {
  const std::string source = display_path(path);
  auto parsed = read_json_file_bounded(path, kMaxTokenizerJsonBytes);
  if (!parsed.ok()) return make_error(unicode::display_bytes(parsed.error().message));
  const json& root = parsed.value();
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object()) {
    return make_error(source + ": no \"model\" object; not a Hugging Face tokenizer.json");
  }
  TokenizerPipeline pipeline;
  if (Status s = read_normalizer(root.value("normalizer", json()), source + ": normalizer",
                                 pipeline.normalizer);
      !s.ok()) {
    return s.error();
  }
  bool byte_level = false;
  if (Status s = read_pre_tokenizer(root.value("pre_tokenizer", json()), source + ": pre_tokenizer",
                                    pipeline.pre_tokenizer, byte_level);
      !s.ok()) {
    return s.error();
  }
  const JsonFields model_fields(root["model"], source + ": model");
  auto model = read_model(model_fields, byte_level, pipeline);
  if (!model.ok()) return model.error();
  pipeline.model = std::move(model).value();
  auto added = read_added_tokens(root, source, *pipeline.model, root["model"]["vocab"].size());
  if (!added.ok()) return added.error();
  pipeline.added_tokens = std::move(added).value();
  pipeline.space_marker = space_marker_of(pipeline);
  apply_bert_config(config, pipeline.normalizer);
  if (Status s =
          read_post_processor(root.value("post_processor", json()), config, source, pipeline);
      !s.ok()) {
    return s.error();
  }
  return HfTokenizer::create(std::move(pipeline), source);
}

}  // namespace attnviz

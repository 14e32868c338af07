#include "core/tokenizers/post_processor.h"

#include <algorithm>
#include <fstream>

#include "core/json_read.h"
#include "core/tokenizers/json_fields.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The special tokens one post-processor puts before and after a single sequence.
struct Template {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};

// Processors run in order, each around what the ones before produced.
void wrap(Template& inner, const Template& outer) {
  inner.prefix.insert(inner.prefix.begin(), outer.prefix.begin(), outer.prefix.end());
  inner.suffix.insert(inner.suffix.end(), outer.suffix.begin(), outer.suffix.end());
}

Result<int32_t> read_id(const json& value, const std::string& where) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > (int64_t(1) << 30)) {
    return make_error(where + " must be a token id, not " + json_excerpt(value, 40));
  }
  return int32_t(value.get<int64_t>());
}

// BertProcessing / RobertaProcessing: "cls": ["[CLS]", 101], "sep": ["[SEP]", 102].
Result<Template> read_cls_sep(const JsonFields& fields) {
  Template result;
  for (const char* key : {"cls", "sep"}) {
    if (!fields.has(key) || !fields[key].is_array() || fields[key].size() != 2) {
      return make_error(fields.field(key) + " must be [token, id]");
    }
    auto id = read_id(fields[key][1], fields.field(key) + "[1]");
    if (!id.ok()) return id.error();
    (std::string(key) == "cls" ? result.prefix : result.suffix).push_back(*id);
  }
  return result;
}

// TemplateProcessing's "single": pieces {"SpecialToken": {"id": name}} around one
// {"Sequence": {"id": "A"}}, the names resolved through "special_tokens".
Result<Template> read_template(const JsonFields& fields) {
  if (!fields.has("single") || !fields["single"].is_array()) {
    return make_error(fields.field("single") + " must be a list of pieces");
  }
  const json* special_tokens = fields.has("special_tokens") ? &fields["special_tokens"] : nullptr;
  Template result;
  int sequences = 0;
  for (size_t k = 0; k < fields["single"].size(); ++k) {
    const json& piece = fields["single"][k];
    const std::string where = fields.field("single") + "[" + std::to_string(k) + "]";
    if (piece.is_object() && piece.contains("Sequence")) {
      const json& sequence = piece["Sequence"];
      if (!sequence.is_object() || sequence.value("id", std::string()) != "A") {
        return make_error(where + ": a single-sequence template can only hold sequence A");
      }
      ++sequences;
      continue;
    }
    if (!piece.is_object() || !piece.contains("SpecialToken") ||
        !piece["SpecialToken"].is_object() || !piece["SpecialToken"].contains("id") ||
        !piece["SpecialToken"]["id"].is_string()) {
      return make_error(where +
                        " must be {\"Sequence\": ...} or {\"SpecialToken\": {\"id\": ...}}");
    }
    const std::string name = piece["SpecialToken"]["id"].get<std::string>();
    if (!special_tokens || !special_tokens->is_object() || !special_tokens->contains(name) ||
        !(*special_tokens)[name].is_object() || !(*special_tokens)[name].contains("ids") ||
        !(*special_tokens)[name]["ids"].is_array()) {
      return make_error(where + ": special token '" + unicode::display_bytes(name) +
                        "' has no entry with \"ids\" in " + fields.field("special_tokens"));
    }
    for (const json& id_value : (*special_tokens)[name]["ids"]) {
      auto id = read_id(id_value, fields.field("special_tokens") + "." + name + ".ids");
      if (!id.ok()) return id.error();
      (sequences == 0 ? result.prefix : result.suffix).push_back(*id);
    }
  }
  if (sequences != 1) {
    return make_error(fields.field("single") + " must hold the sequence $A exactly once");
  }
  return result;
}

Result<Template> read_processor(const json& value, const std::string& where) {
  if (value.is_null()) return Template{};
  const JsonFields fields(value, where);
  auto type = fields.type();
  if (!type.ok()) return type.error();
  if (*type == "TemplateProcessing") return read_template(fields);
  if (*type == "BertProcessing" || *type == "RobertaProcessing") return read_cls_sep(fields);
  if (*type == "ByteLevel") return Template{};  // only trims offsets
  if (*type == "Sequence") {
    if (!fields.has("processors") || !fields["processors"].is_array()) {
      return make_error(fields.field("processors") + " must be a list");
    }
    Template result;
    for (size_t k = 0; k < fields["processors"].size(); ++k) {
      auto step = read_processor(fields["processors"][k],
                                 fields.field("processors") + "[" + std::to_string(k) + "]");
      if (!step.ok()) return step.error();
      wrap(result, *step);
    }
    return result;
  }
  return make_error(where + ": post-processor type '" + unicode::display_bytes(*type) +
                    "' is not supported (attnviz runs TemplateProcessing, BertProcessing, "
                    "RobertaProcessing, ByteLevel, Sequence)");
}

// The id of a token name as transformers' convert_tokens_to_ids finds it: added tokens first,
// then the vocabulary.
std::optional<int32_t> id_of(const TokenizerPipeline& pipeline, const std::string& name) {
  for (const AddedTokenSpec& token : pipeline.added_tokens) {
    if (token.content == name) return token.id;
  }
  return pipeline.model->token_to_id(name);
}

// The classes whose fast tokenizer rebuilds the post-processor, and their add_bos default.
std::optional<bool> rebuilds_template(std::string tokenizer_class) {
  if (tokenizer_class.ends_with("Fast")) tokenizer_class.resize(tokenizer_class.size() - 4);
  if (tokenizer_class == "LlamaTokenizer" || tokenizer_class == "CodeLlamaTokenizer" ||
      tokenizer_class == "GemmaTokenizer") {
    return true;
  }
  if (tokenizer_class == "GPTNeoXTokenizer") return false;
  return std::nullopt;
}

Status read_config_token(const JsonFields& fields, const char* key,
                         std::optional<std::string>& out) {
  if (!fields.has(key)) return Ok{};
  auto content = token_content(fields[key]);
  if (!content) {
    return make_error(fields.field(key) + " must be a token string or {\"content\": ...}");
  }
  out = *content;
  return Ok{};
}

Status read_config_file(const fs::path& path, bool tokens_only, TokenizerConfig& config) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Ok{};
  auto parsed = read_json_file_bounded(path, kMaxTokenizerConfigBytes);
  if (!parsed.ok()) return make_error(unicode::display_bytes(parsed.error().message));
  const std::string source = display_path(path);
  if (!parsed->is_object()) return make_error(source + " is not a JSON object");
  const JsonFields fields(parsed.value(), source + ":");
  // special_tokens_map.json only fills what tokenizer_config.json left unnamed.
  for (auto [key, member] : {std::pair{"bos_token", &TokenizerConfig::bos_token},
                             std::pair{"eos_token", &TokenizerConfig::eos_token},
                             std::pair{"pad_token", &TokenizerConfig::pad_token},
                             std::pair{"unk_token", &TokenizerConfig::unk_token},
                             std::pair{"cls_token", &TokenizerConfig::cls_token},
                             std::pair{"sep_token", &TokenizerConfig::sep_token}}) {
    std::optional<std::string> value;
    if (Status s = read_config_token(fields, key, value); !s.ok()) return s;
    if (value && (!tokens_only || !(config.*member))) config.*member = value;
  }
  if (tokens_only) return Ok{};
  auto tokenizer_class = fields.optional_string("tokenizer_class");
  if (!tokenizer_class.ok()) return tokenizer_class.error();
  config.tokenizer_class = tokenizer_class->value_or("");
  for (auto [key, out] : {std::pair{"add_bos_token", &config.add_bos_token},
                          std::pair{"add_eos_token", &config.add_eos_token},
                          std::pair{"do_lower_case", &config.do_lower_case},
                          std::pair{"strip_accents", &config.strip_accents},
                          std::pair{"tokenize_chinese_chars", &config.tokenize_chinese_chars}}) {
    if (!fields.has(key)) continue;
    auto value = fields.boolean(key, false);
    if (!value.ok()) return value.error();
    *out = *value;
  }
  return Ok{};
}

}  // namespace

Result<TokenizerConfig> read_tokenizer_config(const fs::path& model_folder) {
  TokenizerConfig config;
  if (Status s = read_config_file(model_folder / "tokenizer_config.json", false, config); !s.ok()) {
    return s.error();
  }
  if (Status s = read_config_file(model_folder / "special_tokens_map.json", true, config);
      !s.ok()) {
    return s.error();
  }
  return config;
}

Status read_post_processor(const json& value, const TokenizerConfig& config,
                           const std::string& source, TokenizerPipeline& pipeline) {
  auto resolve = [&](const std::optional<std::string>& name) -> int32_t {
    if (!name) return -1;
    return id_of(pipeline, *name).value_or(-1);
  };
  pipeline.special_ids = {resolve(config.bos_token), resolve(config.eos_token),
                          resolve(config.pad_token), resolve(config.unk_token)};

  if (std::optional<bool> add_bos_default = rebuilds_template(config.tokenizer_class)) {
    const bool add_bos = config.add_bos_token.value_or(*add_bos_default);
    const bool add_eos = config.add_eos_token.value_or(false);
    for (auto [add, name, key, ids] :
         {std::tuple{add_bos, &config.bos_token, "bos_token", &pipeline.prefix_ids},
          std::tuple{add_eos, &config.eos_token, "eos_token", &pipeline.suffix_ids}}) {
      if (!add) continue;
      if (!*name) {
        return make_error(source + ": tokenizer_config.json asks to add the " + key +
                          " but names none (" + config.tokenizer_class + ")");
      }
      const int32_t id = resolve(*name);
      if (id < 0) {
        return make_error(source + ": the " + key + " '" + unicode::display_bytes(**name) +
                          "' of tokenizer_config.json is not in the vocabulary");
      }
      ids->push_back(id);
    }
    return Ok{};
  }
  auto processed = read_processor(value, source + ": post_processor");
  if (!processed.ok()) return processed.error();
  pipeline.prefix_ids = std::move(processed->prefix);
  pipeline.suffix_ids = std::move(processed->suffix);
  return Ok{};
}

}  // namespace attnviz
